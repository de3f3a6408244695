"""`concentrator params get/set`: validated by the agent, and offline on the file."""

import json

import pytest

from store import params_table
from tests.gateway.agent_rig import AgentRig, fits, run


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = AgentRig(tmp_path_factory.mktemp("params"))
    yield r
    r.stop()


def test_get_lists_every_key_whole_in_80_columns(rig):
    r = run(rig, "params", "get")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert lines[0].split() == ["key", "value", "set", "description"]
    keys = [line.split()[0] for line in lines[1:len(params_table.ALL) + 1]]
    assert keys == [p.key for p in params_table.ALL]        # never cut: one types them
    row = [line for line in lines if line.startswith("plan.realtime_interval_min ")][0]
    assert row.split()[1:3] == ["0", "*"]                    # the rig sets it; default 15
    row = [line for line in lines if line.startswith("plan.hourly ")][0]
    assert row.split()[1:3] == ["true", "freeze"]            # the default: no mark
    assert "*: set, differs from the default" in lines
    assert lines[-1].endswith("cut (~): concentrator params get KEY shows one in full")


def test_get_of_one_key_shows_its_default_and_what_it_takes(rig):
    r = run(rig, "params", "get", "plan.items.heat.realtime")
    assert r.exit_code == 0
    lines = fits(r.stdout)
    assert lines[1:3] == ["value    heat.energy.total,volume.total,heat.power,flow.rate,"
                          "temperature.supply,", "         temperature.return,valve.state,"
                          "battery.low"]
    shown = dict(line.split(None, 1) for line in lines if not line.startswith(" "))
    assert lines[4] == "         temperature.return,valve.state,battery.low (in use)"
    assert shown["takes"] == "a list of quantity names such as energy.active.import.total"
    r = run(rig, "params", "get", "clock.", "retention.daily_days", "--json")
    rows = json.loads(r.stdout)["params"]
    assert [x["key"] for x in rows] == [p.key for p in params_table.ALL
                                        if p.key.startswith("clock.")] + ["retention.daily_days"]
    assert rows[-1] == {"key": "retention.daily_days", "value": 400, "default": 400,
                        "is_default": True, "type": "int",
                        "allowed": "a whole number 1..36600",
                        "description": "keep daily values N days"}
    r = run(rig, "params", "get", "plan.nope")
    assert r.exit_code == 2 and "unknown parameter 'plan.nope'" in r.stderr


def test_set_validates_all_before_storing_any(rig):
    r = run(rig, "params", "set", "clock.check_time=03:15", "plan.realtime_interval_by_port=bus4=60")
    assert r.exit_code == 0, r.stderr
    assert fits(r.stdout) == ["clock.check_time                02:30 -> 03:15",
                              'plan.realtime_interval_by_port  "" -> bus4=60']
    assert rig.agent.params.get("plan.realtime_interval_by_port") == "bus4=60"
    r = run(rig, "params", "get", "clock.check_time", "--json")
    assert json.loads(r.stdout)["params"][0]["is_default"] is False
    r = run(rig, "params", "set", "plan.daily=false", "plan.hourly=maybe")
    assert r.exit_code == 2
    error, hint = r.stderr.splitlines()
    assert error == "error: plan.hourly = 'maybe' is not allowed: use true or false"
    assert hint.startswith("hint: nothing was set")
    assert rig.agent.params.get("plan.daily") is True
    r = run(rig, "params", "set", "clock.check_time=03:15")
    assert r.stdout == "nothing changed: clock.check_time already is so\n"
    r = run(rig, "params", "set", "plan.daily")
    assert r.exit_code == 2 and "'plan.daily' is not KEY=VALUE" in r.stderr
    r = run(rig, "params", "set", "store.budget_mb=8", "--json")
    assert r.exit_code == 2 and "store.budget_mb" in r.stderr and r.stdout == ""


def test_offline_params_are_read_and_set_on_the_file(tmp_path):
    rig = AgentRig(tmp_path)
    rig.stop()
    r = run(rig, "params", "set", "health.zero_days=5", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr.startswith("note: the agent is not running; working on the files in ")
    assert json.loads(r.stdout) == {"changed": {"health.zero_days": {"old": 3, "new": 5}}}
    r = run(rig, "params", "get", "health.")
    lines = fits(r.stdout)
    row = [line for line in lines if line.startswith("health.zero_days ")][0]
    assert row.split()[1:3] == ["5", "*"]
    rig.start()                               # the agent starts with what was set
    try:
        assert rig.agent.params.get("health.zero_days") == 5
    finally:
        rig.stop()


def test_a_key_taken_at_start_says_so_and_one_that_applies_at_once_does_not(rig):
    r = run(rig, "params", "set", "store.synchronous=normal", "health.zero_days=4", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["restart_needed"] == ["store.synchronous"]
    r = run(rig, "params", "set", "store.synchronous=full")
    lines = fits(r.stdout)
    assert lines[-2:] == ["applies after a restart: store.synchronous",
                          "  systemctl restart concentrator"]
    r = run(rig, "params", "set", "uplink.status_interval=60", "--json")
    assert "restart_needed" not in json.loads(r.stdout)
