"""CJ/T188-2004 meter parameters the concentrator writes: the settlement day
(write A011, read back with 8103) and the reading day (A012 / 8104).

``PARAMS``: (name, read DI, write DI, field, what is allowed).
``check(name, value)`` gives the field value, or raises BadValueError
saying what is allowed.

Runs on MicroPython 1.27 too.
"""

from protocols.core.errors import BadValueError

PARAMS = (
    ("settlement.day", 0x8103, 0xA011, "settlement_day", "a day of the month 1..28"),
    ("reading.day", 0x8104, 0xA012, "reading_day", "a day of the month 1..28"),
)
_BY_NAME = dict((row[0], row[1:]) for row in PARAMS)


def names():
    return tuple(row[0] for row in PARAMS)


def allowed(name):
    return _BY_NAME[name][3]


def dis_of(name):
    """(read DI, write DI, field name) of a parameter."""
    return _BY_NAME[name][0:3]


def check(name, value):
    if name not in _BY_NAME:
        raise BadValueError("CJ/T188 meters take no parameter %s" % name,
                            expected=", ".join(names()), got=repr(name))
    if isinstance(value, bool) or not str(value).isdigit() or not 1 <= int(str(value)) <= 28:
        raise BadValueError("bad value for %s" % name, expected=allowed(name), got=repr(value))
    return int(str(value))
