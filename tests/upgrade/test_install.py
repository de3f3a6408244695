"""Install, probation, rollback, and a kill at every step."""

import json
import os
from collections import namedtuple

import pytest

from gateway.upgrade import install as inst
from gateway.upgrade.package import PackageError
from tests.upgrade.conftest import (Agent, Kill, KillAt, assert_starts, current, rewrite,
                                    snapshot)

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def board(tmp_path, make_package, trusted, clock):
    """A board running 1.0.0 (confirmed), with a store file in its data dir."""
    prefix = str(tmp_path / "opt")
    inst.install(make_package("1.0.0"), prefix, trusted, clock)
    assert [e["result"] for e in inst.pending_events(prefix)] == ["confirmed"]
    inst.clear_events(prefix, inst.pending_events(prefix)[-1]["id"])
    data = tmp_path / "data"
    data.mkdir()
    (data / "store.db").write_bytes(b"schema 1")
    return prefix, str(data / "store.db")


def state(prefix):
    return inst.load_state(inst.Layout(prefix))


def test_first_install_is_confirmed(board):
    prefix, _ = board
    assert assert_starts(prefix) == "1.0.0"
    assert state(prefix)["state"] == "confirmed"
    assert inst.boot_check(prefix, None)["action"] == "ok"


def test_upgrade_to_a_good_release_ends_on_it(board, make_package, trusted, clock):
    prefix, store = board
    done = inst.install(make_package("1.1.0"), prefix, trusted, clock, store_path=store)
    assert done == {"version": "1.1.0", "previous": "1.0.0", "state": "installed"}
    assert os.readlink(os.path.join(prefix, "current")) == "releases/1.1.0"
    assert os.readlink(os.path.join(prefix, "previous")) == "releases/1.0.0"
    agent = Agent(prefix, clock)
    assert agent.supervise() == "1.1.0"
    st = state(prefix)
    assert st["state"] == "confirmed" and st["previous"] == "1.0.0"
    assert [e["result"] for e in agent.events] == ["installed", "confirmed"]
    assert inst.pending_events(prefix) == []
    assert sorted(os.listdir(os.path.join(prefix, "releases"))) == ["1.0.0", "1.1.0"]
    assert not os.path.exists(os.path.join(prefix, inst.BACKUP_DIR))
    assert open(store, "rb").read() == b"schema 1"      # the data directory is untouched


def test_release_that_crashes_at_start_is_rolled_back(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0", behaviour="crash"), prefix, trusted, clock,
                 max_attempts=3)
    agent = Agent(prefix, clock)
    assert agent.supervise() == "1.0.0"
    assert [b["action"] for b in agent.boots] == ["installed", "probation", "probation",
                                                  "rolled_back"]
    st = state(prefix)
    assert st["state"] == "rolled_back" and st["reason"] == "crashed_at_start"
    assert st["failed"] == "1.1.0" and st["running"] == "1.0.0"
    ev = agent.events[-1]
    assert ev["result"] == "rolled_back" and ev["reason"] == "crashed_at_start"
    assert ev["failed"] == "1.1.0" and ev["version"] == "1.0.0"
    assert not os.path.lexists(os.path.join(prefix, "previous"))
    # the next upgrade is allowed again
    inst.install(make_package("1.1.1"), prefix, trusted, clock)
    assert Agent(prefix, clock).supervise() == "1.1.1"


def test_release_that_hangs_is_rolled_back_when_probation_expires(board, make_package,
                                                                   trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0", behaviour="hang"), prefix, trusted, clock,
                 probation_s=600, max_attempts=5)
    agent = Agent(prefix, clock, probation_s=600)
    assert agent.supervise() == "1.0.0"
    assert agent.boots[-1]["reason"] == "probation_expired"
    assert agent.events[-1]["reason"] == "probation_expired"


