"""gateway.lcd.Lcd: key sequences through every screen, goldens in Chinese
and English, passwords, parameter changes through params.set, idle."""

import os

import pytest

from gateway.lcd import Lcd, menu
from gateway.lcd.framebuf import FrameBuffer
from gateway.lcd.textfmt import unhair
from tests.lcd.fake import FakeClock, FakeOps, authenticate
from tests.lcd.test_render import decode_png

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
UPDATE = os.environ.get("LCD_GOLDEN_UPDATE") == "1"

# screen name -> keys from home, and the screen kind it reaches
ROUTES = {
    "home": ([], "home"),
    "main": (["OK"], "menu"),
    "meters": (["OK", "OK"], "menu"),
    "meter_list": (["OK", "OK", "OK"], "meter_list"),
    "meter_current": (["OK", "OK", "OK", "OK"], "meter"),
    "meter_freeze": (["OK", "OK", "OK", "OK", "RIGHT"], "meter"),
    "meter_state": (["OK", "OK", "OK", "OK", "RIGHT", "RIGHT"], "meter"),
    "meter_chart": (["OK", "OK", "OK", "OK", "LEFT"], "meter"),
    "address": (["OK", "OK", "DOWN", "OK"], "address"),
    "ports": (["OK", "DOWN", "OK"], "ports"),
    "port": (["OK", "DOWN", "OK", "RIGHT"], "ports"),
    "events": (["OK", "DOWN", "DOWN", "OK"], "events"),
    "event": (["OK", "DOWN", "DOWN", "OK", "DOWN", "OK"], "event"),
    "params": (["OK", "DOWN", "DOWN", "DOWN", "OK"], "params"),
    # the reading interval, under terminal address, master host and port
    "param": (["OK", "DOWN", "DOWN", "DOWN", "OK", "DOWN", "DOWN", "DOWN", "OK"], "param"),
    "password": (["OK", "DOWN", "DOWN", "DOWN", "OK", "DOWN", "DOWN", "DOWN", "OK", "OK"],
                 "password"),
    "clock_password": (["OK", "UP", "OK", "DOWN", "OK", "OK"], "password"),
    "clock_set": (["OK", "UP", "OK", "DOWN", "OK", "OK"] + sum(
        (["RIGHT"] * bool(i) + ["UP"] * int(c) for i, c in enumerate("123456")), []) + ["OK"],
        "clock_set"),
    "terminal_menu": (["OK", "UP", "OK"], "menu"),
    "terminal": (["OK", "UP", "OK", "OK"], "terminal"),
    "clock": (["OK", "UP", "OK", "DOWN", "OK"], "clock"),
    "restart": (["OK", "UP", "OK", "UP", "UP", "OK"], "password"),
    "data_reset": (["OK", "UP", "OK", "UP", "OK"], "password"),
}
GOLDEN_SCREENS = ("home", "main", "meters", "meter_list", "meter_current", "meter_freeze",
                  "meter_state", "meter_chart", "address", "ports", "port", "events", "event",
                  "params", "param", "password", "terminal", "clock", "clock_set")


class FakeDisplay:
    def __init__(self):
        self.frames = 0
        self.light = []

    def show(self, buf):
        assert len(buf) == 3200
        self.frames += 1

    def backlight(self, on):
        self.light.append(on)


def make(lang="zh", **kw):
    clock = FakeClock()
    ops = FakeOps(clock)
    lcd = Lcd(ops, clock, authenticate, lang=lang, **kw)
    return lcd, ops, clock


def press(lcd, keys):
    for k in keys:
        lcd.press(k)


def digits(value):
    """Keys that type ``value`` into a fixed field of zeros (cursor at 0)."""
    keys = []
    for i, ch in enumerate(value):
        if i:
            keys.append("RIGHT")
        keys += ["UP"] * int(ch)
    return keys


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_screen_is_reached_and_cancel_comes_home(name):
    keys, kind = ROUTES[name]
    lcd, ops, clock = make()
    press(lcd, keys)
    assert lcd.view.kind == kind
    for _ in range(10):
        if len(lcd.stack) == 1:
            break
        lcd.press("CANCEL")
    assert lcd.view.kind == "home" and len(lcd.stack) == 1


def test_every_menu_entry_is_routed():
    reached = set()
    for keys, _ in ROUTES.values():
        lcd, ops, clock = make()
        reached.add(lcd.view.entry.id)
        for k in keys:
            lcd.press(k)
            if lcd.view.entry is not None:
                reached.add(lcd.view.entry.id)
        if lcd.view.kind == "password":
            press(lcd, digits("123456") + ["OK"])
            reached.add(lcd.view.entry.id if lcd.view.entry else None)
    reached.discard(None)
    assert reached == set(menu.ENTRIES)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", GOLDEN_SCREENS)
