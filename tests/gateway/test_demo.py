"""`concentrator demo`: the whole product on the bench scenario, in accelerated time."""

import json

from click.testing import CliRunner

from gateway.cli import cli


def run_demo(*args):
    result = CliRunner().invoke(cli, ["demo", "--json"] + list(args))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    summary = json.loads(lines[-1])
    return lines[:-1], summary


def test_demo_with_a_broker_shows_what_the_master_receives_and_sums_up():
    lines, s = run_demo("--days", "0.3", "--speed", "20000")
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert any(line.startswith("      master station: mosquitto on 127.0.0.1:") for line in lines)
    assert any(line.endswith("state               online (69 meters)") for line in lines)
    assert any("  hourly   #" in line for line in lines)
    assert any(line.endswith("event    #1         power_up") for line in lines)
    # the summary: every meter of the scenario, values of each kind it covered
    assert s["meters"] == 69
    assert s["by_kind"] == {"electricity": 36, "water": 19, "gas": 4, "heat": 10}
    assert s["readings"]["realtime"] > 69 and s["readings"]["hourly"] > 69
    assert 0.9 < s["replies"] / s["requests"] <= 1
    m = s["master"]
    assert m["highest_seq"] == m["distinct_seqs"] > 0          # no batch missing
    assert sum(m["records"].values()) >= s["readings"]["hourly"]
    assert m["events"]["power_up"] == 1
    assert m["state"]["state"] == "offline"                    # a clean stop says so
    text = "\n".join(lines)
    assert "summary: 0.3 simulated days in" in text
    assert "  meters          69 (electricity 36, gas 4, heat 10, water 19)" in text
    assert "none missing" in text


def test_demo_without_a_broker_says_the_uplink_is_off():
    lines, s = run_demo("--days", "0.05", "--speed", "20000", "--no-broker")
    assert "uplink disabled (--no-broker)" in lines
    assert "  master station  uplink disabled (--no-broker)" in lines
    assert s["uplink"] is False and s["meters"] == 69 and s["readings"]["realtime"] > 0


def test_demo_when_mosquitto_cannot_start(mocker):
    mocker.patch("sim.broker.mosquitto_binary",
                 side_effect=RuntimeError("mosquitto is not installed (Debian: apt-get install "
                                          "mosquitto; `make test` and `make demo` install it)"))
    lines, s = run_demo("--days", "0.05", "--speed", "20000")
    assert "uplink disabled: no local MQTT broker could be started (mosquitto is not " \
           "installed (Debian: apt-get install mosquitto; `make test` and `make demo` " \
           "install it))" in lines
    assert s["uplink"] is False and s["readings"]["realtime"] > 0
