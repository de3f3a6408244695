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