def test_golden_text(name, lang):
    lcd, ops, clock = make(lang)
    press(lcd, ROUTES[name][0])
    text = "\n".join(lcd.text_lines()) + "\n"
    path = os.path.join(GOLDEN, "%s.%s.txt" % (name, lang))
    if UPDATE or not os.path.exists(path):
        if not UPDATE:
            pytest.fail("no golden %s (run with LCD_GOLDEN_UPDATE=1 to write it)" % path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    with open(path, encoding="utf-8") as f:
        assert text == f.read()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["home", "meter_current", "meter_chart", "events", "port",
                                  "ports"])
def test_pixels_are_the_text_lines(name, lang):
    """Drawing the text renderer's lines again gives the same pixels, and the
    PNG shows those pixels."""
    lcd, ops, clock = make(lang)
    press(lcd, ROUTES[name][0])
    fb = FrameBuffer()
    drawn = lcd.drawn_lines()
    assert [unhair(s).rstrip() for s in drawn] == lcd.text_lines()
    for (y, h, font, _), s, inv in zip(lcd.layout, drawn, lcd.inverted):
        fb.text(s, 0, y, 1, font)
        if inv:
            fb.invert(0, y, 160, h)
    assert fb.buf == lcd.framebuffer.buf
    w, h, depth, ctype, rows = decode_png(lcd.png())
    assert (w, h, depth) == (160, 160, 1)
    for y in range(160):
        assert bytes(b ^ 0xFF for b in rows[y]) == bytes(lcd.framebuffer.buf[y * 20:y * 20 + 20])
    assert len(lcd.braille()) == 40 and len(lcd.raw()) == 3200


def test_status_bar():
    lcd, ops, clock = make()
    bar = lcd.text_lines()[0]
    assert bar.startswith("\u2191\u2582\u2584\u2586_") and "无线" in bar and "!" in bar
    assert bar.endswith("00:26") and lcd.inverted[0]


def test_status_bar_shows_what_the_status_op_lacks_as_dashes():
    lcd, ops, clock = make()
    real = ops.op_status
    ops.op_status = lambda args, meta: dict(real(args, meta), uplink={"up": False})
    clock.advance(lcd.refresh_s)
    lcd.tick()
    bar = lcd.text_lines()[0]
    assert bar.startswith("x-- --") and "\u2582" not in bar and "_" not in bar


def test_find_meter_by_address():
    lcd, ops, clock = make()
    press(lcd, ROUTES["address"][0] + ["RIGHT"] * 11 + ["UP"] + ["RIGHT"] * 2 + ["UP"])
    assert lcd.text_lines()[2] == "00000000000101"
    lcd.press("OK")
    assert lcd.view.kind == "meter" and lcd.view.meter["id"] == "m-0002"
    assert "m-0002 00000000000101" in lcd.text_lines()     # id and address on one line
    lcd.press("CANCEL")
    press(lcd, ["UP", "OK"])
    assert lcd.view.kind == "message"


def test_meter_data_calls():
    lcd, ops, clock = make()
    press(lcd, ROUTES["meter_current"][0])
    data = [a for op, a, m in ops.calls if op == "data" and a.get("meter") == "m-0001"]
    assert {a["kind"] for a in data} == {"realtime", "daily", "monthly"}
    assert {"meter": "m-0001", "kind": "daily", "q": ["energy.active.import.total"],
            "newest": True, "limit": 8} in data
    assert all(m == {"source": "lcd", "user": None} for op, a, m in ops.calls)


def test_parameter_change_refused_without_password_then_made_with_it():
    lcd, ops, clock = make()
    press(lcd, ROUTES["param"][0])
    assert lcd.view.key == "plan.realtime_interval_min"
    lcd.press("OK")
    assert lcd.view.kind == "password"
    press(lcd, digits("654321") + ["OK"])
    assert lcd.view.kind == "message" and "密码错误,未执行" in lcd.text_lines()
    assert not [c for c in ops.calls if c[0] == "params.set"]
    assert ops.params["plan.realtime_interval_min"] == 15
    lcd.press("OK")
    assert lcd.view.kind == "param"
    lcd.press("OK")
    press(lcd, digits("123456") + ["OK"])
    assert lcd.view.kind == "edit"
    assert lcd.text_lines()[2] == "15"
    press(lcd, ["UP", "UP", "RIGHT"] + ["DOWN"] * 5 + ["OK"])
    sets = [c for c in ops.calls if c[0] == "params.set"]
    assert sets == [("params.set", {"plan.realtime_interval_min": 30},
                     {"source": "lcd", "user": "engineer"})]
    assert ops.params["plan.realtime_interval_min"] == 30
    assert "修改成功" in lcd.text_lines() and "15 \u2192 30" in lcd.text_lines()
    lcd.press("OK")
    assert lcd.view.kind == "param" and " 30" in lcd.text_lines()


