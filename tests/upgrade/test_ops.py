import hashlib
import os

import pytest

from gateway.upgrade import install as inst
from gateway.upgrade import ops
from tests.upgrade.conftest import Agent, rewrite, snapshot

CHUNK = 1024


@pytest.fixture
def ctx(tmp_path, make_package, trusted, clock):
    prefix = str(tmp_path / "opt")
    inst.install(make_package("1.0.0", extra={"pad.bin": "x" * 5000}), prefix, trusted, clock)
    restarts, events = [], []
    c = ops.UpgradeContext(str(tmp_path / "data" / "upgrade"), prefix, trusted, clock,
                           on_restart=lambda: restarts.append(1), on_event=events.append)
    c.restarts, c.events = restarts, events
    return c


def send(ctx, path, tid="up1", skip=()):
    data = open(path, "rb").read()
    reply = ops.op_begin(ctx, {"transfer": tid, "version": "1.1.0", "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest(), "chunk": CHUNK})
    assert reply["transfer"] == tid
    n = 0
    for i in range(0, len(data), CHUNK):
        if i // CHUNK not in skip:
            assert ops.handle_chunk(ctx, "amr/c01/file/%s/%d" % (tid, i // CHUNK),
                                    data[i:i + CHUNK])
            n += 1
    return n


def test_a_whole_upgrade_over_the_ops(ctx, make_package):
    path = make_package("1.1.0", extra={"pad.bin": os.urandom(4000).hex()})
    send(ctx, path, skip=(2,))
    st = ops.op_status(ctx, {"transfer": "up1"})
    assert st["missing"] == [[2, 2]] and st["state"] == "receiving"
    with pytest.raises(ops.UpgradeOpError) as err:
        ops.op_apply(ctx, {"transfer": "up1"})
    assert err.value.code == "busy"
    data = open(path, "rb").read()
    assert ops.handle_chunk(ctx, "amr/c01/file/up1/2", data[2 * CHUNK:3 * CHUNK])
    reply = ops.op_apply(ctx, {"transfer": "up1"})
    assert reply == {"accepted": True, "transfer": "up1", "version": "1.1.0",
                     "previous": "1.0.0", "state": "installed"}
    assert ctx.restarts == [1]
    assert ops.op_status(ctx, {"transfer": "up1"})["state"] == "applied"
    with pytest.raises(ops.UpgradeOpError) as err:       # the package file is gone
        ops.op_apply(ctx, {"transfer": "up1"})
    assert err.value.code in ("bad_request", "busy")
    assert Agent(ctx.prefix, ctx.clock).supervise() == "1.1.0"
    overview = ops.op_status(ctx, {})
    assert overview["install"]["state"] == "confirmed"
    assert ops.op_abort(ctx, {"transfer": "up1"}) == {"transfer": "up1", "aborted": True}


def test_a_refused_package_is_reported_and_changes_nothing(ctx, make_package, tmp_path):
    good = make_package("1.1.0")
    bad = rewrite(good, str(tmp_path / "bad.upg"), lambda ms: ms[-1].__setitem__(1, b"evil"))
    send(ctx, bad)
    before = snapshot(ctx.prefix)
    with pytest.raises(ops.UpgradeOpError) as err:
        ops.op_apply(ctx, {"transfer": "up1"})
    assert err.value.code == "bad_request" and err.value.detail == {"reason": "tampered"}
    assert ctx.events[0]["result"] == "refused" and ctx.events[0]["reason"] == "tampered"
    assert snapshot(ctx.prefix) == before and ctx.restarts == []


def test_an_older_package_is_refused_with_bad_request(ctx, make_package):
    send(ctx, make_package("0.9.0"))
    with pytest.raises(ops.UpgradeOpError) as err:
        ops.op_apply(ctx, {"transfer": "up1"})
    assert err.value.code == "bad_request" and err.value.detail["reason"] == "not_newer"
    with pytest.raises(ops.UpgradeOpError) as err:
        ops.op_apply(ctx, {"transfer": "up1", "allow_downgrade": True})
    assert err.value.code == "not_supported"


@pytest.mark.parametrize("op,args", [
    (ops.op_begin, {"transfer": "t"}), (ops.op_begin, None),
    (ops.op_status, {"transfer": "nope"}), (ops.op_apply, {}),
    (ops.op_abort, {"transfer": "t", "x": 1}), (ops.op_abort, {"transfer": "bad id"})])
def test_bad_requests(ctx, op, args):
    with pytest.raises(ops.UpgradeOpError) as err:
        op(ctx, args)
    assert err.value.code == "bad_request"
    assert err.value.reply()["message"]


def test_chunk_topics():
    assert ops.parse_chunk_topic("amr/c01/file/up1/12") == ("up1", 12)
    assert ops.parse_chunk_topic("amr/c01/file/up1/x") == ("up1", -1)
    assert ops.parse_chunk_topic("amr/c01/cmd") is None


def test_junk_chunks_never_raise(ctx):
    assert ops.handle_chunk(ctx, "amr/c01/cmd", b"x") is False
    assert ops.handle_chunk(ctx, "amr/c01/file/none/0", b"x") is False
    assert ops.handle_chunk(ctx, "amr/c01/file/none/zz", b"x") is False
    assert ctx.transfers.dropped_unknown == 3


def test_the_op_table_rows():
    assert set(ops.OPS) == {"upgrade.begin", "upgrade.status", "upgrade.apply",
                            "upgrade.abort"}
    assert all(callable(f) for f in ops.OPS.values())


def test_apply_needs_the_release_layout(tmp_path, make_package, trusted, clock):
    c = ops.UpgradeContext(str(tmp_path / "up"), str(tmp_path / "empty"), trusted, clock)
    send(c, make_package("1.1.0"))
    with pytest.raises(ops.UpgradeOpError) as err:
        ops.op_apply(c, {"transfer": "up1"})
    assert err.value.code == "not_supported"
    assert not os.path.exists(str(tmp_path / "empty"))
