"""`concentrator decode`: one JSON object per frame, exact digits, errors and exit codes."""

import json
import subprocess
import sys
from decimal import Decimal

from click.testing import CliRunner

from gateway.cli import cli
from tests.corpus import ROOT

READ_REPLY = "FE FE 68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16"
POWER_ZERO = "68 37 03 00 92 81 39 68 91 07 33 33 36 35 33 33 33 58 16"


def run(args, stdin=None):
    return CliRunner().invoke(cli, args, input=stdin)


def test_decode_one_frame_gives_exact_values_with_units():
    r = run(["decode", "--protocol", "dlt645-2007", READ_REPLY])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.output, parse_float=Decimal)
    assert obj["address"] == "000000000161"
    (rec,) = obj["values"]
    assert rec == {"di": "00010000", "quantity": "energy.active.import.total",
                   "value": Decimal("0.26"), "unit": "kWh"}


def test_decode_keeps_the_meters_digits_in_the_json_text():
    r = run(["decode", "-p", "dlt645-2007", POWER_ZERO])
    assert '"value":0.0000' in r.output  # four decimals as the meter sent them, not 0.0


def test_decode_stdin_one_line_per_frame_and_exit_1_on_a_rejected_frame():
    lines = "\n".join([READ_REPLY, "68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8B 16",
                       "zz", "", POWER_ZERO]) + "\n"
    r = run(["decode", "-p", "dlt645-2007", "-"], stdin=lines)
    assert r.exit_code == 1
    out = [json.loads(x) for x in r.output.splitlines()]
    assert len(out) == 4
    assert "values" in out[0] and "values" in out[3]
    assert "checksum" in out[1]["error"] and "8AH" in out[1]["error"]
    assert "not hex" in out[2]["error"]


def test_decode_all_good_lines_exit_0():
    r = run(["decode", "-p", "dlt645-2007", "-"], stdin=READ_REPLY + "\n" + POWER_ZERO + "\n")
    assert r.exit_code == 0 and len(r.output.splitlines()) == 2


def test_decode_truncated_frame_is_rejected_with_a_reason():
    r = run(["decode", "-p", "dlt645-2007", READ_REPLY[:30]])
    assert r.exit_code == 1
    assert "incomplete frame" in json.loads(r.output)["error"]


def test_decode_without_frame_is_a_usage_error():
    r = run(["decode", "-p", "dlt645-2007"])
    assert r.exit_code == 2 and "give a frame" in r.output


def test_unknown_protocol_is_a_usage_error():
    r = run(["decode", "-p", "iec62056", READ_REPLY])
    assert r.exit_code == 2


def test_python_dash_m_gateway_runs_the_same_command():
    p = subprocess.run([sys.executable, "-m", "gateway", "decode", "-p", "dlt645-1997",
                        "68 54 07 13 00 80 13 68 81 06 43 C3 34 33 33 33 2B 16"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["values"][0]["value"] == 0.01