def test_invalid_value_is_refused_by_params_set_on_screen():
    lcd, ops, clock = make("en")
    press(lcd, ROUTES["param"][0] + ["OK"] + digits("123456") + ["OK"])
    press(lcd, ["RIGHT", "RIGHT", "UP", "RIGHT", "UP", "OK"])       # "1500"
    assert ("params.set", {"plan.realtime_interval_min": 1500},
            {"source": "lcd", "user": "engineer"}) in ops.calls
    lines = lcd.text_lines()
    assert "Refused bad_request" in lines
    assert ops.params["plan.realtime_interval_min"] == 15


def test_readonly_parameter_is_not_edited():
    lcd, ops, clock = make()
    press(lcd, ["OK", "DOWN", "DOWN", "DOWN", "OK", "UP", "OK"])     # the last: store.budget_mb
    assert lcd.view.kind == "param" and lcd.view.key == "store.budget_mb"
    assert "只读" in lcd.text_lines()
    lcd.press("OK")
    assert lcd.view.kind == "param"


def test_data_reset_needs_password_and_second_confirm():
    lcd, ops, clock = make()
    press(lcd, ["OK", "UP", "OK", "UP", "OK"])
    assert lcd.view.kind == "password"
    press(lcd, digits("123456") + ["OK"])
    assert lcd.view.kind == "confirm"
    lcd.press("CANCEL")
    assert not [c for c in ops.calls if c[0] == "reset"]
    lcd.press("OK")                      # logged in: straight to the confirm screen
    assert lcd.view.kind == "confirm"
    lcd.press("OK")
    assert [c for c in ops.calls if c[0] == "reset"] == [
        ("reset", {"what": "data", "confirm": True}, {"source": "lcd", "user": "engineer"})]
    assert lcd.view.kind == "message" and "已执行" in lcd.text_lines()


def test_refusal_is_shown_not_raised():
    lcd, ops, clock = make("en")
    ops.fail.add("diag")
    press(lcd, ROUTES["ports"][0])
    assert "Error internal" in lcd.text_lines()
    assert "diag failed (test)" in lcd.text_lines()


def test_idle_home_backlight_rolling_and_wake():
    display = FakeDisplay()
    lcd, ops, clock = make(idle_s=60, backlight_s=120, rolling_s=180, roll_s=5,
                           display=display)
    press(lcd, ROUTES["param"][0] + ["OK"] + digits("123456") + ["OK", "CANCEL"])
    assert lcd.user == "engineer" and len(lcd.stack) > 1
    clock.advance(59)
    lcd.tick()
    assert len(lcd.stack) > 1
    clock.advance(1)
    lcd.tick()
    assert lcd.view.kind == "home" and lcd.user is None and lcd.backlight
    clock.advance(60)
    lcd.tick()
    assert not lcd.backlight and display.light == [False]
    clock.advance(60)
    lcd.tick()
    assert lcd.view.kind == "rolling" and "m-0001" in lcd.text_lines()
    clock.advance(5)
    lcd.tick()
    assert "m-0002" in lcd.text_lines()
    assert any(s.startswith("累计流量") for s in lcd.text_lines())
    clock.advance(10)
    lcd.tick()
    assert "m-0001" in lcd.text_lines()              # round again
    lcd.press("DOWN")                                 # wakes, does nothing else
    assert lcd.view.kind == "home" and lcd.backlight and display.light == [False, True]
    lcd.press("OK")
    assert lcd.view.kind == "menu"
    assert display.frames > 5


def test_key_on_dark_screen_only_wakes():
    lcd, ops, clock = make(idle_s=10, backlight_s=20, rolling_s=1000)
    clock.advance(20)
    lcd.tick()
    assert not lcd.backlight
    lcd.press("OK")
    assert lcd.backlight and lcd.view.kind == "home"


def test_held_keys_repeat_but_not_ok_and_cancel():
    lcd, ops, clock = make()
    press(lcd, ["OK"])
    lcd.press("DOWN", repeat=True)
    lcd.press("DOWN", repeat=True)
    assert lcd.view.sel == 2
    lcd.press("OK", repeat=True)
    assert lcd.view.kind == "menu" and lcd.view.entry.id == "main"
    lcd.press("CANCEL", repeat=True)
    assert lcd.view.entry.id == "main"


