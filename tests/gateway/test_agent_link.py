"""The uplink's channel and signal: the configuration says the channel, the
modem script's CSQ file the signal; the status op and the LCD's status bar
show them, and `--` for what is not known."""

import os

from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig


def bar(client):
    # ESC on the home screen reloads it, status included
    return client.call("lcd.keys", {"keys": ["ESC"], "lang": "zh"})["lines"][0]


def test_cellular_signal_from_the_modem_file(tmp_path):
    csq = tmp_path / "csq"
    csq.write_text("+CSQ: 21,99\n")
    rig = AgentRig(tmp_path / "rig", start=False)
    rig.cfg.link = {"channel": "cellular", "signal_file": str(csq), "signal_max_age_s": 300}
    rig.start()
    try:
        client = ControlClient(rig.socket)
        up = client.call("status")["uplink"]
        assert (up["channel"], up["csq"], up["signal"]) == ("cellular", 21, 4)
        assert bar(client).startswith("x\u2582\u2584\u2586\u2588 无线")
        assert client.call("diag")["uplink"]["signal"] == 4
        csq.write_text("+CSQ: 12,99\n")
        assert bar(client).startswith("x\u2582\u2584__ 无线")
        csq.write_text("+CSQ: 99,99\n")                    # the modem does not know
        up = client.call("status")["uplink"]
        assert up["signal"] is None and "no signal" in up["signal_error"]
        assert bar(client).startswith("x-- 无线")
        csq.write_text("+CSQ: 20,99\n")
        os.utime(csq, (1, 1))                               # the script stopped long ago
        up = client.call("status")["uplink"]
        assert up["signal"] is None and "old" in up["signal_error"]
        csq.unlink()
        assert client.call("status")["uplink"]["signal"] is None
        assert bar(client).startswith("x-- 无线")
    finally:
        rig.stop()


def test_ethernet_and_unsaid_channel(tmp_path):
    rig = AgentRig(tmp_path / "rig", start=False)
    rig.cfg.link = {"channel": "ethernet", "signal_file": "", "signal_max_age_s": 300}
    rig.start()
    try:
        client = ControlClient(rig.socket)
        up = client.call("status")["uplink"]
        assert (up["channel"], up["signal"]) == ("ethernet", None)
        assert bar(client).startswith("x-- 以太")
    finally:
        rig.stop()
    rig = AgentRig(tmp_path / "rig2")          # no channel in the configuration
    try:
        client = ControlClient(rig.socket)
        assert client.call("status")["uplink"]["channel"] is None
        assert bar(client).startswith("x-- --")
    finally:
        rig.stop()
