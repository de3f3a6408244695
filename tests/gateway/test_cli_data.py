"""`concentrator data`, `events`, `logs` on a running agent's store, and offline.

Daily values of m-0002 are put into the store with exact decimals (days
older than any catch-up reaches, so the agent adds none of its own); real-time
values come from real reads of the simulated meters.
"""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest

from gateway.cli.table import cols, table
from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig, fits, run
from upstream import jsonexact

CST = datetime.timezone(datetime.timedelta(hours=8))      # time.tz_offset_min = 480
DAYS = 30
E = "energy.active.import.total"


def value(k):
    return Decimal("4000.00") + k * Decimal("1.10")       # 4000.00, 4001.10, ... exact


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = AgentRig(tmp_path_factory.mktemp("data"))
    first = datetime.datetime.now(CST).date() - datetime.timedelta(days=130)
    r.days = [first + datetime.timedelta(days=k) for k in range(DAYS)]
    r.agent.store.put_readings([
        {"meter": "m-0002", "q": E, "unit": "kWh", "kind": "daily", "src": "meter",
         "ts": datetime.datetime.combine(d, datetime.time(), CST).timestamp(),
         "value": value(k)} for k, d in enumerate(r.days)])
    yield r
    r.stop()


def rows_of(lines):
    """(date, value text) of the table rows of `data`."""
    return [(line.split()[0], line.split()[3]) for line in lines[1:]
            if line[:4].isdigit()]


def test_data_table_shows_the_newest_20_exactly(rig):
    r = run(rig, "data", "m-0002")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert lines[0].split() == ["time", "UTC+08:00", "quantity", "value", "unit", "src"]
    assert rows_of(lines) == [(str(rig.days[k]), format(value(k), "f")) for k in range(10, 30)]
    assert "4013.20" in lines[3]                       # the trailing zero is the meter's
    assert lines[-1] == "20 values shown (the newest); --limit N or --all shows more"
    r = run(rig, "data", "m-0002", "--all")
    assert len(rows_of(fits(r.stdout))) == 30 and "shown" not in r.stdout
    r = run(rig, "data", "m-0002", "--limit", "3")
    assert [d for d, _ in rows_of(r.stdout.splitlines())] == [str(d) for d in rig.days[-3:]]
    r = run(rig, "data", "m-0002", "--limit", "3", "--all")
    assert r.exit_code == 2 and "--limit and --all" in r.stderr


def test_data_times_are_the_concentrators_local_time_or_iso(rig):
    d10, d12 = rig.days[10], rig.days[12]
    r = run(rig, "data", "m-0002", "--from", str(d10), "--to", str(d12))     # days included
    assert [d for d, _ in rows_of(r.stdout.splitlines())] == [str(d10), str(rig.days[11]),
                                                              str(d12)]
    r = run(rig, "data", "m-0002", "--from", "%sT00:00:00+08:00" % d10,
            "--to", "%sT00:00:00+08:00" % d12)
    assert [d for d, _ in rows_of(r.stdout.splitlines())] == [str(d10), str(rig.days[11])]
    r = run(rig, "data", "m-0002", "--from", "%s 12:00" % d10, "--to", str(d12))
    assert [d for d, _ in rows_of(r.stdout.splitlines())] == [str(rig.days[11]), str(d12)]
    # the same instant in UTC: midnight at +08:00 is 16:00Z the day before
    r = run(rig, "data", "m-0002", "--from", "%sT16:00:00Z" % rig.days[9], "--to", str(d10))
    assert [d for d, _ in rows_of(r.stdout.splitlines())] == [str(d10)]
    r = run(rig, "data", "m-0002", "--from", "yesterday")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == "error: --from: 'yesterday' is not a time"
    assert r.stderr.splitlines()[1].startswith("hint: use 2026-11-23, ")
    r = run(rig, "data", "m-0002", "--from", "2026-02-30")
    assert r.exit_code == 2 and "day is out of range" in r.stderr


