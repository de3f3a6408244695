"""`concentrator meters`: the archive through the running agent and offline.

One real agent (AgentRig) for the module; tests that change the archive use
meters of their own and put it back, so the order does not matter.
"""

import json

import pytest

from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig, fits, run

IDS = ["m-%04d" % i for i in range(1, 9)]


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = AgentRig(tmp_path_factory.mktemp("meters"))
    yield r
    r.stop()


def archive(rig):
    return dict((m["id"], m) for m in rig.agent.archive.list())


def test_list_shows_every_meter_in_80_columns(rig):
    r = run(rig, "meters", "list")
    assert r.exit_code == 0, r.stderr
    lines = fits(r.stdout)
    assert lines[0].split() == ["id", "address", "protocol", "port", "kind", "area", "name"]
    assert [line.split()[0] for line in lines[1:-1]] == IDS
    assert lines[3].split()[:5] == ["m-0003", "000000000201", "dlt645-1997", "bus1",
                                   "electricity"]
    assert lines[-1] == "8 meters"
    assert r.stderr == ""                        # the agent runs: no note


def test_list_filters_by_port_and_protocol(rig):
    r = run(rig, "meters", "list", "--port", "bus2")
    assert r.exit_code == 0
    lines = fits(r.stdout)
    assert [line.split()[0] for line in lines[1:-1]] == ["m-0004", "m-0005"]
    assert lines[-1] == "2 of 8 meters match --port bus2"
    r = run(rig, "meters", "list", "--protocol", "dlt645-2007", "--json")
    doc = json.loads(r.stdout)
    assert [m["id"] for m in doc["meters"]] == ["m-0001", "m-0002", "m-0008"]
    assert doc["total"] == 8 and doc["matching"] == 3
    r = run(rig, "meters", "list", "--limit", "3")
    lines = fits(r.stdout)
    assert len(lines) == 5 and lines[-1].startswith("3 of 8 meters shown; --all")


def test_show_prints_every_field_and_json_is_the_record(rig):
    r = run(rig, "meters", "show", "m-0008")
    assert r.exit_code == 0
    shown = dict(line.split(None, 1) for line in fits(r.stdout))
    assert shown["address"] == "000000000601" and shown["port"] == "radio"
    assert shown["radio"] == "true" and shown["protocol"] == "dlt645-2007"
    r = run(rig, "meters", "show", "m-0007", "--json")
    doc = json.loads(r.stdout)
    want = ControlClient(rig.socket).call("meters.list")["meters"][6]
    assert doc == want and doc["options"] == {"profile": "eastron-sdm120"}
    r = run(rig, "meters", "show", "m-0099")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: no meter m-0099 in the archive\nhint: ")


def test_add_update_remove_a_meter(rig):
    r = run(rig, "meters", "add", "--address", "000000000777", "--protocol", "dlt645-2007",
            "--port", "bus1", "--name", "门卫室", "--area", "B2", "--limits",
            "power_max_kw=10;zero_days=3", "--id", "gate-1")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "added gate-1: 000000000777 dlt645-2007 on bus1\n"
    m = archive(rig)["gate-1"]
    assert m["name"] == "门卫室" and m["limits"] == {"power_max_kw": "10", "zero_days": 3}

    r = run(rig, "meters", "update", "gate-1", "--name", "门卫室东", "--set", "area=",
            "--limits", "zero_days=", "--set", "tariff=T1")
    assert r.exit_code == 0, r.stderr
    assert fits(r.stdout) == ["updated gate-1:", "  area    B2 -> -", "  tariff  - -> T1",
                              "  limits  power_max_kw=10;zero_days=3 -> power_max_kw=10",
                              "  name    门卫室 -> 门卫室东"]
    m = archive(rig)["gate-1"]
    assert "area" not in m and m["limits"] == {"power_max_kw": "10"} and m["tariff"] == "T1"
    r = run(rig, "meters", "update", "gate-1", "--tariff", "T1")
    assert r.stdout == "gate-1 unchanged (it has these values already)\n"

    r = run(rig, "meters", "remove", "gate-1")            # no answer: nothing removed
    assert r.exit_code == 1
    assert "error: nothing removed: not confirmed" in r.stderr
    assert "gate-1" in archive(rig)
    r = run(rig, "meters", "remove", "gate-1", input="y\n")
    assert r.exit_code == 0 and r.stdout == "removed gate-1\n"
    assert "gate-1" not in archive(rig)


