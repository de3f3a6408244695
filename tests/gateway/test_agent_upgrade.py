"""The agent's upgrade hooks: the boot check at start (not under systemd),
the pending ``upgrade`` events raised and cleared, the probation milestones."""

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.upgrade import install as inst
from gateway.upgrade import keys, package
from gateway.upgrade import bootcopy
from gateway.upgrade.hooks import EXIT_RESTART, ReadingRound, UpgradeHooks, milestones
from scheduler.jobs import ONDEMAND, PERIODIC, Job
from tests.gateway.agent_rig import AgentRig
from tests.upgrade.conftest import BUILT, FakeClock, make_tree

SMALL = {"port": [{"name": "bus1", "baud": 9600, "meters": [
    {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000101"}]}]}


@pytest.fixture
def board(tmp_path, monkeypatch):
    """A prefix running 1.0.0 with 1.1.0 installed (not yet started)."""
    monkeypatch.delenv("INVOCATION_ID", raising=False)       # not under systemd
    key = Ed25519PrivateKey.generate()
    trusted = [keys.public_hex(key)]
    prefix = str(tmp_path / "opt")
    for version in ("1.0.0", "1.1.0"):
        src = make_tree(str(tmp_path / ("src-" + version)), version)
        out = str(tmp_path / ("c-%s.upg" % version))
        package.build(src, out, key, version, built=BUILT)
        inst.install(out, prefix, trusted, FakeClock(), required=("started", "reading_round"))
    rig = AgentRig(tmp_path / "agent", scenario=SMALL, start=False)
    rig.cfg.upgrade = dict(rig.cfg.upgrade, prefix=prefix, trusted_keys=trusted)
    yield rig, prefix
    rig.stop()


def upgrade_events(rig):
    return [(e["severity"], e["detail"]["result"], e["detail"]["version"])
            for e in rig.agent.store.events(type="upgrade")]


def test_the_agent_raises_the_pending_events_at_start_and_clears_them(board):
    rig, prefix = board
    rig.start()
    # the first install's "confirmed" and the boot check's "installed", in order
    assert upgrade_events(rig) == [("info", "confirmed", "1.0.0"), ("info", "installed", "1.1.0")]
    assert inst.pending_events(prefix) == []
    st = inst.status(prefix)
    assert st["state"] == "probation" and st["attempts"] == 1
    assert sorted(st["milestones"]) == ["started"]          # the reading round is still due
    assert rig.agent.handlers.upgrade.prefix == prefix      # the ops' context


def test_probation_confirmed_by_a_complete_reading_round(board):
    rig, prefix = board
    agent = rig.start()
    for m in agent.engine.archive_meters():                  # a scheduled read of each meter
        agent.engine.enqueue(Job(PERIODIC, "current", m, "realtime", 0, due=0))
    deadline = agent.clock.monotonic() + 60
    while inst.status(prefix)["state"] != "confirmed" and agent.clock.monotonic() < deadline:
        agent.clock.sleep(0.05)
    assert inst.status(prefix)["state"] == "confirmed"
    assert upgrade_events(rig)[-1] == ("info", "confirmed", "1.1.0")


def test_a_reading_round_needs_every_meter_and_one_good_read():
    done = []
    r = ReadingRound(["m1", "m2"], lambda: done.append(True))
    bad, good = RuntimeError("timeout"), None
    for prio, mid, failure in ((ONDEMAND, "m1", good), (PERIODIC, "m1", bad),
                               (PERIODIC, "m2", bad)):
        job = Job(prio, "current", {"id": mid})
        job.failure = failure
        r.job(job)
    assert not done                                            # all failed: not a round yet
    job = Job(PERIODIC, "current", {"id": "m2"})
    r.job(job)
    r.job(job)
    assert done == [True]
    assert ReadingRound([], lambda: done.append(2)).ok


def test_the_milestones_follow_the_configuration():
    u = {"probation_reading_round": True, "probation_batch_acked": True}
    assert milestones(u, True) == ("started", "reading_round", "batch_acked")
    assert milestones(u, False) == ("started", "reading_round")
    assert milestones(dict(u, probation_reading_round=False), True) == ("started", "batch_acked")


def test_an_applied_upgrade_writes_the_boot_copy_then_restarts(board):
    rig, prefix = board
    restarts = []
    hooks = UpgradeHooks(rig.cfg, FakeClock(), lambda *a: None, lambda: None)
    ctx = hooks.context(lambda: restarts.append(True), rig.cfg.data_file("store.db"))
    assert ctx.prefix == prefix and ctx.required == ("started", "reading_round")
    ctx.on_restart()                                  # what upgrade.apply calls once installed
    assert restarts == [True]
    with open(os.path.join(prefix, bootcopy.FILE), "rb") as f:
        assert f.read() == bootcopy.build()


def test_probation_expired_stops_the_agent_and_the_boot_check_rolls_back(board):
    rig, prefix = board
    clock = FakeClock()
    failed = []
    hooks = UpgradeHooks(rig.cfg, clock, lambda *a: None, lambda: failed.append(True))
    assert hooks.boot_check()["action"] == "installed"
    hooks.probation.milestone("started")
    assert hooks.check(0.0) is False and not failed
    clock.advance(rig.cfg.upgrade["probation_s"] + 1)
    assert hooks.check(10.0) is False                   # at most every CHECK_S
    assert hooks.check(100.0) is True and failed == [True]
    assert inst.status(prefix)["state"] == "rollback_requested"
    out = inst.boot_check(prefix, clock)
    assert out["action"] == "rolled_back" and out["reason"] == "probation_expired"
    assert inst.link_version(inst.Layout(prefix), inst.CURRENT) == "1.0.0"


def test_the_agent_exits_non_zero_when_its_probation_fails(board):
    rig, _ = board
    agent = rig.start()
    assert agent.exit_code == 0
    agent._upgrade_failed()
    assert agent.exit_code == EXIT_RESTART and agent.stopping.is_set()


def test_a_rollback_and_a_refused_package_are_upgrade_events_of_the_agent(board):
    """The contract's ``upgrade`` event for the outcomes the agent learns at start
    (a rollback by its boot check) and while it runs (a package refused)."""
    rig, prefix = board
    clock = FakeClock()
    hooks = UpgradeHooks(rig.cfg, clock, lambda *a: None, lambda: None)
    assert hooks.boot_check()["action"] == "installed"       # 1.1.0 on probation ...
    hooks.probation.milestone("started")
    clock.advance(rig.cfg.upgrade["probation_s"] + 1)
    assert hooks.check(100.0) is True                          # ... which it failed
    agent = rig.start()                                        # the boot check rolls back
    assert inst.link_version(inst.Layout(prefix), inst.CURRENT) == "1.0.0"
    assert upgrade_events(rig)[-1] == ("warning", "rolled_back", "1.0.0")   # back on 1.0.0
    detail = agent.store.events(type="upgrade")[-1]["detail"]
    assert detail["failed"] == "1.1.0" and detail["reason"] == "probation_expired"
    assert inst.pending_events(prefix) == []
    agent.handlers.upgrade.on_event({"result": "refused", "reason": "bad_signature",
                                     "version": "1.2.0", "transfer": "t1"})
    last = agent.store.events(type="upgrade")[-1]
    assert last["severity"] == "warning" and last["detail"]["result"] == "refused"
    assert last["detail"]["reason"] == "bad_signature"
