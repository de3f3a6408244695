"""DL/T645-2007 meter parameters the concentrator writes (A.4 参变量), with
the password (14H): the settlement days and the freeze times.

``PARAMS``: (name, DI, what is allowed).  ``check(name, value)`` gives the
value as the codec encodes it, or raises BadValueError saying what is
allowed.  Names are the quantity names the meter reads them back as.

Runs on MicroPython 1.27 too.
"""

from protocols.core.errors import BadValueError
from protocols.core.num import Num

PARAMS = (
    ("settlement.day.1", 0x04000B01, "day 01..28 and hour 00..23 as DDThh, e.g. 01T00"),
    ("settlement.day.2", 0x04000B02, "DDThh as for settlement.day.1, or 99T99 for none"),
    ("settlement.day.3", 0x04000B03, "DDThh as for settlement.day.1, or 99T99 for none"),
    ("freeze.daily.time", 0x04001203, "the time of day as hh:mm, e.g. 00:00"),
    ("freeze.hourly.interval", 0x04001202, "minutes between hourly freezes: 15, 30 or 60"),
)
_BY_NAME = dict((row[0], row[1:]) for row in PARAMS)


def names():
    return tuple(row[0] for row in PARAMS)


def allowed(name):
    return _BY_NAME[name][1]


def di_of(name):
    return _BY_NAME[name][0]


def _two_digits(text, k):
    part = text[k:k + 2]
    return int(part) if len(part) == 2 and part.isdigit() else -1


def check(name, value):
    """``value`` as the codec writes it; BadValueError naming what is allowed."""
    if name not in _BY_NAME:
        raise BadValueError("DL/T645-2007 meters take no parameter %s" % name,
                            expected=", ".join(names()), got=repr(name))
    what = allowed(name)
    if name.startswith("settlement.day."):
        text = str(value)
        ok = len(text) == 5 and text[2] == "T"
        day, hour = _two_digits(text, 0), _two_digits(text, 3)
        if ok and name != "settlement.day.1" and text == "99T99":
            return text
        if ok and 1 <= day <= 28 and 0 <= hour <= 23:
            return text
    elif name == "freeze.daily.time":
        text = str(value)
        if len(text) == 5 and text[2] == ":" and 0 <= _two_digits(text, 0) <= 23 and \
                0 <= _two_digits(text, 3) <= 59:
            return text
    elif name == "freeze.hourly.interval":
        if not isinstance(value, bool) and str(value) in ("15", "30", "60"):
            return Num(int(str(value)), 0)
    raise BadValueError("bad value for %s" % name, expected=what, got=repr(value))