def test_live_screen_reloads_on_the_clock():
    lcd, ops, clock = make(refresh_s=5)
    press(lcd, ROUTES["ports"][0])
    n = sum(1 for c in ops.calls if c[0] == "diag")
    lcd.tick()
    assert sum(1 for c in ops.calls if c[0] == "diag") == n
    clock.advance(5)
    lcd.tick()
    assert sum(1 for c in ops.calls if c[0] == "diag") == n + 1


def test_key_names_and_arguments():
    lcd, ops, clock = make()
    lcd.press("enter")
    assert lcd.view.kind == "menu"
    lcd.press("Esc")
    assert lcd.view.kind == "home"
    with pytest.raises(ValueError, match="UP, DOWN"):
        lcd.press("F1")
    with pytest.raises(ValueError):
        make(lang="fr")
    with pytest.raises(ValueError):
        make(idle_s=100, backlight_s=50)


def test_parse_iso():
    from gateway.lcd.textfmt import iso, parse_iso
    assert parse_iso("2026-11-18T21:30:00+08:00") == 1795008600
    assert parse_iso("2026-11-18T21:30:00.250+08:00") == 1795008600
    assert parse_iso("2026-11-18T13:30:00Z") == 1795008600
    assert parse_iso("2026-11-18T05:30:00-08:00") == 1795008600
    assert parse_iso("junk") is None and parse_iso(None) is None
    assert parse_iso(iso(1795008600, -3 * 3600 - 1800)) == 1795008600


def test_events_newest_first_across_truncated_pages():
    lcd, ops, clock = make()
    page1 = [{"id": i, "ts": "2026-11-%02dT10:00:00+08:00" % (1 + i), "type": "power_up",
              "severity": "info"} for i in range(3)]
    page2 = [dict(page1[-1])] + [{"id": 9, "ts": "2026-11-18T10:00:00+08:00",
                                  "type": "tamper", "severity": "warning", "meter": "m-0001"}]
    answers = [{"events": page1, "truncated": True}, {"events": page2, "truncated": False}]
    asked = []

    def events_query(args, meta):
        asked.append(args)
        return answers[len(asked) - 1]
    ops.op_events_query = events_query
    press(lcd, ROUTES["events"][0])
    lines = lcd.text_lines()
    assert lines[2] == ">18 10:00 开盖" and lines[3] == " 03 10:00 终端上电"
    assert len([s for s in lines if "10:00" in s]) == 4
    assert asked[1]["from"] == "2026-11-03T10:00:00+08:00"


@pytest.mark.parametrize("name", ["meter_current", "meter_chart", "events", "ports", "port"])
def test_dense_screens_use_the_12px_face(name):
    """Meter data, the events list and the channel table: 12 lines of 12 px
    under the 16 px status bar; the other screens keep 9 lines of 16 px."""
    lcd, ops, clock = make()
    press(lcd, ROUTES[name][0])
    assert [(y, h) for y, h, _, _ in lcd.layout] == [(0, 16)] + [(16 + 12 * i, 12)
                                                                 for i in range(12)]
    assert len(lcd.text_lines()) == 13 and lcd.layout[1][2].height == 12
    lcd.press("CANCEL")
    while len(lcd.stack) > 1:
        lcd.press("CANCEL")
    assert [(y, h) for y, h, _, _ in lcd.layout] == [(16 * i, 16) for i in range(10)]


def test_events_list_shows_whole_labels_in_the_12px_face():
    lcd, ops, clock = make("en")
    press(lcd, ROUTES["events"][0])
    assert ">18 21:30 Params changed" in lcd.text_lines()


def test_a_change_that_applies_after_a_restart_says_so():
    lcd, ops, clock = make("en")
    press(lcd, ["OK", "DOWN", "DOWN", "DOWN", "OK"])
    assert lcd.view.params[:3] == ["terminal.address", "uplink.host", "uplink.port"]
    press(lcd, ["DOWN", "DOWN", "OK", "OK"] + digits("123456") + ["OK"])
    assert lcd.view.kind == "edit" and lcd.view.key == "uplink.port"
    press(lcd, ["UP"] * 8 + ["RIGHT", "UP"] + ["OK"])           # "0" -> "80"
    assert ops.params["uplink.port"] == 80
    lines = lcd.text_lines()
    assert "Changed" in lines and "0 \u2192 80" in lines and "After a restart" in lines
    press(lcd, ["OK", "CANCEL", "DOWN", "OK", "OK"])             # realtime interval: at once
    press(lcd, ["UP", "OK"])
    assert ops.params["plan.realtime_interval_min"] == 25
    assert "After a restart" not in lcd.text_lines()