def test_release_that_fails_probation_is_rolled_back_with_its_store(board, make_package,
                                                                     trusted, clock):
    prefix, store = board
    inst.install(make_package("1.1.0", behaviour="fail"), prefix, trusted, clock,
                 store_path=store)
    # the first start copies the store before the new version migrates it
    assert inst.boot_check(prefix, clock)["action"] == "installed"
    with open(store, "wb") as f:
        f.write(b"schema 2")
    with open(store + "-wal", "wb") as f:
        f.write(b"new log")
    inst.Probation(prefix, clock).milestone("started")
    assert inst.Probation(prefix, clock).fail("probation_failed", "no reading round")
    agent = Agent(prefix, clock)
    assert agent.supervise() == "1.0.0"
    assert agent.boots[0]["action"] == "rolled_back"
    assert agent.boots[0]["reason"] == "probation_failed"
    assert open(store, "rb").read() == b"schema 1"
    assert not os.path.exists(store + "-wal")


def test_confirmed_version_keeps_the_migrated_store(board, make_package, trusted, clock):
    prefix, store = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock, store_path=store)
    inst.boot_check(prefix, clock)
    open(store, "wb").write(b"schema 2")
    p = inst.Probation(prefix, clock)
    assert p.milestone("started") is None and p.active
    assert p.milestone("reading_round") is None
    ev = p.milestone("batch_acked")
    assert ev["result"] == "confirmed" and ev["version"] == "1.1.0"
    assert not p.active
    assert open(store, "rb").read() == b"schema 2"
    assert not os.path.exists(os.path.join(prefix, inst.BACKUP_DIR))


def test_only_the_milestones_that_apply(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock, required=("started",))
    inst.boot_check(prefix, clock)
    assert inst.Probation(prefix, clock).milestone("started")["result"] == "confirmed"


def test_probation_check_at_run_time(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock, probation_s=100)
    inst.boot_check(prefix, clock)
    p = inst.Probation(prefix, clock)
    assert p.check() is False
    clock.advance(101)
    assert p.check() is True            # the agent restarts; the boot check rolls back
    assert inst.boot_check(prefix, clock)["reason"] == "probation_expired"
    assert current(prefix) == "1.0.0"


def test_clock_set_after_power_up_is_not_a_hang(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock, probation_s=100)
    clock_at_install = clock.time()
    clock.t = 0.0                       # no RTC: the board wakes up in 1970
    inst.boot_check(prefix, clock)
    p = inst.Probation(prefix, clock)
    assert p.check() is False
    step = clock_at_install + 600.0     # NTP puts it right
    clock.advance(step)
    p.clock_set(step)
    assert p.check() is False
    clock.advance(101)
    assert p.check() is True


def test_manual_rollback(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock)
    Agent(prefix, clock).supervise()
    assert inst.rollback(prefix, clock)["action"] == "rollback_requested"
    assert current(prefix) == "1.1.0"
    assert inst.boot_check(prefix, clock)["action"] == "rolled_back"
    assert current(prefix) == "1.0.0" and state(prefix)["reason"] == "manual"
    with pytest.raises(inst.InstallError) as err:
        inst.rollback(prefix, clock, now=True)
    assert err.value.reason == "no_previous"


def test_an_install_during_probation_is_refused(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock)
    with pytest.raises(inst.InstallError) as err:
        inst.install(make_package("1.2.0"), prefix, trusted, clock)
    assert err.value.reason == "busy"


@pytest.mark.parametrize("case", ["tampered", "unsigned", "unknown_key", "not_newer",
                                  "same_version", "wrong_product", "no_space"])
