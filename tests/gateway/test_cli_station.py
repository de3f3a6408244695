"""`concentrator control`, `recall`, `diag`, `backup` and `restore`: what the
master station can do, at the console; through the running agent and offline."""

import datetime
import json
import os
import tarfile

import pytest

from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig, fits, run


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = AgentRig(tmp_path_factory.mktemp("station"))
    yield r
    r.stop()


def sim_of(rig, mid):
    address = dict((m["id"], m["address"]) for m in rig.agent.archive.list())[mid]
    return rig.meters()[address]


def test_control_works_the_valve_and_says_its_state(rig):
    r = run(rig, "control", "m-0004", "valve.close", input="n\n")
    assert r.exit_code == 1 and "nothing done: not confirmed" in r.stderr
    assert sim_of(rig, "m-0004").value("valve.state") == "open"
    r = run(rig, "control", "m-0004", "valve.close", "--yes")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "m-0004 valve.close: valve is now closed\n"
    assert sim_of(rig, "m-0004").value("valve.state") == "closed"
    r = run(rig, "control", "m-0004", "valve.open", "-y", "--json")
    assert json.loads(r.stdout) == {"meter": "m-0004", "action": "valve.open", "state": "open"}
    assert sim_of(rig, "m-0004").value("valve.state") == "open"


def test_control_refusals_say_why(rig):
    r = run(rig, "control", "m-0005", "valve.close", "--yes")       # the stuck valve
    assert r.exit_code == 1 and "the meter reports the valve fault, not closed" in r.stderr
    assert "events --meter m-0005" in r.stderr
    r = run(rig, "control", "m-0001", "valve.close", "--yes")       # DL/T645: a relay
    assert r.exit_code == 1 and "needs a CJ/T188 meter" in r.stderr
    r = run(rig, "control", "m-0404", "relay.open", "--yes")
    assert r.exit_code == 2 and "m-0404" in r.stderr
    r = run(rig, "control", "m-0001", "relay.toggle")
    assert r.exit_code == 2 and "relay.toggle" in r.stderr


def test_recall_queues_stored_values_again(rig):
    assert run(rig, "read", "m-0001").exit_code == 0
    today = (datetime.datetime.now(datetime.timezone.utc) +
             datetime.timedelta(hours=8)).strftime("%Y-%m-%d")
    r = run(rig, "recall", "m-0001", "--kind", "realtime", "--from", today, "--to", today,
            "--json")
    assert r.exit_code == 0, r.stderr
    n = json.loads(r.stdout)["records"]
    stored = ControlClient(rig.socket).call("data", {"meter": "m-0001", "kind": "realtime"})
    assert n == len(stored["values"]) >= 1
    r = run(rig, "recall", "m-0001", "--kind", "realtime", "--from", today, "--to", today)
    assert r.exit_code == 0
    assert r.stdout == "%d realtime values queued for the master station again (%s 00:00:00 .. " \
        "%s 00:00:00)\n" % (n, today, (datetime.date.fromisoformat(today) +
                                       datetime.timedelta(days=1)).isoformat())
    r = run(rig, "recall", "--kind", "daily", "--from", "2026-11-10", "--to", "2026-11-01")
    assert r.exit_code == 2 and "must be before" in r.stderr
    r = run(rig, "recall", "--kind", "daily", "--from", "soon", "--to", today)
    assert r.exit_code == 2 and "--from: 'soon' is not a time" in r.stderr


def test_diag_fits_the_screen_and_json_is_the_ops(rig):
    r = run(rig, "diag")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    shown = dict((line.split(None, 1) + [""])[:2] for line in lines if line)
    assert shown["store"].startswith("integrity ok")
    assert [line.split()[0] for line in lines[lines.index("") + 2:]] == \
        ["bus1", "bus2", "bus3", "bus4", "radio"]
    doc = json.loads(run(rig, "diag", "--json").stdout)
    assert set(doc["ports"]) == {"bus1", "bus2", "bus3", "bus4", "radio"} and doc["meters"] == 8


def test_backup_while_running_then_restore_with_the_agent_stopped(tmp_path):
    rig = AgentRig(tmp_path / "c")
    try:
        path = str(tmp_path / "c01.tar.gz")
        r = run(rig, "backup", path)
        assert r.exit_code == 0, r.stderr
        assert r.stdout.startswith("backup written to %s: store.db " % path)
        with tarfile.open(path) as tar:
            assert sorted(tar.getnames())[:2] == ["archive.json", "manifest.json"]
        r = run(rig, "meters", "add", "-a", "000000000777", "-p", "dlt645-2007", "--port", "bus1")
        assert r.exit_code == 0, r.stderr
        r = run(rig, "restore", path, "--yes")
        assert r.exit_code == 1 and "the agent is running" in r.stderr
        rig.stop()
        r = run(rig, "restore", path, input="n\n")
        assert r.exit_code == 1 and "nothing restored: not confirmed" in r.stderr
        r = run(rig, "restore", path, "--yes")
        assert r.exit_code == 0, r.stderr
        lines = fits(r.stdout)
        assert lines[0].startswith("restored ") and [line.split()[0] for line in lines
                                                     if not line.startswith(" ")] == \
            ["restored", "made", "files"]
        ids = [m["id"] for m in json.loads(run(rig, "meters", "list", "--json").stdout)["meters"]]
        assert "m-0009" not in ids and len(ids) == 8
        # offline, a backup works on the files too; a bad file is named
        r = run(rig, "backup", str(tmp_path / "again.tar.gz"), "--json")
        assert r.exit_code == 0 and json.loads(r.stdout)["format"] == "concentrator-backup"
        (tmp_path / "bad.tar.gz").write_bytes(b"not a backup")
        r = run(rig, "restore", str(tmp_path / "bad.tar.gz"), "--yes")
        assert r.exit_code == 1 and "is not a backup file" in r.stderr
        r = run(rig, "restore", str(tmp_path / "missing.tar.gz"), "--yes")
        assert r.exit_code == 2 and "no backup file" in r.stderr
        assert os.path.exists(os.path.join(rig.data_dir, "store.db"))
    finally:
        rig.stop()


def test_control_needs_the_agent(tmp_path):
    rig = AgentRig(tmp_path, start=False)
    r = run(rig, "control", "m-0004", "valve.close", "--yes")
    assert r.exit_code == 1 and "needs the running agent" in r.stderr
    r = run(rig, "diag")
    assert r.exit_code == 0 and "the agent is not running" in r.stderr
