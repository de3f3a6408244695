"""A transfer over MQTT through the real uplink and a real broker: begin,
chunks as binary messages, status with the missing ranges, resume, and an
apply refused for a bad signature (bad_request and an ``upgrade`` event)."""

import hashlib
import random
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.ops.dispatch import Operations
from gateway.upgrade import install as inst
from gateway.upgrade import keys, package
from gateway.upgrade.ops import UpgradeContext
from tests.upgrade.conftest import BUILT, FakeClock, make_tree, rewrite
from tests.upstream.rig import Rig

SCENARIO = {"port": [{"name": "bus1", "baud": 9600, "meters": [
    {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000001"}]}]}
CHUNK = 1024
KEY = "k3y-for-tests"           # upgrade.apply is a control op: signed commands


@pytest.fixture(scope="module")
def vendor():
    return Ed25519PrivateKey.generate()


def build(tmp, vendor, version):
    noise = random.Random(version).getrandbits(8 * 4000).to_bytes(4000, "big").hex()
    src = make_tree(str(tmp / ("src-" + version)), version, extra={"big.txt": noise})
    out = str(tmp / ("c-%s.upg" % version))
    package.build(src, out, vendor, version, built=BUILT)
    return out


@pytest.fixture(scope="module")
def rig(tmp_path_factory, vendor):
    tmp = tmp_path_factory.mktemp("upg")
    prefix = str(tmp / "opt")
    inst.install(build(tmp, vendor, "1.0.0"), prefix, [keys.public_hex(vendor)], FakeClock())
    r = Rig(tmp / "rig", SCENARIO, real=True, params={"plan.realtime_interval_min": 0},
            key=KEY, uplink={"command_key": KEY, "command_window": 120})
    b = r.bench
    engine = b.start()
    r.events = []

    def on_event(detail):
        r.events.append(detail)
        b.store.put_event(b.engine_clock.time(), "upgrade", "warning", None, detail)
    r.ctx = UpgradeContext(str(tmp / "transfers"), prefix, [keys.public_hex(vendor)],
                           b.engine_clock, on_restart=lambda: r.events.append("restart"),
                           on_event=on_event)
    r.handlers = Operations(engine, b.store, b.archive, b.params, b.engine_clock, "1.0.0",
                            b.engine_clock.time(), upgrade=r.ctx)
    r.start_uplink()
    assert r.master.wait(lambda: any(s.get("state") == "online" for s in r.master.states), 10)
    r.tmp_dir = tmp
    yield r
    r.close()


def send_chunks(m, transfer, data, indexes):
    for i in indexes:
        m.client.publish(m.base + "file/%s/%d" % (transfer, i), data[i * CHUNK:(i + 1) * CHUNK],
                         qos=1).wait_for_publish(5)


def status_when(m, transfer, predicate, timeout=30):
    """``upgrade.status`` until ``predicate(result)`` (the chunks travel
    beside the command: wait for them, not for a time)."""
    deadline = time.monotonic() + timeout
    while True:
        result = m.command("upgrade.status", {"transfer": transfer})["result"]
        if predicate(result) or time.monotonic() > deadline:
            assert predicate(result), result
            return result
        time.sleep(0.05)


def test_a_transfer_resumes_from_the_missing_chunks_and_a_bad_signature_is_refused(rig, vendor):
    m = rig.master
    good = open(build(rig.tmp_dir, vendor, "1.1.0"), "rb").read()
    bad_path = rewrite(build(rig.tmp_dir, vendor, "1.2.0"), str(rig.tmp_dir / "bad.upg"),
                       lambda members: members[0].__setitem__(
                           1, members[0][1].replace(b'"1.2.0"', b'"1.2.1"')))
    data = open(bad_path, "rb").read()
    assert len(data) > 4 * CHUNK and good
    n = (len(data) + CHUNK - 1) // CHUNK
    args = {"transfer": "up1", "version": "1.2.1", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "chunk": CHUNK}
    reply = m.command("upgrade.begin", args)
    assert reply["ok"] and reply["result"] == {"transfer": "up1", "have": []}
    withheld = {1} | ({n - 2} if n > 3 else set())
    send_chunks(m, "up1", data, [i for i in range(n) if i not in withheld])
    send_chunks(m, "up1", data[:10], [0])                          # wrong size: dropped
    st = status_when(m, "up1", lambda r: r["received"] == n - len(withheld) and r["dropped"])
    assert st["missing"] == [[i, i] for i in sorted(withheld)] and st["state"] == "receiving"
    early = m.command("upgrade.apply", {"transfer": "up1"})
    assert early["error"]["code"] == "busy"                        # chunks missing
    again = m.command("upgrade.begin", args)                       # resume: what is held
    have = again["result"]["have"]
    assert sum(b - a + 1 for a, b in have) == n - len(withheld)
    send_chunks(m, "up1", data, sorted(withheld))                  # only the missing ones
    st = status_when(m, "up1", lambda r: r["missing"] == [])
    assert st["received"] == n and st["duplicates"] == 0
    reply = m.command("upgrade.apply", {"transfer": "up1"})
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request"
    assert reply["error"]["detail"]["reason"] == "bad_signature"
    (event,) = [e for e in rig.events if isinstance(e, dict)]
    assert event["result"] == "refused" and event["reason"] == "bad_signature"
    assert event["transfer"] == "up1"
    assert inst.link_version(inst.Layout(rig.ctx.prefix), inst.CURRENT) == "1.0.0"
    assert "restart" not in rig.events
    stored = rig.bench.store.events(type="upgrade")
    assert stored and stored[-1]["detail"]["reason"] == "bad_signature"
    assert m.command("upgrade.abort", {"transfer": "up1"})["result"]["aborted"] is True