def test_refused_packages_change_nothing(board, make_package, trusted, clock, other_key,
                                         tmp_path, case):
    prefix, store = board
    kw = {}
    if case == "tampered":
        path = rewrite(make_package("1.1.0"), str(tmp_path / "t.upg"),
                       lambda ms: ms[-1].__setitem__(1, b"evil"))
    elif case == "unsigned":
        path = rewrite(make_package("1.1.0"), str(tmp_path / "u.upg"), lambda ms: ms.pop(1))
    elif case == "unknown_key":
        path = make_package("1.1.0", key=other_key)
    elif case == "not_newer":
        path = make_package("0.9.0")
    elif case == "same_version":
        path = make_package("1.0.0")
    elif case == "wrong_product":
        path = make_package("1.1.0", product="other")
    else:
        path = make_package("1.1.0")
        kw["disk_usage"] = lambda p: Usage(1000, 1000, 0)
    before = snapshot(prefix)
    with pytest.raises(PackageError) as err:
        inst.install(path, prefix, trusted, clock, store_path=store, **kw)
    expected = {"unsigned": "unsigned", "tampered": "tampered", "unknown_key": "unknown_key",
                "not_newer": "not_newer", "same_version": "not_newer",
                "wrong_product": "wrong_product", "no_space": "no_space"}[case]
    assert err.value.reason == expected
    assert snapshot(prefix) == before
    assert inst.boot_check(prefix, clock)["action"] == "ok"


def test_downgrade_from_the_console(board, make_package, trusted, clock):
    prefix, _ = board
    path = make_package("0.9.0")
    inst.install(path, prefix, trusted, clock, allow_downgrade=True)
    assert Agent(prefix, clock).supervise() == "0.9.0"


