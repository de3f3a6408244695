"""The ``[lcd]`` section of the configuration file, and the LCD's password.

Without ``[lcd]`` the agent runs no panel.  With it, the agent shows the
menu on the framebuffer ``display`` and reads the six keys from ``keys``
(docs/lcd.md).  A missing device is a ``ConfigError`` naming the key and the
path (``concentrator run --check`` finds it).

Operators and roles have not landed yet, so changes made on the keys
(parameters, restart, data reset) ask for one password whose salted scrypt
hash is ``password_hash``: ``concentrator lcd passwd`` prints one to paste.
There is no default password: without a hash every change on the keys is
refused.  Format: ``scrypt$n=16384,r=8,p=1$<salt base64>$<key base64>``.
"""

import os
import re
import stat

from gateway.auth import passwords
from gateway.lcd.keys import CANCEL, DOWN, LEFT, OK, RIGHT, UP

KEYS = (UP, DOWN, LEFT, RIGHT, CANCEL, OK)
DEFAULT_KEYCODES = {UP: 103, DOWN: 108, LEFT: 105, RIGHT: 106, CANCEL: 1, OK: 28}
LANGS = ("zh", "en")
HASH = passwords.HASH
PASSWORD = re.compile(r"\d{6}\Z")

# table: {key: (type, default, note)}, as gateway.config's tables
LCD = {
    "display": (str, "/dev/fb0", "the framebuffer device (/dev/fbN), or a regular file with "
                                 "width, height and bpp"),
    "keys": (str, "/dev/input/event0", "the key input device (/dev/input/eventN) or a FIFO"),
    "keycodes": (dict, None, "key name = input code: UP DOWN LEFT RIGHT CANCEL OK"),
    "backlight": (str, "", "the backlight's sysfs file (bl_power or brightness); empty: none"),
    "width": (int, None, "pixels a line, when display is a regular file"),
    "height": (int, None, "lines, when display is a regular file"),
    "bpp": (int, None, "1, 16 or 32 bits a pixel, when display is a regular file"),
    "lang": (str, "zh", "zh or en"),
    "idle_s": (int, 60, "seconds without a key before the home screen"),
    "backlight_s": (int, 120, "seconds without a key before the backlight goes off"),
    "rolling_s": (int, 180, "seconds without a key before the rolling display"),
    "roll_s": (int, 5, "seconds each meter is shown on the rolling display"),
    "password_hash": (str, None, "scrypt hash of the keys' password (concentrator lcd passwd)"),
}


class LcdConfig:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def authenticate(self, password):
        """The operator's name for a right password, else None."""
        if self.password_hash and verify(self.password_hash, password):
            return "lcd"
        return None


def parse(data, table, err, check_devices=True):
    """The checked LcdConfig of the ``[lcd]`` table (``table``: gateway.config's
    reader, ``err``: raises its ConfigError)."""
    c = table("lcd", data, LCD, err)
    if c["lang"] not in LANGS:
        err("lcd.lang is %r: zh or en" % (c["lang"],))
    if not 0 < c["idle_s"] <= c["backlight_s"] <= c["rolling_s"]:
        err("lcd: the idle times must grow: 0 < idle_s (%s) <= backlight_s (%s) <= "
            "rolling_s (%s)" % (c["idle_s"], c["backlight_s"], c["rolling_s"]))
    if c["roll_s"] < 1:
        err("lcd.roll_s is %r: at least 1 second" % c["roll_s"])
    if c["bpp"] is not None and c["bpp"] not in (1, 16, 32):
        err("lcd.bpp is %r: 1, 16 or 32" % c["bpp"])
    codes = dict(DEFAULT_KEYCODES)
    for name, code in (c["keycodes"] or {}).items():
        if name not in KEYS:
            err("lcd.keycodes.%s is not a key: one of %s" % (name, ", ".join(KEYS)))
        if not isinstance(code, int) or isinstance(code, bool) or not 0 <= code < 0x300:
            err("lcd.keycodes.%s is %r: a Linux input key code (KEY_UP is 103)" % (name, code))
        codes[name] = code
    if len(set(codes.values())) != len(codes):
        err("lcd.keycodes: two keys have the same code: %s" % codes)
    c["keycodes"] = codes
    if c["password_hash"] is not None and not HASH.match(c["password_hash"]):
        err("lcd.password_hash is not a hash made by `concentrator lcd passwd` "
            "(scrypt$n=...,r=...,p=...$salt$key)")
    if check_devices:
        check_devices_exist(c, err)
    return LcdConfig(**c)


def check_devices_exist(c, err):
    try:
        st = os.stat(c["display"])
    except OSError:
        err("lcd.display %s does not exist: check the panel's framebuffer (ls /dev/fb*; is its "
            "fbtft/DRM driver loaded?)" % c["display"])
    if stat.S_ISREG(st.st_mode) and not (c["width"] and c["height"] and c["bpp"]):
        err("lcd.display %s is a regular file: give lcd.width, lcd.height and lcd.bpp"
            % c["display"])
    if not os.path.exists(c["keys"]):
        err("lcd.keys %s does not exist: check the key input device (ls /dev/input/by-path; "
            "is gpio-keys configured?)" % c["keys"])
    if c["backlight"] and not os.path.exists(c["backlight"]):
        err("lcd.backlight %s does not exist: give the sysfs file "
            "(/sys/class/backlight/*/bl_power or brightness), or leave it empty" % c["backlight"])


# ---------------------------------------------------------------- password
def make_hash(password, salt=None):
    """The ``password_hash`` line for a six-digit ``password`` (the operators' scrypt format)."""
    if not PASSWORD.match(password or ""):
        raise ValueError("the LCD password is six digits (it is typed on the arrow keys)")
    return passwords.make_hash(password, salt)


def verify(line, password):
    return passwords.verify(line, password)