def test_data_csv_and_json_keep_every_digit(rig):
    r = run(rig, "data", "m-0002", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 30                              # no table limit for machines
    assert [row["value"] for row in rows] == [format(value(k), "f") for k in range(DAYS)]
    assert rows[0]["ts"] == "%sT00:00:00+08:00" % rig.days[0] and rows[0]["src"] == "meter"
    r = run(rig, "data", "m-0002", "--json")
    doc = jsonexact.loads(r.stdout)
    assert (doc["shown"], doc["truncated"]) == (30, False)
    assert [v["value"] for v in doc["values"]] == [value(k) for k in range(DAYS)]
    assert '"value":4013.20,' in r.stdout
    r = run(rig, "data", "m-0002", "--json", "--limit", "2")
    doc = jsonexact.loads(r.stdout)
    assert [v["value"] for v in doc["values"]] == [value(28), value(29)] and doc["truncated"]


def test_data_of_a_read_is_what_read_printed_and_what_the_store_holds(rig):
    r = run(rig, "read", "m-0004", "m-0006", "--json")
    assert r.exit_code == 0, r.stderr
    read = jsonexact.loads(r.stdout)["meters"]["m-0006"]["values"]
    r = run(rig, "data", "m-0006", "--kind", "realtime", "--json")
    got = jsonexact.loads(r.stdout)["values"]
    assert sorted((v["q"], str(v["value"])) for v in got) == \
        sorted((v["q"], str(v["value"])) for v in read)
    stored = ControlClient(rig.socket).call("data", {"meter": "m-0006", "kind": "realtime"})
    assert [(v["q"], str(v["value"]), v["ts"]) for v in stored["values"]] == \
        [(v["q"], str(v["value"]), v["ts"]) for v in got]
    r = run(rig, "data", "m-0006", "--kind", "realtime", "--q", "volume.total")
    lines = fits(r.stdout)
    want = [v for v in read if v["q"] == "volume.total"][0]
    assert len(lines) == 2 and lines[1].split()[2:5] == ["volume.total",
                                                         format(want["value"], "f"), "m³"]


def test_data_refusals(rig):
    r = run(rig, "data", "m-0999")
    assert r.exit_code == 2 and "no meter m-0999 in the archive or the store" in r.stderr
    r = run(rig, "data", "m-0002", "--q", "voltage.a")
    assert r.exit_code == 0 and r.stdout == "no daily values of m-0002 stored\n"
    r = run(rig, "data", "m-0002", "--kind", "weekly")
    assert r.exit_code == 2


def test_events_default_to_the_last_24_hours(rig):
    r = run(rig, "events")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert lines[0].split()[:5] == ["time", "UTC+08:00", "type", "severity", "meter"]
    assert any(line.split()[2:4] == ["power_up", "info"] for line in lines[1:])
    r = run(rig, "events", "--type", "power_up", "--json")
    doc = json.loads(r.stdout)
    assert [e["type"] for e in doc["events"]] == ["power_up"] and doc["total"] == 1
    start = datetime.datetime.fromisoformat(doc["from"])
    end = datetime.datetime.fromisoformat(doc["to"])
    assert end - start == datetime.timedelta(hours=24)
    assert abs(end.timestamp() - datetime.datetime.now().timestamp()) < 30
    r = run(rig, "events", "--from", str(rig.days[0]), "--to", str(rig.days[1]))
    assert r.exit_code == 0 and r.stdout == "no events from %s 00:00:00 to %s 00:00:00 " \
        "(UTC+08:00)\n" % (rig.days[0], rig.days[2])


def test_logs_merge_the_categories_newest_last(rig):
    run(rig, "params", "set", "plan.hourly_offset_min=2")   # a modification to log
    r = run(rig, "logs", "--limit", "4")
    lines = fits(r.stdout)
    assert lines[0].split()[:4] == ["time", "UTC+08:00", "category", "message"]
    assert len(lines) == 6 and lines[-1].startswith("4 of ")
    assert lines[-1].endswith("log entries shown (the newest); --limit N or --all shows more")
    r = run(rig, "logs", "--category", "modification", "--json")
    doc = json.loads(r.stdout)
    assert [x["message"] for x in doc["logs"]][-1].startswith(
        "parameters changed by console:") and doc["logs"][-1]["message"].endswith(
        ": plan.hourly_offset_min")
    r = run(rig, "logs", "--category", "operation", "--all")
    lines = fits(r.stdout)
    assert lines[0].split() == ["time", "UTC+08:00", "message"]     # one category: no column
    assert any("command params.set from console:admin: ok" in line for line in lines)
    r = run(rig, "logs", "--category", "audit")
    assert r.exit_code == 2


def test_offline_data_events_and_logs_read_the_files(tmp_path):
    rig = AgentRig(tmp_path)
    try:
        read = ControlClient(rig.socket).call("read", {"meters": ["m-0001"]})
    finally:
        rig.stop()
    note = "note: the agent is not running; working on the files in %s\n" % rig.data_dir
    r = run(rig, "data", "m-0001", "--kind", "realtime", "--json")
    assert r.exit_code == 0 and r.stderr == note
    got = jsonexact.loads(r.stdout)["values"]
    assert sorted((v["q"], str(v["value"])) for v in got) == \
        sorted((v["q"], str(v["value"])) for v in read["meters"]["m-0001"]["values"])
    r = run(rig, "events")
    assert r.exit_code == 0 and r.stderr == note and "power_up" in r.stdout
    r = run(rig, "logs", "--category", "operation")
    assert r.exit_code == 0 and "agent stopped" in r.stdout


def test_tables_fit_80_columns_and_never_cut_a_number():
    lines = table(("meter", "name", "value", "note"),
                  [("m-0001", "二号楼走廊灯具总表" * 4, Decimal("123456789.0120"), "x" * 70),
                   ("m-0002", "short", Decimal("-0.000100"), None)], numeric=(2,))
    for line in lines:
        assert cols(line) <= 80
    assert "123456789.0120" in lines[1] and "-0.000100" in lines[2]
    assert lines[1].split()[1].endswith("~") and lines[2].rstrip().endswith("-")


def test_data_marks_values_a_meter_froze_by_a_clock_out_of_tolerance(rig):
    ts = datetime.datetime.combine(rig.days[0], datetime.time(), CST).timestamp()
    rig.agent.store.put_readings([{"meter": "m-0003", "q": E, "unit": "kWh", "kind": "daily",
                                   "src": "meter", "ts": ts, "value": value(0),
                                   "clock_off": True}])
    r = run(rig, "data", "m-0003", "--all")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert lines[1].split()[-1] == "meter*"
    assert lines[-1] == "* frozen by the meter's clock while it was out of tolerance"
    doc = json.loads(run(rig, "data", "m-0003", "--format", "json").stdout)
    assert doc["values"][0]["clock_off"] is True
