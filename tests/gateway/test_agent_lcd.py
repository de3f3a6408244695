"""The agent runs the LCD when [lcd] is configured: keys from a FIFO of input
events move the screen on a framebuffer file, the console sees the same
screen, and the agent stops without leaving a thread or a descriptor."""

import gc
import os
import threading
import time

import pytest

from drivers.keys import encode
from gateway import config
from gateway.console.client import ControlClient, ControlError
from gateway.lcd import config as lcd_config
from tests.gateway.agent_rig import AgentRig

OK, DOWN, ESC = 28, 108, 1


def wait_for(condition, timeout=60):
    """Poll ``condition`` until it holds (a deadline, not a duration to sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def lcd_settings(tmp_path, **kw):
    fb = tmp_path / "fb"
    fb.write_bytes(bytes(3200))
    fifo = str(tmp_path / "keys")
    os.mkfifo(fifo)

    def err(message):
        raise config.ConfigError(message)
    data = dict({"display": str(fb), "keys": fifo, "width": 160, "height": 160, "bpp": 1}, **kw)
    return lcd_config.parse(data, config._table, err), str(fb), fifo


def press(fifo, code):
    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, encode(code, 1) + encode(code, 0))
    finally:
        os.close(fd)


def fds():
    return len(os.listdir("/proc/self/fd"))


def test_keys_from_the_fifo_move_the_screen_and_the_agent_stops_clean(tmp_path):
    settings, fb, fifo = lcd_settings(tmp_path, lang="en")
    rig = AgentRig(tmp_path / "rig", start=False)
    rig.cfg.lcd = settings
    threads, before = set(threading.enumerate()), fds()
    rig.start()
    try:
        client = ControlClient(rig.socket)
        home = client.call("lcd.screen")
        assert home["lang"] == "en" and home["lines"][-1] == "OK: menu"
        with open(fb, "rb") as f:
            assert wait_for(lambda: f.seek(0) == 0 and f.read() != bytes(3200))
        with open(fb, "rb") as f:
            drawn_home = f.read()
        press(fifo, OK)
        screen = wait_for(lambda: (lambda s: s if s["lines"][1].startswith("Main menu")
                                   else None)(client.call("lcd.screen")))
        assert screen and screen["lines"][2].startswith(">")
        with open(fb, "rb") as f:
            assert f.read() != drawn_home                 # the panel shows it too
        # the console presses keys on the same panel
        after = client.call("lcd.keys", {"keys": ["DOWN"]})
        assert after["lines"][3].startswith(">")
        assert client.call("lcd.keys", {"keys": ["ESC"]})["lines"][-1] == "OK: menu"
        zh = client.call("lcd.screen", {"lang": "zh"})
        assert zh["lang"] == "zh" and "地址" in "".join(zh["lines"])
        assert client.call("lcd.screen")["lang"] == "en"  # the panel kept its language
        with pytest.raises(ControlError) as info:
            client.call("lcd.keys", {"keys": ["MENU"]})
        assert info.value.code == "bad_request" and "no key 'MENU'" in info.value.message
    finally:
        rig.stop()
    assert not [t for t in threading.enumerate() if t.name == "lcd"]
    assert wait_for(lambda: set(threading.enumerate()) <= threads, 30), \
        set(threading.enumerate()) - threads
    assert wait_for(lambda: gc.collect() is not None and fds() == before, 30), \
        os.listdir("/proc/self/fd")


def test_a_device_that_cannot_be_opened_is_a_configuration_error(tmp_path):
    settings, fb, fifo = lcd_settings(tmp_path)
    os.unlink(fifo)
    rig = AgentRig(tmp_path / "rig", start=False)
    rig.cfg.lcd = settings
    with pytest.raises(config.ConfigError) as info:
        rig.start()
    assert "[lcd]: key input device %s does not exist" % fifo in str(info.value)


def digits(value):
    """Keys that type ``value`` into a field of zeros (as tests/lcd/test_lcd.py)."""
    keys = []
    for i, ch in enumerate(value):
        keys += (["RIGHT"] if i else []) + ["UP"] * int(ch)
    return keys


def test_a_parameter_changed_on_the_keys_needs_the_password_and_is_logged(tmp_path):
    """Issue 12: the password typed on the keys is an operator's (six digits: the
    keys type digits); the change is logged with that operator's name."""
    settings, fb, fifo = lcd_settings(tmp_path, lang="en")
    rig = AgentRig(tmp_path / "rig", start=False)
    rig.cfg.lcd = settings
    rig.start()
    try:
        client = ControlClient(rig.socket)
        client.call("params.set", {"values": {"access.password_min_len": 6}})
        client.call("users.add", {"name": "fitter", "role": "operator", "password": "123456"})
        client.call("users.add", {"name": "guest", "role": "viewer", "password": "222222"})
        # the reading interval, under terminal address, master host and port
        param = ["OK", "DOWN", "DOWN", "DOWN", "OK", "DOWN", "DOWN", "DOWN", "OK"]
        screen = client.call("lcd.keys", {"keys": param + ["OK"] + digits("654321") + ["OK"]})
        assert any("wrong" in line.lower() for line in screen["lines"]), screen["lines"]
        before = client.call("params.get", {"keys": ["plan.realtime_interval_min"]})
        keys = ["OK", "OK"] + digits("123456") + ["OK"]
        screen = client.call("lcd.keys", {"keys": keys})
        assert screen["lines"][2] == "0"
        screen = client.call("lcd.keys", {"keys": ["UP", "UP", "OK"]})
        after = client.call("params.get", {"keys": ["plan.realtime_interval_min"]})
        assert before == {"params": {"plan.realtime_interval_min": 0}}     # the rig's value
        assert after == {"params": {"plan.realtime_interval_min": 2}}, screen["lines"]
        logs = client.call("logs.query", {"category": "modification",
                                          "from": "2020-01-01T00:00:00+08:00",
                                          "to": "2040-01-01T00:00:00+08:00"})["logs"]
        assert any("by lcd:fitter" in str(r) for r in logs), logs
        # a viewer's password opens the entry, but the change is refused (and logged)
        with rig.agent.lcd.panel.lock:
            rig.agent.lcd.panel.lcd.home()      # as after idle_s without a key: logged out
        screen = client.call("lcd.keys", {"keys": param + ["OK"] + digits("222222") + ["OK"]})
        client.call("lcd.keys", {"keys": ["UP", "OK"]})
        after = client.call("params.get", {"keys": ["plan.realtime_interval_min"]})
        assert after == {"params": {"plan.realtime_interval_min": 2}}
        ops = client.call("logs.query", {"category": "operation",
                                         "from": "2020-01-01T00:00:00+08:00",
                                         "to": "2040-01-01T00:00:00+08:00"})["logs"]
        assert any(r["detail"].get("user") == "guest" and r["detail"].get("code") ==
                   "unauthorized" for r in ops), ops
    finally:
        rig.stop()
