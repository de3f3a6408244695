"""`concentrator sim`: the sample bench starts, prints its ports, and answers."""

import json
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from drivers.clock import VirtualClock
from gateway.cli import cli
from sim.scenario import ScenarioError, build, load
from tests.corpus import ROOT

BENCH = ROOT / "sim" / "scenarios" / "bench.toml"


def test_sim_prints_every_port_and_a_probe_reads_through_it():
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "sim", "--scenario", str(BENCH),
                             "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        ports = json.loads(proc.stdout.readline())["ports"]
        assert [p["name"] for p in ports] == ["bus1", "bus2", "bus3", "bus4", "radio"]
        assert all(p["url"].startswith("/dev/pts/") for p in ports)
        assert sum(len(p["meters"]) for p in ports) >= 60
        bus3 = ports[2]
        r = CliRunner().invoke(cli, ["probe", bus3["url"], "-p", "mbus", "-a", bus3["meters"][0],
                                     "--json"])
        assert r.exit_code == 0, r.output
        values = json.loads(r.stdout)["values"]
        assert any(v["quantity"] == "heat.energy.total" and v["unit"] == "kWh" for v in values)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0


def test_the_sample_bench_has_every_kind_on_four_ports_and_a_radio():
    sc = load(BENCH, VirtualClock(), inproc=True)
    kinds = set((m.protocol, m.kind) for m in sc.meters())
    assert {("dlt645-2007", "electricity"), ("dlt645-1997", "electricity"), ("cjt188", "water"),
            ("cjt188", "gas"), ("cjt188", "heat"), ("mbus", "heat"), ("mbus", "water"),
            ("modbus", "electricity")} <= kinds
    assert len(sc.ports) == 4 and sc.radio is not None and len(sc.meters()) >= 40


@pytest.mark.parametrize("data, message", [
    ({"port": [{"name": "a", "baudrate": 2400}]}, "port[0]: unknown key(s) baudrate"),
    ({"port": [{"meter": [{"protocol": "iec62056", "address": "1"}]}]}, "protocol must be one of"),
    ({"port": [{"meter": [{"protocol": "dlt645-2007"}]}]}, "a meter needs an address"),
    ({"port": [{"meter": [{"protocol": "dlt645-2007", "address": "1"},
                          {"protocol": "dlt645-2007", "address": "1"}]}]}, "two dlt645-2007 meters"),
    ({"port": [{"meter": [{"protocol": "dlt645-2007", "address": "1", "colour": "red"}]}]},
     "unknown dlt645-2007 meter option(s): colour"),
    ({"port": [{"line": "usb"}]}, "line must be pty or tcp"),
    ({"ports": []}, "top level: unknown key(s) ports"),
])
def test_a_bad_scenario_names_the_file_and_the_key(data, message):
    with pytest.raises(ScenarioError) as err:
        build(data, VirtualClock(), path="my.toml", inproc=True)
    assert str(err.value).startswith("my.toml: ") and message in str(err.value)


def test_sim_refuses_a_broken_file_with_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[port]\nname=")
    r = CliRunner().invoke(cli, ["sim", "--scenario", str(bad)])
    assert r.exit_code == 2 and "not valid TOML" in r.stderr