def test_refusals_exit_2_with_the_archives_message_and_a_hint(rig):
    r = run(rig, "meters", "add", "--address", "000000000101", "--protocol", "dlt645-2007",
            "--port", "bus1")
    assert r.exit_code == 2
    first, hint = r.stderr.splitlines()
    assert first.startswith("error: meters m-0001 and ") and \
        "have the same address 000000000101 on port bus1" in first
    assert hint.startswith("hint: nothing was added")
    r = run(rig, "meters", "add", "--address", "12", "--protocol", "dlt645-2007",
            "--port", "bus9")
    assert r.exit_code == 2 and "port 'bus9' does not exist" in r.stderr
    r = run(rig, "meters", "update", "m-0001", "--set", "colour=red")
    assert r.exit_code == 2 and "colour is not a field that can be changed" in r.stderr
    r = run(rig, "meters", "update", "m-0001")
    assert r.exit_code == 2 and "nothing to change" in r.stderr
    r = run(rig, "meters", "remove", "m-0001", "m-0098", "m-0099", "--yes")
    assert r.exit_code == 2 and "no meters m-0098, m-0099" in r.stderr
    assert len(archive(rig)) == 8


def test_import_adds_and_updates_at_once_and_raises_meters_changed(rig, tmp_path):
    path = tmp_path / "site.csv"
    path.write_bytes("\ufeffid,address,protocol,port,kind,name,options\r\n"
                     "imp-1,000000000901,dlt645-2007,bus1,,一号楼,password=000001\r\n"
                     "imp-2,00000000000901,cjt188,bus2,water,,\r\n".encode("utf-8"))
    r = run(rig, "meters", "import", str(path))
    assert r.exit_code == 0, r.stderr
    assert fits(r.stdout) == ["imported: 2 added, 0 updated, 0 removed",
                              "  added    imp-1, imp-2"]
    a = archive(rig)
    assert a["imp-1"]["name"] == "一号楼" and a["imp-1"]["options"] == {"password": "000001"}
    path.write_text("id,address,protocol,port,kind,area\n"
                    "imp-2,00000000000901,cjt188,bus2,water,C3\n", encoding="utf-8")
    r = run(rig, "meters", "import", str(path), "--json")
    assert json.loads(r.stdout) == {"added": [], "updated": ["imp-2"], "removed": []}
    assert archive(rig)["imp-2"]["area"] == "C3"
    c = ControlClient(rig.socket)
    events = c.call("events.query", {"from": "2020-01-01T00:00:00Z", "to": "2099-01-01T00:00:00Z",
                                     "type": "meters_changed"})["events"]
    assert [e["detail"].get("added") for e in events[-2:]] == [["imp-1", "imp-2"], None]
    assert events[-1]["detail"]["updated"] == ["imp-2"]
    c.call("meters.remove", {"meters": ["imp-1", "imp-2"]})


def test_import_is_all_or_nothing_and_names_the_bad_lines(rig, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,address,protocol,port\n"
                    "ok-1,000000000111,dlt645-2007,bus1\n"
                    "bad-1,12345678901234567,dlt645-2007,bus1\n"
                    "bad-2,000000000113,dlt645-2007,bus9\n", encoding="utf-8")
    r = run(rig, "meters", "import", str(path))
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert lines[0] == "error: 2 of 3 lines are not valid, nothing was imported:"
    assert lines[1].startswith("line 3: meter bad-1: address '12345678901234567' is not valid")
    assert lines[2].startswith("line 4: meter bad-2: port 'bus9' does not exist")
    assert lines[3].startswith("hint: fix the lines named")
    assert "ok-1" not in archive(rig)
    path.write_bytes(b"id,address,protocol,port\nx,\xff\xfe,dlt645-2007,bus1\n")
    r = run(rig, "meters", "import", str(path))
    assert r.exit_code == 2 and "is not UTF-8 (line 2" in r.stderr
    r = run(rig, "meters", "import", str(tmp_path / "missing.csv"))
    assert r.exit_code == 2 and "cannot read" in r.stderr


