"""`concentrator read`, `freeze`, `time`, `status`: through the running agent,
and what they say when it is not running."""

import datetime
import json
import re
import time

import pytest

from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig, fits, init_and_login, run
from upstream import jsonexact

IDS = ["m-%04d" % i for i in range(1, 9)]
E = "energy.active.import.total"


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = AgentRig(tmp_path_factory.mktemp("agent"))
    yield r
    r.stop()


def test_read_all_prints_every_meters_values_and_stores_them(rig):
    r = run(rig, "read", "--all")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert [line for line in lines if not line.startswith(" ")][:-1] == IDS
    assert lines[-1] == "8 of 8 meters read"
    assert r.stderr.startswith("reading 8 meters")          # the progress bar's label
    heat = lines.index("m-0006")
    assert [line.split()[0] for line in lines[heat + 1:heat + 7]] == [
        "heat.energy.total", "volume.total", "heat.power", "flow.rate", "temperature.supply",
        "temperature.return"]
    # what was printed is what the store holds, digit for digit
    stored = ControlClient(rig.socket).call("data", {"meter": "m-0001", "kind": "realtime"})
    for v in stored["values"]:
        row = [line.split() for line in lines if line.split()[:1] == [v["q"]]][0]
        value = v["value"]
        if isinstance(value, bool):                  # flags (tamper.*) as the table says them
            assert row[1:] == [str(value).lower()]
        elif isinstance(value, int):                 # counters: whole numbers, no unit
            assert row[1:] == [str(value)] and v["unit"] == ""
        else:
            assert row[1] == format(value, "f") and row[2] == v["unit"]


def test_read_json_is_exact_and_item_limits_the_quantities(rig):
    r = run(rig, "read", "m-0003", "m-0008", "--item", E, "--item", "voltage.a", "--json")
    assert r.exit_code == 0, r.stderr
    doc = jsonexact.loads(r.stdout)
    assert list(doc["meters"]) == ["m-0003", "m-0008"]
    for mid in ("m-0003", "m-0008"):
        assert [v["q"] for v in doc["meters"][mid]["values"]] == [E, "voltage.a"]
        assert all(v["unit"] in ("kWh", "V") for v in doc["meters"][mid]["values"])
    v = doc["meters"]["m-0008"]["values"][1]["value"]
    assert '"value":%s,' % format(v, "f") in r.stdout        # DL/T645-2007 voltage: XXX.X


def test_read_of_a_silent_meter_fails_that_meter_only(rig):
    c = ControlClient(rig.socket)
    c.call("meters.add", {"meters": {"id": "ghost", "address": "000000000999",
                                     "protocol": "dlt645-2007", "port": "bus1"}})
    try:
        r = run(rig, "read", "m-0004", "ghost")
    finally:
        c.call("meters.remove", {"meters": ["ghost"]})
    assert r.exit_code == 1
    lines = fits(r.stdout)
    assert lines[0] == "m-0004" and lines[1].split()[0] == "volume.total"
    assert [line.split()[0] for line in lines[2:4]] == ["valve.state", "battery.low"]
    # (a note may follow m-0004's values: an earlier test read it in the same minute)
    assert [line for line in lines if line.startswith("ghost")][0].startswith(
        "ghost  error: meter_error: ")
    assert lines[-1] == "1 of 2 meters read; failed: ghost"


def test_read_refusals(rig):
    r = run(rig, "read", "m-0001", "m-0077")
    assert r.exit_code == 2 and "no meter m-0077 in the archive" in r.stderr
    r = run(rig, "read", "m-0001", "--item", "voltage.x")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == ["error: --item voltage.x is not a quantity name",
                                     "hint: did you mean voltage.c or voltage.b or voltage.a?"]
    r = run(rig, "read")
    assert r.exit_code == 2 and "which meters?" in r.stderr


def test_time_shows_the_clock_and_sets_it_in_local_time(rig):
    r = run(rig, "time")
    assert r.exit_code == 0
    lines = fits(r.stdout)
    assert lines[0].startswith("concentrator clock  ") and lines[0].endswith(" UTC+08:00")
    r = run(rig, "time", "--json")
    assert abs(json.loads(r.stdout)["epoch"] - time.time()) < 5
    # local time means the concentrator's offset (+08:00), whatever the PC's is
    local = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8))
    r = run(rig, "time", "--set", local.strftime("%Y-%m-%d %H:%M:%S"))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("clock set to %s UTC+08:00 (correction "
                               % local.strftime("%Y-%m-%d %H:%M:%S"))
    correction = float(r.stdout.split("correction ")[1].split(" s)")[0])
    assert abs(correction) < 2
    r = run(rig, "time", "--json")
    last = json.loads(r.stdout)["last_correction"]
    assert last["ts"].endswith("+08:00") and abs(last["correction_s"] - correction) < 0.01
    r = run(rig, "time", "--set", "soon")
    assert r.exit_code == 2 and "--set: 'soon' is not a time" in r.stderr
    r = run(rig, "time", "m-0001")
    assert r.exit_code == 2 and "meter ids are for --sync-meters" in r.stderr


