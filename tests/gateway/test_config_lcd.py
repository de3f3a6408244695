"""The [lcd] section: defaults, every mistake named, missing devices, the password hash."""

import os
import subprocess
import sys

import pytest

from gateway.config import load
from gateway.lcd import config as lcd_config
from tests.gateway.test_config import MINIMAL, mistake, write

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def devices(tmp_path):
    fb = tmp_path / "fb0"
    fb.write_bytes(bytes(3200))
    keys = tmp_path / "keys"
    os.mkfifo(keys)
    return str(fb), str(keys)


def lcd_text(fb, keys, extra=""):
    return MINIMAL + '\n[lcd]\ndisplay = "%s"\nkeys = "%s"\nwidth = 160\nheight = 160\n' \
        'bpp = 1\n%s' % (fb, keys, extra)


def test_no_lcd_section_no_panel(tmp_path):
    assert load(write(tmp_path, MINIMAL), check_devices=False).lcd is None


def test_defaults(tmp_path, devices):
    cfg = load(write(tmp_path, lcd_text(*devices)))
    lcd = cfg.lcd
    assert (lcd.display, lcd.keys) == devices
    assert (lcd.lang, lcd.idle_s, lcd.backlight_s, lcd.rolling_s, lcd.roll_s) == \
        ("zh", 60, 120, 180, 5)
    assert lcd.keycodes == {"UP": 103, "DOWN": 108, "LEFT": 105, "RIGHT": 106,
                            "CANCEL": 1, "OK": 28}
    assert lcd.password_hash is None and lcd.authenticate("000000") is None


def test_keycodes_override(tmp_path, devices):
    cfg = load(write(tmp_path, lcd_text(*devices, "[lcd.keycodes]\nOK = 352\nCANCEL = 158\n")))
    assert cfg.lcd.keycodes["OK"] == 352 and cfg.lcd.keycodes["CANCEL"] == 158


@pytest.mark.parametrize("extra, expected", [
    ('lang = "fr"', "lcd.lang is 'fr': zh or en"),
    ("idle_s = 300", "lcd: the idle times must grow"),
    ('idle_s = "60"', "lcd.idle_s is '60': it must be an integer"),
    ("bpp = 8", "lcd.bpp is 8: 1, 16 or 32"),
    ("colour = 1", "lcd: unknown key colour; allowed: display, keys, keycodes"),
    ('password_hash = "secret"', "lcd.password_hash is not a hash made by `concentrator lcd"),
    ("[lcd.keycodes]\nMENU = 139", "lcd.keycodes.MENU is not a key"),
    ("[lcd.keycodes]\nOK = 103", "lcd.keycodes: two keys have the same code"),
])
def test_mistakes(tmp_path, devices, extra, expected):
    if extra.startswith("bpp"):
        text = lcd_text(*devices).replace("bpp = 1", extra)
    else:
        text = lcd_text(*devices, extra + "\n")
    assert expected in mistake(tmp_path, text)


def test_missing_devices_name_the_key_and_path(tmp_path, devices):
    fb, keys = devices
    message = mistake(tmp_path, lcd_text("/dev/fb-not-here", keys))
    assert "lcd.display /dev/fb-not-here does not exist" in message
    message = mistake(tmp_path, lcd_text(fb, "/dev/input/event-not-here"))
    assert "lcd.keys /dev/input/event-not-here does not exist" in message
    message = mistake(tmp_path, lcd_text(fb, keys).replace("width = 160\n", ""))
    assert "is a regular file: give lcd.width, lcd.height and lcd.bpp" in message
    # the console, which may run on a copy, does not check devices
    assert load(write(tmp_path, lcd_text("/dev/fb-not-here", keys)), check_devices=False).lcd


def test_run_check_finds_a_missing_device(tmp_path, devices):
    path = write(tmp_path, lcd_text("/dev/fb-not-here", devices[1]))
    p = subprocess.run([sys.executable, "-m", "gateway", "run", "--config", path, "--check"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and "lcd.display /dev/fb-not-here does not exist" in p.stderr


def test_password_hash_round_trip():
    line = lcd_config.make_hash("135790")
    assert line.startswith("scrypt$n=16384,r=8,p=1$")
    assert lcd_config.verify(line, "135790") and not lcd_config.verify(line, "135791")
    assert line != lcd_config.make_hash("135790")          # salted
    cfg = lcd_config.LcdConfig(password_hash=line)
    assert cfg.authenticate("135790") == "lcd" and cfg.authenticate("000000") is None
    with pytest.raises(ValueError):
        lcd_config.make_hash("abc")