def test_export_round_trips_through_import(rig, tmp_path):
    path = tmp_path / "out.csv"
    r = run(rig, "meters", "export", str(path), "--bom")
    assert r.exit_code == 0 and r.stdout == "exported 8 meters to %s\n" % path
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,address,protocol,port,kind,radio,")
    assert data.count(b"\r\n") == 9
    r = run(rig, "meters", "import", str(path), "--replace", "--yes", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"added": [], "updated": [], "removed": []}
    r = run(rig, "meters", "export")                      # to stdout, no BOM
    assert r.stdout_bytes == data[3:]
    assert r.stderr == "exported 8 meters to standard output\n"


def test_import_replace_asks_first(rig, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("id,address,protocol,port\nm-0001,000000000101,dlt645-2007,bus1\n")
    r = run(rig, "meters", "import", str(path), "--replace", input="n\n")
    assert r.exit_code == 1 and "nothing imported: not confirmed" in r.stderr
    r = run(rig, "meters", "import", "-", "--replace", input=path.read_text())
    assert r.exit_code == 2 and "needs --yes" in r.stderr
    r = run(rig, "meters", "import", "-", input=path.read_text())       # the same values
    assert r.exit_code == 0 and r.stdout == "imported: 0 added, 0 updated, 0 removed\n"
    assert len(archive(rig)) == 8


def test_offline_the_archive_is_edited_on_the_files(tmp_path):
    rig = AgentRig(tmp_path)
    rig.stop()
    r = run(rig, "meters", "list")
    assert r.exit_code == 0
    assert r.stderr == "note: the agent is not running; working on the files in %s\n" \
        % rig.data_dir
    assert fits(r.stdout)[-1] == "8 meters"
    r = run(rig, "meters", "add", "--address", "000000000602", "--protocol", "dlt645-2007",
            "--radio", "--name", "二号楼走廊灯具总表-" * 3)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "added m-0009: 000000000602 dlt645-2007 on radio\n"
    r = run(rig, "meters", "list")
    lines = fits(r.stdout)                  # the long Chinese name is cut to fit
    assert lines[-2].startswith("m-0009  000000000602    dlt645-2007  radio")
    assert lines[-2].endswith("~")
    r = run(rig, "meters", "export")
    assert "m-0009,000000000602,dlt645-2007,radio,electricity,true" in r.stdout


def test_export_leaves_passwords_out_unless_asked_and_writes_added_as_a_date(rig, tmp_path):
    before = archive(rig)["m-0001"].get("options") or {}
    r = run(rig, "meters", "update", "m-0001", "--options", "password=123456")
    assert r.exit_code == 0, r.stderr
    try:
        r = run(rig, "meters", "export")
        assert r.exit_code == 0, r.stderr
        lines = r.stdout.splitlines()
        assert "123456" not in r.stdout and "password" not in r.stdout
        header = lines[0].split(",")
        added = [row.split(",")[header.index("added")] for row in lines[1:]]
        local = rig.agent.handlers.iso(archive(rig)["m-0001"]["added"])[:10]
        assert added[0] == local and all(len(a) == 10 and a[4] == "-" for a in added)
        # the file imports as it is, and the password the archive has stays
        path = tmp_path / "no-secrets.csv"
        path.write_text(r.stdout)
        r = run(rig, "meters", "import", str(path), "--json")
        assert r.exit_code == 0, r.stderr
        assert json.loads(r.stdout) == {"added": [], "updated": [], "removed": []}
        assert archive(rig)["m-0001"]["options"]["password"] == "123456"
        r = run(rig, "meters", "export", "--passwords")
        assert r.exit_code == 0 and "password=123456" in r.stdout
    finally:
        rig.agent.archive.update("m-0001", {"options": {"password": before.get("password")}})
