"""The upgrade ops in the one table: their columns, and the handlers calling
gateway.upgrade.ops with the agent's UpgradeContext."""

import hashlib

from gateway.ops.table import BY_NAME
from gateway.upgrade.ops import UpgradeContext
from tests.upgrade.conftest import FakeClock

UPGRADE_OPS = ("upgrade.begin", "upgrade.status", "upgrade.apply", "upgrade.abort")


def test_one_row_per_upgrade_op_with_its_columns():
    for name in UPGRADE_OPS:
        row = BY_NAME[name]
        assert row.permission == "maintenance" and row.handler == "op_" + name.replace(".", "_")
        assert not row.offline and not row.console_only and row.logged
    apply = BY_NAME["upgrade.apply"]
    assert apply.slow is True and apply.control is True
    for name in ("upgrade.begin", "upgrade.status", "upgrade.abort"):
        assert BY_NAME[name].slow is False and BY_NAME[name].control is False


def test_without_a_prefix_every_upgrade_op_is_not_supported(gw):
    for name in UPGRADE_OPS:
        err = gw.error(name, {"transfer": "t1"})
        assert err.code == "not_supported" and "upgrade.prefix" in err.message
    assert gw.h.file_chunk("t1", 0, b"x") is False


def test_the_handlers_run_a_transfer(gw, tmp_path):
    ctx = UpgradeContext(str(tmp_path / "transfers"), str(tmp_path / "opt"), [], FakeClock())
    h = gw.h.__class__.__new__(gw.h.__class__)
    h.__dict__.update(gw.h.__dict__, upgrade=ctx)
    data = bytes(range(256)) * 10                      # 2,560 bytes: 3 chunks of 1,024
    args = {"transfer": "t1", "version": "9.0.0", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "chunk": 1024}
    assert gw.call("upgrade.begin", args, h=h) == {"transfer": "t1", "have": []}
    assert h.file_chunk("t1", 0, data[:1024]) is True
    assert h.file_chunk("t1", 2, data[2048:]) is True
    assert h.file_chunk("t1", 7, data[:1024]) is False            # outside: dropped
    assert h.file_chunk("t1", -1, data[:1024]) is False           # not a number: dropped
    st = gw.call("upgrade.status", {"transfer": "t1"}, h=h)
    assert st["missing"] == [[1, 1]] and st["received"] == 2 and st["dropped"] == 2
    assert gw.call("upgrade.abort", {"transfer": "t1"}, h=h)["aborted"] is True
    logged = [r for r in gw.b.store.logs("operation") if "upgrade." in r["message"]]
    # begin and abort: upgrade.status only looks (logged when log.queries asks)
    assert [r["detail"]["op"] for r in logged] == ["upgrade.begin", "upgrade.abort"]