def test_reinstalling_a_version_that_was_rolled_back(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0", behaviour="crash"), prefix, trusted, clock)
    assert Agent(prefix, clock).supervise() == "1.0.0"
    inst.install(make_package("1.1.0"), prefix, trusted, clock)      # fixed build, same number
    assert Agent(prefix, clock).supervise() == "1.1.0"


def test_old_releases_are_removed_but_the_fallback_kept(board, make_package, trusted, clock):
    prefix, _ = board
    for v in ("1.1.0", "1.2.0", "1.3.0"):
        inst.install(make_package(v), prefix, trusted, clock)
        Agent(prefix, clock).supervise()
    assert sorted(os.listdir(os.path.join(prefix, "releases"))) == ["1.2.0", "1.3.0"]
    assert inst.status(prefix)["previous"] == "1.2.0"


def test_wheels_packages_are_installed_with_pip(tmp_path, vendor_key, trusted, clock):
    import zipfile
    from gateway.upgrade import package
    src = tmp_path / "wheels"
    src.mkdir()
    whl = src / "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("demo_pkg/__init__.py", "X = 1\n")
        z.writestr("demo_pkg-1.0.dist-info/METADATA",
                   "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n")
        z.writestr("demo_pkg-1.0.dist-info/WHEEL",
                   "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                   "Tag: py3-none-any\n")
        z.writestr("demo_pkg-1.0.dist-info/RECORD", "")
    out = str(tmp_path / "w.upg")
    package.build(str(src), out, vendor_key, "2.0.0", built=0)
    prefix = str(tmp_path / "opt")
    inst.install(out, prefix, trusted, clock)
    assert os.path.isfile(os.path.join(prefix, "current", "site", "demo_pkg", "__init__.py"))


def test_status_says_everything(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock)
    inst.boot_check(prefix, clock)
    st = inst.status(prefix)
    assert st["state"] == "probation" and st["current"] == "1.1.0" and st["attempts"] == 1
    assert st["releases"] == ["1.0.0", "1.1.0"]
    json.dumps(st)


def test_standalone_boot_check(board, capsys):
    prefix, _ = board
    assert inst.main(["boot-check", "--prefix", prefix]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "ok"
    os.chmod(os.path.join(prefix, inst.STATE_FILE), 0o644)
    assert inst.main(["boot-check", "--prefix", "/nonexistent/prefix"]) == 0


# ------------------------------------------------------------ kills
def _steps(run):
    hook = KillAt()
    run(hook)
    return hook.steps


def _fresh(tmp_path, make_package, trusted, clock, n, behaviour="ok"):
    prefix = str(tmp_path / ("opt%d" % n))
    inst.install(make_package("1.0.0"), prefix, trusted, clock)
    inst.clear_events(prefix, 1)
    data = tmp_path / ("data%d" % n)
    data.mkdir()
    (data / "store.db").write_bytes(b"schema 1")
    new = make_package("1.1.0", behaviour=behaviour)
    return prefix, str(data / "store.db"), new


def test_a_kill_at_every_step_of_the_install_ends_on_a_version_that_starts(
        tmp_path, make_package, trusted, clock):
    prefix, store, new = _fresh(tmp_path, make_package, trusted, clock, 0)
    steps = _steps(lambda h: inst.install(new, prefix, trusted, clock, store_path=store,
                                          hook=h))
    assert "link:current" in steps and len(steps) >= 8
    for k in range(len(steps)):
        prefix, store, new = _fresh(tmp_path, make_package, trusted, clock, k + 1)
        with pytest.raises(Kill):
            inst.install(new, prefix, trusted, clock, store_path=store, hook=KillAt(k))
        agent = Agent(prefix, clock)
        version = agent.supervise()
        assert_starts(prefix)
        # before the switch: back on 1.0.0, and saying so; after it: 1.1.0 runs
        assert version == ("1.1.0" if k > steps.index("link:current") else "1.0.0"), steps[k]
        if version == "1.0.0" and k > steps.index("state:installing"):
            assert agent.events[-1]["reason"] == "install_interrupted"
        # and the board takes the upgrade afterwards
        if version == "1.0.0":
            inst.install(new, prefix, trusted, clock, store_path=store)
            assert Agent(prefix, clock).supervise() == "1.1.0"
        assert open(store, "rb").read() == b"schema 1"


def test_a_kill_at_every_step_of_a_rollback_ends_on_the_old_version(
        tmp_path, make_package, trusted, clock):
    def prepare(n):
        prefix, store, new = _fresh(tmp_path, make_package, trusted, clock, n, "crash")
        inst.install(new, prefix, trusted, clock, store_path=store, max_attempts=1)
        assert inst.boot_check(prefix, clock)["action"] == "installed"
        open(store, "wb").write(b"schema 2")
        open(store + "-wal", "wb").write(b"log 2")
        return prefix, store
    prefix, store = prepare(0)
    steps = _steps(lambda h: inst.boot_check(prefix, clock, hook=h))
    assert "link:current" in steps and "restore:store" in steps
    for k in range(len(steps)):
        prefix, store = prepare(k + 1)
        with pytest.raises(Kill):
            inst.boot_check(prefix, clock, hook=KillAt(k))
        agent = Agent(prefix, clock)
        assert agent.supervise() == "1.0.0", steps[k]
        assert_starts(prefix)
        assert state(prefix)["state"] == "rolled_back"
        assert state(prefix)["reason"] == "crashed_at_start"
        assert open(store, "rb").read() == b"schema 1"
        assert not os.path.exists(store + "-wal")


def test_a_kill_at_every_step_of_the_first_start_and_confirmation(
        tmp_path, make_package, trusted, clock):
    def run(prefix, hook):
        inst.boot_check(prefix, clock, hook=hook)
        p = inst.Probation(prefix, clock, hook=hook)
        for m in inst.MILESTONES:
            p.milestone(m)
    prefix, store, new = _fresh(tmp_path, make_package, trusted, clock, 0)
    inst.install(new, prefix, trusted, clock, store_path=store)
    steps = _steps(lambda h: run(prefix, h))
    assert "backup:store" in steps and "state:confirmed" in steps
    for k in range(len(steps)):
        prefix, store, new = _fresh(tmp_path, make_package, trusted, clock, k + 1)
        inst.install(new, prefix, trusted, clock, store_path=store)
        with pytest.raises(Kill):
            run(prefix, KillAt(k))
        assert Agent(prefix, clock).supervise() == "1.1.0", steps[k]
        assert_starts(prefix)
        assert state(prefix)["state"] == "confirmed"


def test_boot_check_repairs_a_missing_current_link(board, make_package, trusted, clock):
    prefix, _ = board
    inst.install(make_package("1.1.0"), prefix, trusted, clock)
    Agent(prefix, clock).supervise()
    os.unlink(os.path.join(prefix, "current"))
    assert inst.boot_check(prefix, clock)["action"] == "repaired"
    assert_starts(prefix)
