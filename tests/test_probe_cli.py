"""`concentrator probe` and `scan` over real pyserial: pty pairs and socket:// lines.

The simulated meters run in this process on virtual serial lines served by
threads; the CLI opens the pty's device path (or the TCP URL) with pyserial
exactly as it opens /dev/ttyS1 on a board.  The meters' clock is frozen so
the simulator's oracle gives the exact values the probe must print.
"""

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from drivers.clock import RealClock, VirtualClock
from gateway.cli import cli
from sim.scenario import build

T0 = 1_795_000_000.0

METERS = {
    "dlt645-2007": {"protocol": "dlt645-2007", "address": "000012345678"},
    "dlt645-1997": {"protocol": "dlt645-1997", "address": "000000654321"},
    "cjt188": {"protocol": "cjt188", "address": "78330011223344", "kind": "heat"},
    "mbus": {"protocol": "mbus", "address": "8", "kind": "heat"},
    "modbus": {"protocol": "modbus", "address": "7", "register_map": "dtsu666"},
}
EXTRA = {"cjt188": ["--kind", "heat"], "modbus": ["--profile", "chint-dtsu666"]}
BAUD = {"modbus": 9600}


@pytest.fixture(scope="module")
def lines():
    ports = []
    for line in ("pty", "tcp"):
        for proto, meter in METERS.items():
            ports.append({"name": "%s-%s" % (line, proto), "line": line, "pacing": False,
                          "baud": BAUD.get(proto, 2400), "meter": [meter]})
    sc = build({"port": ports}, RealClock(), meter_clock=VirtualClock(start=T0)).start()
    yield dict((p["name"], p) for p in sc.ports)
    sc.stop()


def _probe(url, proto, address, *extra):
    args = ["probe", url, "-p", proto, "-a", address, "--json", "--timeout", "3"] + list(extra)
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout, parse_float=Decimal)


@pytest.mark.parametrize("line", ["pty", "tcp"])
@pytest.mark.parametrize("proto", sorted(METERS))
def test_probe_prints_the_simulators_values_exactly(lines, line, proto):
    port = lines["%s-%s" % (line, proto)]
    meter = port["meters"][0]
    url = port["line"].url
    assert url.startswith("/dev/pts/" if line == "pty" else "socket://127.0.0.1:")
    out = _probe(url, proto, meter.address, *EXTRA.get(proto, []))
    checked = 0
    for rec in out["values"]:
        q = rec["quantity"]
        if q in ("meter.status", "meter.fabrication_no"):
            continue
        expect = meter.value(q)
        if q == "meter.datetime" and proto == "mbus":
            expect = expect[:16] + ":00"
        got = rec["value"]
        if isinstance(got, Decimal):
            assert got == Decimal(str(expect)), (q, got, expect)
        else:
            assert got == expect, (q, got, expect)
        checked += 1
    assert checked >= 2


def test_probe_verbose_shows_frames_with_timing(lines):
    port = lines["pty-dlt645-2007"]
    r = CliRunner().invoke(cli, ["probe", port["line"].url, "-p", "dlt645-2007", "-a", "000012345678",
                                 "-i", "voltage.a", "-v"])
    assert r.exit_code == 0
    assert " tx FE FE FE FE 68 78 56 34 12 00 00 68 11 04" in r.stderr
    assert " rx " in r.stderr and "voltage.a" in r.stdout and " V" in r.stdout


def test_probe_verbose_prints_one_line_per_frame_not_per_chunk_read():
    # a paced line: the reply arrives byte by byte, as from a real meter at 2400 bit/s
    sc = build({"port": [{"name": "paced", "line": "pty", "pacing": True, "baud": 2400,
                          "meter": [METERS["dlt645-2007"]]}]}, RealClock(),
               meter_clock=VirtualClock(start=T0)).start()
    try:
        r = CliRunner().invoke(cli, ["probe", sc.ports[0]["line"].url, "-p", "dlt645-2007",
                                     "-a", "000012345678", "-i", "voltage.a", "-v"])
    finally:
        sc.stop()
    assert r.exit_code == 0, r.output
    lines = [line for line in r.stderr.splitlines() if " tx " in line or " rx " in line]
    assert [line.split()[2] for line in lines] == ["tx", "rx"]
    reply = bytes.fromhex(lines[1].split(" rx ")[1])
    assert reply.startswith(b"\xFE\xFE\xFE\xFE\x68\x78\x56\x34\x12") and reply[-1] == 0x16


def test_probe_verbose_shows_every_modbus_frame(lines):
    port = lines["pty-modbus"]
    r = CliRunner().invoke(cli, ["probe", port["line"].url, "-p", "modbus", "-a", "7", "--baud",
                                 "9600", "--profile", "chint-dtsu666", "-i", "voltage.a", "-v"])
    assert r.exit_code == 0, r.output
    tx = [line for line in r.stderr.splitlines() if " tx " in line]
    rx = [line for line in r.stderr.splitlines() if " rx " in line]
    assert tx and rx and all(" tx 07 0" in line for line in tx)     # slave 7, function 03H/04H
    assert "voltage.a" in r.stdout


def test_probe_of_a_silent_address_says_what_happened_on_the_wire(lines):
    port = lines["pty-dlt645-2007"]
    r = CliRunner().invoke(cli, ["probe", port["line"].url, "-p", "dlt645-2007", "-a", "000000000099",
                                 "--timeout", "0.2", "--retries", "1"])
    assert r.exit_code == 1
    assert "no reply within 200 ms after 1 retries" in r.stderr
    assert "hint:" in r.stderr


def test_probe_hearing_its_own_request_says_echo():
    # loop:// hands every byte sent straight back, like an adapter that echoes
    r = CliRunner().invoke(cli, ["probe", "loop://", "-p", "dlt645-2007", "-a", "000012345678",
                                 "--timeout", "0.1", "--retries", "0"])
    assert r.exit_code == 1
    assert "a request on the line (echo or another master) after 0 retries" in r.stderr
    assert "set echo = true on the port (--echo for probe and scan)" in r.stderr


def test_probe_of_a_missing_device_is_a_clear_failure():
    r = CliRunner().invoke(cli, ["probe", "/dev/ttyNOPE9", "-p", "dlt645-2007", "-a", "1"])
    assert r.exit_code == 1 and "cannot open /dev/ttyNOPE9" in r.stderr


def test_scan_finds_every_meter_on_a_shared_pty_bus_of_16():
    addresses = ["0000%08d" % (17 * k + 3) for k in range(16)]
    data = {"port": [{"name": "bus", "line": "pty", "pacing": False, "baud": 9600,
                      "meter": [{"protocol": "dlt645-2007", "address": a, "reply_delay": 0.005}
                                for a in addresses]}]}
    sc = build(data, RealClock(), meter_clock=VirtualClock(start=T0)).start()
    try:
        r = CliRunner().invoke(cli, ["scan", sc.ports[0]["line"].url, "-p", "dlt645-2007",
                                     "--baud", "9600", "--timeout", "0.1", "--json"])
    finally:
        sc.stop()
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["found"] == sorted(addresses)