def test_time_set_now_is_this_machines_time(rig):
    ahead = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    r = run(rig, "time", "--set", ahead.isoformat(timespec="seconds"))
    assert r.exit_code == 0, r.stderr
    init_and_login(rig)                 # a clock jump ends the open sessions
    assert abs(json.loads(run(rig, "time", "--json").stdout)["epoch"] - time.time() - 3600) < 60
    r = run(rig, "time", "--set", "now")             # was a no-op: the agent's own time
    assert r.exit_code == 0, r.stderr
    correction = float(r.stdout.split("correction ")[1].split(" s)")[0])
    assert abs(correction + 3600) < 60
    init_and_login(rig)
    assert abs(json.loads(run(rig, "time", "--json").stdout)["epoch"] - time.time()) < 60


def test_time_sync_meters_reports_each_meter(rig):
    r = run(rig, "time", "--sync-meters", "m-0001", "m-0004", "m-0007")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert lines[0].split() == ["meter", "meter", "clock", "off", "s", "action", "note"]
    rows = dict((line.split()[0], line) for line in lines[1:4])
    assert "within 2 s" in rows["m-0001"] and "within 2 s" in rows["m-0004"]
    assert "modbus meters keep no clock" in rows["m-0007"]
    assert lines[-1] == "3 of 3 meters checked"
    assert r.stderr.startswith("checking 3 meters")
    r = run(rig, "time", "--sync-meters", "m-0004", "--json")
    doc = json.loads(r.stdout)["meters"]["m-0004"]
    assert doc["action"] == "none" and abs(doc["deviation_s"]) <= 2


def test_freeze_broadcasts_and_queues_reads(rig):
    r = run(rig, "freeze", "--kind", "daily", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc == {"broadcast": ["bus1", "radio"], "meters": 8, "instant": 3}
    r = run(rig, "freeze", "--kind", "hourly")
    assert r.stdout == ("freeze hourly: broadcast on bus1, radio; 8 meter reads queued, 3 of "
                        "the instant freeze record\n")
    r = run(rig, "freeze")
    assert r.exit_code == 2 and "--kind" in r.stderr


def test_status_fits_one_screen(rig):
    r = run(rig, "status")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert len(lines) <= 24
    assert lines[0].startswith("concentrator c01  fw ") and "agent running, up " in lines[0]
    shown = dict((line[:10].strip(), line[10:]) for line in lines[1:7])
    assert shown["clock"].endswith(" UTC+08:00, drift -")
    assert shown["meters"] == "8 in the archive, 0 offline"
    store = re.search(r" of 64\.0 MiB \((\d+\.\d) %\)$", shown["store"])   # file and WAL
    assert store and float(store.group(1)) < 5, shown["store"]
    assert shown["uplink"] == "disabled in the configuration"
    assert shown["backlog"].endswith(" batches unacknowledged, oldest -")
    head = lines.index("") + 1
    assert lines[head].split() == ["port", "requests", "replies", "timeouts", "success",
                                   "queue", "last", "error"]
    assert [line.split()[0] for line in lines[head + 1:]] == ["bus1", "bus2", "bus3", "bus4",
                                                              "radio"]
    doc = json.loads(run(rig, "status", "--json").stdout)
    bus1 = [line.split() for line in lines if line.startswith("bus1")][0]
    assert int(bus1[1]) <= doc["ports"]["bus1"]["requests"] and doc["agent"] == "running"


def test_without_the_agent_bus_work_is_refused_and_the_rest_works(tmp_path):
    rig = AgentRig(tmp_path)
    rig.stop()
    note = "note: the agent is not running; working on the files in %s\n" % rig.data_dir
    for args, op in ((("read", "m-0001"), "read"), (("read", "--all"), "read"),
                     (("freeze", "--kind", "daily"), "freeze"),
                     (("time", "--set", "now"), "time.set"),
                     (("time", "--sync-meters"), "time.sync_meters")):
        r = run(rig, *args)
        assert r.exit_code == 1, args
        error, hint = r.stderr.splitlines()
        assert error.startswith("error: %s needs the running agent and it is not running" % op)
        assert hint.startswith("hint: start the agent")
    r = run(rig, "time")
    assert r.exit_code == 0 and r.stderr == note and "UTC+08:00" in r.stdout
    r = run(rig, "status")
    assert r.exit_code == 0 and r.stderr == note
    lines = fits(r.stdout)
    assert "agent not running" in lines[0] and len(lines) <= 24
    assert lines[3] == "meters    8 in the archive, 0 offline"
    assert lines[-1] == "ports: no counters (they live in the running agent)"
