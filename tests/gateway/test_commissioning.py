"""Commissioning a bus: scan it, import what was found into the archive, check the file.

The meters are simulated on a real pty; the console runs before the agent
was ever started (the data directory does not exist yet); the first super
administrator is made there too (``users init``), as on a new board.
"""

import json

from click.testing import CliRunner

from drivers.clock import RealClock
from gateway.cli import cli
from sim.scenario import build

WATER = ["000000000%05d" % (41 * k + 7) for k in range(3)]


def test_scan_to_csv_then_import_then_list(tmp_path, monkeypatch):
    monkeypatch.setenv("CONCENTRATOR_SESSIONS", str(tmp_path / "sessions"))
    data = {"port": [{"name": "b2", "line": "pty", "pacing": False, "baud": 9600,
                      "meter": [{"protocol": "cjt188", "kind": "water", "address": a,
                                 "reply_delay": 0.005} for a in WATER]}]}
    sc = build(data, RealClock()).start()
    try:
        device = sc.ports[0]["line"].url
        config = tmp_path / "concentrator.toml"
        config.write_text('[concentrator]\nid = "c9"\ndata_dir = "%s/data"\nsocket = "%s/s"\n\n'
                          '[[port]]\nname = "rs485-2"\ndevice = "%s"\nprotocol = "cjt188"\n\n'
                          '[uplink]\nenabled = false\n' % (tmp_path, tmp_path, device))
        runner = CliRunner()
        r = runner.invoke(cli, ["scan", device, "-p", "cjt188", "--baud", "9600", "--timeout",
                                "0.05", "--csv", "rs485-2", "--kind", "water"])
        assert r.exit_code == 0, r.output
        assert r.stdout.splitlines() == ["address,protocol,port,kind"] + \
            ["%s,cjt188,rs485-2,water" % a for a in sorted(WATER)]
        (tmp_path / "b2.csv").write_text(r.stdout)
        # the first step on a new board: its super administrator, then a session
        r = runner.invoke(cli, ["meters", "import", str(tmp_path / "b2.csv"), "--config",
                                str(config)])
        assert r.exit_code == 1 and "concentrator users init" in r.stderr
        r = runner.invoke(cli, ["users", "init", "root", "--config", str(config)],
                          input="first-pass-1\nfirst-pass-1\n")
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["login", "root", "--config", str(config)],
                          input="first-pass-1\n")
        assert r.exit_code == 0 and "logged in as root (role super)" in r.stdout, r.output
        r = runner.invoke(cli, ["meters", "import", str(tmp_path / "b2.csv"), "--config",
                                str(config), "--json"])
        assert r.exit_code == 0, r.output
        assert "the agent is not running; working on the files in %s/data" % tmp_path in r.stderr
        assert json.loads(r.stdout)["added"] == ["m-0001", "m-0002", "m-0003"]
        r = runner.invoke(cli, ["meters", "list", "--config", str(config), "--json"])
        listed = json.loads(r.stdout)["meters"]
        assert [(m["address"], m["port"], m["kind"]) for m in listed] == \
            [(a, "rs485-2", "water") for a in sorted(WATER)]
        r = runner.invoke(cli, ["run", "--config", str(config), "--check"])
        assert r.exit_code == 0 and "good (1 port(s), 0 declared meter(s)" in r.output
    finally:
        sc.stop()


def test_kind_without_csv_is_a_usage_error():
    r = CliRunner().invoke(cli, ["scan", "/dev/null", "-p", "cjt188", "--kind", "water"])
    assert r.exit_code == 2 and "--kind goes with --csv" in r.stderr
