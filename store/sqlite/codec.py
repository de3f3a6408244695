"""How a reading becomes two small integers: its key and its value.

Key (the rowid of a reading table, so the B-tree is ordered by it)::

    key = minute << 24 | meter_id << 10 | quantity_id

``minute`` counts minutes from 2020-01-01T00:00Z (25 bits: to 2083), so keys
grow with time and a day's inserts append at the end of the table.  A
frozen value's ``minute`` is its boundary; a real-time value's is the minute
it was read, the seconds going to ``dt``.  ``meter_id`` (14 bits, 16383
meters) and ``quantity_id`` (10 bits) index the ``meters`` and
``quantities`` tables.

Value: a number -- a ``Decimal`` or an ``int``, the one exact type outside
protocols/; any other type is a TypeError -- is its decimal mantissa
(``value``) and exponent (the low four bits of ``flags``, offset by 8):
``0012345.67 kWh`` is 1234567 and -2, so the meter's own digits come back as
a Decimal, trailing zeros included, computed from the two integers (no text
or float in between).  States and
enumerations are ids in ``texts``; flags are 0/1; a meter's clock is the
seconds of its local date-time.  ``flags`` bits 4-5 hold the source (meter,
read, catchup); bit 6 marks a frozen value from a meter whose clock was out
of tolerance (``clock_off``: the meter froze it at its own, wrong, time).
``dt``: for src=read the seconds from the boundary to the real read; for
real-time values the second within the minute; else NULL.
"""

import calendar
import time
from decimal import Context, Decimal

from store.errors import StoreError

EPOCH = 1577836800          # 2020-01-01T00:00:00Z
MINUTE_SHIFT = 24
METER_BITS = 14
QUANTITY_BITS = 10
MAX_METERS = (1 << METER_BITS) - 1
MAX_QUANTITIES = (1 << QUANTITY_BITS) - 1

SOURCES = ("meter", "read", "catchup")
_SRC = dict((s, i) for i, s in enumerate(SOURCES))

# enough digits for any stored mantissa (a 64-bit integer): exact whatever the thread's context
_EXACT = Context(prec=40)

# value types of a quantity
NUMBER, TEXT, FLAG, DATETIME = 0, 1, 2, 3


class EncodingError(StoreError, ValueError):
    """A reading that cannot be stored exactly."""


def minute_of(ts):
    return (int(ts) - EPOCH) // 60


def key_of(ts, meter_id, q_id):
    m = minute_of(ts)
    if m < 0:
        raise EncodingError("timestamp %s is before 2020-01-01" % ts)
    return (m << MINUTE_SHIFT) | (meter_id << QUANTITY_BITS) | q_id


def split_key(key):
    """(minute timestamp, meter_id, quantity_id)."""
    return (EPOCH + (key >> MINUTE_SHIFT) * 60, (key >> QUANTITY_BITS) & MAX_METERS,
            key & MAX_QUANTITIES)


def key_range(start=None, end=None):
    """Keys of the minutes [start, end) (UTC seconds; None = open)."""
    lo = 0 if start is None else max(0, minute_of(start + 59)) << MINUTE_SHIFT
    hi = (1 << 62) if end is None else max(0, minute_of(end + 59)) << MINUTE_SHIFT
    return lo, hi


def covering_range(start=None, end=None):
    """Keys of every minute that may hold a value whose ``ts`` is in [start, end):
    a real-time value's ``ts`` has seconds (the key has its minute, ``dt`` the
    second), so the first and last minutes are partly in the range; the caller
    keeps the values with ``in_range(ts, start, end)``."""
    lo = 0 if start is None else max(0, minute_of(start)) << MINUTE_SHIFT
    if end is None:
        return lo, 1 << 62
    last = int(end) if end == int(end) else int(end) + 1        # ceil
    return lo, max(0, minute_of(last - 1) + 1) << MINUTE_SHIFT


def in_range(ts, start=None, end=None):
    return (start is None or ts >= start) and (end is None or ts < end)


def ts_of(kind, key, dt):
    """The ``ts`` of a stored value: the boundary, or for real-time values the read time."""
    ts = EPOCH + (key >> MINUTE_SHIFT) * 60
    return ts + (dt or 0) if kind == "realtime" else ts


def vtype_of(value):
    """The value type of a reading's value: bool, Decimal or int, or str (a
    meter date-time or a state); any other type is a TypeError."""
    if isinstance(value, bool):
        return FLAG
    if isinstance(value, (Decimal, int)):
        return NUMBER
    if isinstance(value, str):
        return DATETIME if _looks_like_datetime(value) else TEXT
    raise TypeError("a reading's value is a Decimal, an int, a bool or a str, not %s (%r)"
                    % (type(value).__name__, value))


def _looks_like_datetime(text):
    return len(text) == 19 and text[4] == "-" and text[10] == "T" and text[13] == ":"


def decimal_parts(value):
    """(mantissa, exponent) of a Decimal or int, exactly; TypeError for any other type."""
    if isinstance(value, int):
        return value, 0
    if not isinstance(value, Decimal):
        raise TypeError("a number is a Decimal or an int, not %s (%r)" % (type(value).__name__, value))
    exp = value.as_tuple().exponent
    if not isinstance(exp, int):
        raise EncodingError("%s is not a finite number" % value)
    return int(value.scaleb(-exp, _EXACT)), exp


def encode_number(value):
    m, e = decimal_parts(value)
    while e > 7:                   # 1200 as 12E2: exact with a smaller exponent
        m, e = m * 10, e - 1
    if e < -8:
        raise EncodingError("%s has more than 8 decimals" % value)
    return m, e + 8


def decode_number(m, flags):
    """The Decimal of mantissa ``m`` and the exponent in ``flags``: the meter's digits."""
    return Decimal(m).scaleb((flags & 15) - 8, _EXACT)


CLOCK_OFF = 1 << 6


def flags_of(exp_bits, src, clock_off=False):
    return exp_bits | (_SRC[src] << 4) | (CLOCK_OFF if clock_off else 0)


def clock_off_of(flags):
    return bool(flags & CLOCK_OFF)


def src_of(flags):
    return SOURCES[(flags >> 4) & 3]


def datetime_seconds(text):
    """A meter's local ISO date-time as seconds (the clock it shows, no zone)."""
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S"))
    except ValueError as err:
        raise EncodingError("bad meter date-time %r" % text) from err


def datetime_text(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
