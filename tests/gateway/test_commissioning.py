"""Commissioning a bus: scan it, import what was found into the archive, check the file.

The meters are simulated on a real pty; the console runs before the agent
was ever started (the data directory does not exist yet); the first super
administrator is made there too (``users init``), as on a new board.  The scans
count transactions, not time: the search asks exactly what its tree needs.
"""

import json

from click.testing import CliRunner

from drivers.clock import RealClock
from gateway.cli import cli
from sim.scenario import build

KINDS = ("water", "heat", "gas")
# 17 meters of three kinds whose lowest bytes all differ: one wildcard probe, then 100
CJT188 = [("7833%010d" % (1000 * k + 3 * k + 1), KINDS[k % 3]) for k in range(17)]


def tree_requests(addresses, nbytes):
    """What a wildcard search (sorted low bytes first, 100 BCD values a byte)
    asks: the root, then 100 probes under every prefix two meters share."""
    shared = set()
    for depth in range(nbytes):
        seen = {}
        for a in addresses:
            low = a[len(a) - 2 * depth:] if depth else ""
            seen[low] = seen.get(low, 0) + 1
        shared |= set(k for k, n in seen.items() if n > 1)
    return 1 + 100 * len(shared)


def _config(tmp_path, device, port="rs485-2"):
    config = tmp_path / "concentrator.toml"
    config.write_text('[concentrator]\nid = "c9"\ndata_dir = "%s/data"\nsocket = "%s/s"\n\n'
                      '[[port]]\nname = "%s"\ndevice = "%s"\nprotocol = "cjt188"\n\n'
                      '[uplink]\nenabled = false\n' % (tmp_path, tmp_path, port, device))
    return config


def test_scan_of_17_cjt188_meters_finds_all_with_their_kinds_and_imports_as_it_is(tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setenv("CONCENTRATOR_SESSIONS", str(tmp_path / "sessions"))
    data = {"port": [{"name": "b2", "line": "pty", "pacing": False, "baud": 9600,
                      "meter": [{"protocol": "cjt188", "kind": k, "address": a,
                                 "reply_delay": 0.005} for a, k in CJT188]}]}
    sc = build(data, RealClock()).start()
    try:
        device = sc.ports[0]["line"].url
        config = _config(tmp_path, device)
        runner = CliRunner()
        r = runner.invoke(cli, ["scan", device, "-p", "cjt188", "--baud", "9600", "--timeout",
                                "0.1", "--csv", "rs485-2"])
        assert r.exit_code == 0, r.output
        # no --kind: each meter's own type byte says it; the CSV imports as it is
        assert r.stdout.splitlines() == ["address,protocol,port,kind,options"] + \
            ["%s,cjt188,rs485-2,%s," % (a, k) for a, k in sorted(CJT188)]
        # the transactions the search needs, and no more (no retries, no second pass)
        assert tree_requests([a for a, _ in CJT188], 7) == 101
        assert "17 meter(s) found with 101 request(s)" in r.stderr
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
        assert json.loads(r.stdout)["added"] == ["m-%04d" % i for i in range(1, 18)]
        r = runner.invoke(cli, ["meters", "list", "--config", str(config), "--json"])
        listed = json.loads(r.stdout)["meters"]
        assert [(m["address"], m["port"], m["kind"]) for m in listed] == \
            [(a, "rs485-2", k) for a, k in sorted(CJT188)]
        r = runner.invoke(cli, ["run", "--config", str(config), "--check"])
        assert r.exit_code == 0 and "good (1 port(s), 0 declared meter(s)" in r.output
    finally:
        sc.stop()


def test_one_scan_finds_every_protocol_on_a_mixed_bus_and_the_csv_imports(tmp_path, monkeypatch):
    monkeypatch.setenv("CONCENTRATOR_SESSIONS", str(tmp_path / "sessions"))
    meters = [{"protocol": "dlt645-2007", "address": "000012345678"},
              {"protocol": "dlt645-1997", "address": "000000654321"},
              {"protocol": "cjt188", "kind": "heat", "address": "78330011223344"},
              {"protocol": "mbus", "kind": "water", "address": "5"},
              {"protocol": "mbus", "kind": "heat", "address": "9"},
              {"protocol": "modbus", "address": "3", "register_map": "chint-dtsu666"}]
    sc = build({"port": [{"name": "b1", "line": "pty", "pacing": False, "baud": 9600,
                          "meter": [dict(m, reply_delay=0.005) for m in meters]}]},
               RealClock()).start()
    try:
        device = sc.ports[0]["line"].url
        secondary = dict((m.address, m.secondary) for m in sc.ports[0]["meters"]
                         if m.protocol == "mbus")
        r = CliRunner().invoke(cli, ["scan", device, "--baud", "9600", "--timeout", "0.05",
                                     "--csv", "b1"])
        assert r.exit_code == 0, r.output
        rows = r.stdout.splitlines()
        assert rows[0] == "address,protocol,port,kind,options"
        assert sorted(rows[1:]) == sorted([
            "000012345678,dlt645-2007,b1,electricity,",
            "000000654321,dlt645-1997,b1,electricity,",
            "78330011223344,cjt188,b1,heat,",
            "%s,mbus,b1,water," % secondary["5"], "%s,mbus,b1,heat," % secondary["9"],
            "3,modbus,b1,electricity,profile=chint-dtsu666"])
        assert "6 meter(s) found" in r.stderr
        assert "(dlt645-2007, dlt645-1997, cjt188, mbus, modbus)" in r.stderr
        (tmp_path / "b1.csv").write_text(r.stdout)
        config = tmp_path / "c.toml"
        config.write_text('[concentrator]\nid = "c9"\ndata_dir = "%s/data"\nsocket = "%s/s"\n\n'
                          '[[port]]\nname = "b1"\ndevice = "%s"\nprotocol = "dlt645-2007"\n\n'
                          '[uplink]\nenabled = false\n' % (tmp_path, tmp_path, device))
        r = CliRunner().invoke(cli, ["users", "init", "root", "--config", str(config)],
                               input="first-pass-1\nfirst-pass-1\n")
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(cli, ["login", "root", "--config", str(config)],
                               input="first-pass-1\n")
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(cli, ["meters", "import", str(tmp_path / "b1.csv"), "--config",
                                     str(config), "--json"])
        assert r.exit_code == 0, r.output
        assert len(json.loads(r.stdout)["added"]) == 6
    finally:
        sc.stop()


def test_kind_without_csv_is_a_usage_error():
    r = CliRunner().invoke(cli, ["scan", "/dev/null", "-p", "cjt188", "--kind", "water"])
    assert r.exit_code == 2 and "--kind goes with --csv" in r.stderr
