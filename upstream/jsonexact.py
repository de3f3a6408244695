"""JSON with exact decimal numbers.

Meter values travel as ``decimal.Decimal`` (outside protocols/ that is the one
exact number type) and must reach the master station with exactly the
meter's digits (mqtt.md: "a JSON number written with exactly the digits the
meter gave").  The standard ``json`` module can only write floats, so a
Decimal is written here from its exact text; everything else goes through
``json``, which refuses a type it does not know with a TypeError naming it.
Values read back from the store for a batch come here as they are: no
conversion through str or float on the way.
"""

import json
from decimal import Decimal

_plain = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _number_text(value):
    if not value.is_finite():
        raise ValueError("a meter value must be finite, got %s" % value)
    return format(value, "f")


def dumps(obj, indent=None, default=None):
    """``obj`` as compact JSON text (UTF-8 friendly); Decimal exact.

    ``default(value)``, as in ``json.dumps``: called for a value of a type
    JSON does not know, returns what to write instead (e.g. the Decimal of a
    codec number, converted by the caller who knows that type); without it,
    or when it returns the value unchanged, such a value is a TypeError
    naming its type.
    """
    parts = []
    _write(obj, parts, indent, 0, default)
    return "".join(parts)


def _write(obj, out, indent, level, default=None):
    if isinstance(obj, Decimal):
        out.append(_number_text(obj))
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        out.append("{")
        first = True
        for key, value in obj.items():
            if not first:
                out.append(",")
            first = False
            if indent is not None:
                out.append("\n" + " " * (indent * (level + 1)))
            out.append(_plain.encode(str(key)))
            out.append(": " if indent is not None else ":")
            _write(value, out, indent, level + 1, default)
        if indent is not None:
            out.append("\n" + " " * (indent * level))
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        if not obj:
            out.append("[]")
            return
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + " " * (indent * (level + 1)))
            _write(value, out, indent, level + 1, default)
        if indent is not None:
            out.append("\n" + " " * (indent * level))
        out.append("]")
    elif isinstance(obj, float):
        # counters, rates, seconds: never a meter value (those are Decimal)
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise ValueError("%r has no JSON form" % obj)
        out.append(repr(obj))
    elif default is not None and not isinstance(obj, (str, int, type(None))):
        new = default(obj)
        if new is obj:
            out.append(_plain.encode(obj))           # the TypeError naming the type
        else:
            _write(new, out, indent, level, default)
    else:
        out.append(_plain.encode(obj))


def loads(text):
    """JSON text with every non-integer number read as Decimal."""
    return json.loads(text, parse_float=Decimal)
