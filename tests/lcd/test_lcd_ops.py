"""The LCD on the real operations (gateway.console_ops over gateway.commands
on a started engine with simulated meters): a parameter change is refused
without the password, and with it validated, applied and logged as through
the console."""

import pytest

from gateway.lcd import Lcd
from gateway.ops.dispatch import Operations
from tests.lcd.fake import authenticate
from tests.lcd.test_lcd import ROUTES, digits, press
from bench.harness import Bench

SCENARIO = {"port": [
    {"name": "bus1", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000001"}]},
    {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 1,
         "first_address": "00000000000301"}]}]}


@pytest.fixture
def rig(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0})
    engine = b.start()
    ops = Operations(engine, b.store, b.archive, b.params, b.engine_clock, "9.9.9",
                     b.engine_clock.time() - 30, info=lambda: {"cid": "c01", "agent": "running"},
                     console=True)
    lcd = Lcd(ops.call, b.engine_clock, authenticate)
    yield lcd, b
    b.close()


def param_screen(lcd, key):
    press(lcd, ROUTES["params"][0])
    while lcd.view.params[lcd.view.sel] != key:
        lcd.press("DOWN")
    lcd.press("OK")
    assert lcd.view.kind == "param" and lcd.view.key == key


def test_screens_show_real_operations(rig):
    lcd, b = rig
    assert "地址             c01" in lcd.text_lines()
    press(lcd, ROUTES["meter_list"][0])
    assert lcd.text_lines()[2:5] == [">001 000000000001", " 002 000000000002",
                                     " 003 00000000000301"]
    for name in ("ports", "events", "terminal", "clock", "params"):
        while len(lcd.stack) > 1:
            lcd.press("CANCEL")
        press(lcd, ROUTES[name][0])
        assert not any(s.startswith("错误") for s in lcd.text_lines()), lcd.text_lines()


def test_parameter_change_through_params_set(rig):
    lcd, b = rig
    param_screen(lcd, "freeze.settlement_day")
    lcd.press("OK")
    press(lcd, digits("111111") + ["OK"])                  # a wrong password
    assert "密码错误,未执行" in lcd.text_lines()
    assert b.params.get("freeze.settlement_day") == 1
    assert not [r for r in b.store.logs("modification") if "settlement" in r["message"]]
    lcd.press("OK")
    lcd.press("OK")
    press(lcd, digits("123456") + ["OK"])
    assert lcd.view.kind == "edit"
    # "1" -> "0", then a new character at the end: "0" on the first UP, "5" on the sixth
    press(lcd, ["DOWN", "RIGHT"] + ["UP"] * 6 + ["OK"])
    assert "修改成功" in lcd.text_lines() and "1 \u2192 5" in lcd.text_lines()
    assert b.params.get("freeze.settlement_day") == 5
    log = b.store.logs("modification")[-1]
    assert log["message"] == "parameters changed by lcd:engineer: freeze.settlement_day"
    # out of range: refused by the same validation as the console's
    lcd.press("OK")
    lcd.press("OK")                                        # still logged in
    press(lcd, ["UP", "UP", "UP", "RIGHT", "UP", "UP", "UP", "UP", "OK"])   # "5" -> "83"
    lines = lcd.text_lines()
    assert any(s.startswith("被拒绝 bad_request") for s in lines), lines
    assert "1..28" in "".join(lines)
    assert b.params.get("freeze.settlement_day") == 5


def test_clock_set_on_the_keys_through_time_set(rig):
    lcd, b = rig
    press(lcd, ROUTES["clock"][0])
    assert "确认键修改" in lcd.text_lines()
    lcd.press("OK")
    assert lcd.view.kind == "password"
    press(lcd, digits("111111") + ["OK"])                  # a wrong password: nothing set
    assert "密码错误,未执行" in lcd.text_lines()
    assert not [r for r in b.store.logs("modification") if "clock set" in r["message"]]
    lcd.press("OK")
    lcd.press("OK")
    press(lcd, digits("123456") + ["OK"])
    assert lcd.view.kind == "clock_set"
    shown = lcd.text_lines()[2]
    assert shown == lcd.view.shown() and len(shown) == 19 and shown[4] == "-"
    before = b.engine_clock.time()
    # the year's last digit one up: a year later (the field starts at the LCD's own time)
    press(lcd, ["RIGHT"] * 3 + ["UP"])
    assert lcd.text_lines()[3] == "   ^"
    lcd.press("OK")
    lines = lcd.text_lines()
    assert "对时成功" in lines, lines
    correction = float([s for s in lines if s.endswith(" s")][0][:-2])
    assert 364 * 86400 - 60 < correction < 366 * 86400 + 60
    assert b.engine_clock.time() - before > 364 * 86400
    log = b.store.logs("modification")[-1]
    assert log["message"].startswith("clock set by lcd:engineer: +")


def test_clock_set_refuses_a_time_that_is_none(rig):
    lcd, b = rig
    press(lcd, ROUTES["clock"][0] + ["OK"] + digits("123456") + ["OK"])
    keys = ["RIGHT"] * 4                                     # to the month: make it 13
    for i, want in ((4, 1), (5, 3)):
        keys += ["RIGHT"] * (i == 5) + ["UP"] * ((want - int(lcd.view.value[i])) % 10)
    press(lcd, keys)
    assert lcd.text_lines()[2][5:7] == "13"
    lcd.press("OK")
    assert "时间无效" in lcd.text_lines()
    assert not [r for r in b.store.logs("modification") if "clock set" in r["message"]]


@pytest.mark.parametrize("key, typed, value", [
    ("terminal.address", "c7", "c7"),
    ("uplink.host", "10.0.0.9", "10.0.0.9"),
    ("uplink.port", "8883", 8883),
])
def test_configuration_values_changed_on_the_keys(rig, key, typed, value):
    """Terminal address, master host and port: parameters overriding the
    file's values (read at the agent's start), changed through params.set."""
    lcd, b = rig
    param_screen(lcd, key)
    lcd.press("OK")
    press(lcd, digits("123456") + ["OK"])
    assert lcd.view.kind == "edit"
    charset = lcd.view.charset
    keys = []
    old = list(lcd.view.value)            # "" or "0": the first character is replaced
    for i, ch in enumerate(typed):
        start = charset.index(old[0]) if i == 0 and old else -1
        keys += ["RIGHT"] * bool(i) + ["UP"] * ((charset.index(ch) - start) % len(charset))
    press(lcd, keys + ["OK"])
    lines = lcd.text_lines()
    assert "修改成功" in lines, lines
    assert b.params.get(key) == value
    log = b.store.logs("modification")[-1]
    assert log["message"] == "parameters changed by lcd:engineer: %s" % key


def test_configuration_values_are_validated_like_the_console(rig):
    lcd, b = rig
    param_screen(lcd, "uplink.port")
    lcd.press("OK")
    press(lcd, digits("123456") + ["OK"])
    press(lcd, ["UP"] * 7 + ["RIGHT"] + ["UP"] * 1 + ["RIGHT"] + ["UP"] * 1 + ["RIGHT"]
          + ["UP"] * 1 + ["RIGHT"] + ["UP"] * 1 + ["RIGHT"] + ["UP"] * 1 + ["OK"])
    lines = lcd.text_lines()
    assert any(s.startswith("被拒绝 bad_request") for s in lines), lines
    assert "0..65535" in "".join(lines) and b.params.get("uplink.port") == 0
