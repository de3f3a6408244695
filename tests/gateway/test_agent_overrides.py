"""The terminal address and the master station's host and port as parameters
(terminal.address, uplink.host, uplink.port): changed through params.set (the
console's, MQTT's and the LCD's one operation), logged, and used instead of
the configuration file's values from the agent's next start."""

import time

from gateway.console.client import ControlClient
from sim.broker import Mosquitto, free_port
from tests.gateway.agent_rig import AgentRig, run


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def test_address_and_master_port_apply_after_a_restart(tmp_path):
    broker = Mosquitto(tmp_path / "broker").start()
    dead = free_port()                      # nothing listens: the file's port is wrong
    rig = AgentRig(tmp_path / "rig", uplink={"host": "127.0.0.1", "port": dead,
                                             "reconnect_min": 0.1, "reconnect_max": 0.5})
    try:
        client = ControlClient(rig.socket)
        assert client.call("status")["cid"] == "c01"
        assert not client.call("status")["uplink"]["up"]
        r = client.call("params.set", {"terminal.address": "c7", "uplink.port": broker.port})
        assert set(r["changed"]) == {"terminal.address", "uplink.port"}
        assert client.call("status")["cid"] == "c01"            # not before a restart
        rig.stop()
        rig.start()
        client = ControlClient(rig.socket)
        assert client.call("status")["cid"] == "c7"
        assert wait_for(lambda: client.call("status")["uplink"]["up"]), \
            client.call("status")["uplink"]
        assert rig.agent.uplink_settings.topic("status") == "amr/c7/status"
        assert rig.cfg.uplink.port == dead and rig.cfg.uplink.cid == "c01"   # the file's
        home = client.call("lcd.screen", {"lang": "en"})["lines"]
        assert any(line.startswith("Addr") and line.endswith("c7") for line in home)
        rig.stop()
        shown = run(rig, "lcd", "--text", "--lang", "en")          # offline: the same address
        assert shown.exit_code == 0 and "not running" in shown.output
        assert [line for line in shown.output.splitlines() if line.startswith("Addr")] == \
            ["Addr" + " " * 14 + "c7"]
        rig.start()
        client = ControlClient(rig.socket)
        # back to the file's values: empty and 0
        client.call("params.set", {"terminal.address": "", "uplink.port": 0})
        rig.stop()
        rig.start()
        client = ControlClient(rig.socket)
        assert client.call("status")["cid"] == "c01"
        assert rig.agent.uplink_settings.port == dead
    finally:
        rig.stop()
        broker.stop()
    logged = [r["message"] for r in rig_logs(rig)]
    assert [m for m in logged if "terminal.address" in m] == [
        "parameters changed by console:admin: terminal.address, uplink.port"] * 2, logged


def rig_logs(rig):
    from store import Store
    store = Store(rig.cfg.data_file("store.db"))
    try:
        return store.logs("modification")
    finally:
        store.close()
