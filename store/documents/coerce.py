"""Turning values that arrive as JSON or as CLI/CSV text into their stored types.

A meter record or a parameter may come from the master station (JSON types:
``15``, ``true``, ``["a", "b"]``), from the console (text: ``"15"``,
``"true"``, ``"a,b"``) or from a CSV cell (always text).  Each function here
takes any of those and returns the one stored form, or raises ``ValueError``
whose text says what is allowed ("a whole number", "true or false"); the
callers add the meter id or the parameter key.

Numbers are exact (architecture principle 2): decimals are ``Decimal`` and
stored as their digit string; a JSON float is taken by its shortest repr
(``5.5`` stays ``"5.5"``), never by its binary value.
"""

import json
import re
from decimal import Decimal, InvalidOperation

_INT = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\Z")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})\Z")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def to_int(value):
    """An int from an int, an integral float or decimal text; not from a bool."""
    if isinstance(value, bool):
        raise ValueError("a whole number, not true/false")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip())
    raise ValueError("a whole number")


def to_decimal(value):
    """A finite ``Decimal`` from an int, a float (by its repr), a Decimal or decimal text."""
    if isinstance(value, bool):
        raise ValueError("a decimal number, not true/false")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    elif isinstance(value, str) and _DECIMAL.match(value.strip()):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            d = None
    else:
        d = None
    if d is None or not d.is_finite():
        raise ValueError("a decimal number such as 5 or 2.5")
    return d


def decimal_text(d):
    """The stored text of a Decimal: plain digits, no exponent, no negative zero."""
    if d == 0:
        d = abs(d)
    return format(d, "f")


def to_bool(value):
    """A bool from a bool, 0/1 or true/false, yes/no, on/off (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("true or false")


def to_text(value):
    """Text (stripped); numbers and other JSON types are refused, not stringified."""
    if isinstance(value, str):
        return value.strip()
    raise ValueError("text")


def to_list(value):
    """A list of strings from a JSON list, JSON array text or comma-separated text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError("a list: a,b,c or a JSON array") from None
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise ValueError("a list of names: a,b,c or a JSON array of strings")


def to_time(value):
    """"HH:MM" (00:00 .. 23:59) from "H:MM" or "HH:MM"."""
    if isinstance(value, str):
        m = _TIME.match(value.strip())
        if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
            return "%02d:%s" % (int(m.group(1)), m.group(2))
    raise ValueError("a time of day HH:MM, 00:00 to 23:59")
