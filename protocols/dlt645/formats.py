"""DL/T 645 data formats (2007 appendix A, 1997 appendix B): bytes <-> values.

A format is named as the standard prints it (``XXXXXX.XX``, ``YYMMDDhhmm``);
``FORMATS`` gives its size and kind.  On the wire every multi-byte value is
least significant byte first: ``YYMMDDWW`` arrives as WW DD MM YY.

Numbers are packed BCD with an implied decimal point; a signed quantity uses
the top bit of its most significant byte as the sign (2007 A.1 note).  A
field that is all FFH means "not present" (phases B and C of a single-phase
meter in a block reply) and decodes to None.
"""

from protocols.core.bcd import to_bcd_le
from protocols.core.errors import BadValueError, byte_hex
from protocols.core.num import Num

# format: (kind, bytes, decimals)
FORMATS = (
    ("XXXXXX.XX", "num", 4, 2),
    ("XXXXXXXX", "num", 4, 0),
    ("XXXXXX", "num", 3, 0),
    ("XXXX", "num", 2, 0),
    ("XXX.XXX", "num", 3, 3),
    ("XX.XXXX", "num", 3, 4),
    ("XXX.X", "num", 2, 1),
    ("XX.XX", "num", 2, 2),
    ("X.XXX", "num", 2, 3),
    ("XXX", "num", 2, 0),          # 1997 voltages: integer volts in two bytes
    ("NN", "num", 1, 0),
    ("YYMMDDWW", "date", 4, 0),
    ("hhmmss", "time", 3, 0),
    ("YYMMDDhhmm", "ymdhm", 5, 0),
    ("YYMMDDhhmmss", "ymdhms", 6, 0),
    ("MMDDhhmm", "mdhm", 4, 0),
    ("DDhh", "ddhh", 2, 0),
    ("hhmm", "hm", 2, 0),
    ("NNNNNNNNNNNN", "digits", 6, 0),
    ("XX.XXXX+YYMMDDhhmm", "demand", 8, 4),
    ("event", "event", 12, 0),     # an event record's head: start, end (YYMMDDhhmmss each)
    ("status16", "word", 2, 0),
    ("status8", "word", 1, 0),
)

_BY_NAME = dict((row[0], row[1:]) for row in FORMATS)


def spec(fmt):
    """(kind, bytes, decimals) of a format name; BadValueError if unknown."""
    try:
        return _BY_NAME[fmt]
    except KeyError:
        raise BadValueError("unknown DL/T645 data format", got=repr(fmt))


def size(fmt):
    return _BY_NAME[fmt][1]


def _bcd_text(raw, offset):
    text = bytes(reversed(raw)).hex()
    if text.isdigit():
        return text
    for k in range(len(raw)):
        b = raw[k]
        if (b >> 4) > 9 or (b & 15) > 9:
            raise BadValueError("non-BCD digit in DL/T645 value", offset=offset + k,
                                expected="two decimal digits", got=byte_hex(b))
    return text


def _check_range(what, value, low, high, offset):
    if value < low or value > high:
        raise BadValueError("%s out of range" % what, offset=offset,
                            expected="%d..%d" % (low, high), got=str(value))


def _two(text, k):
    return int(text[k:k + 2])


def decode(fmt, raw, offset=0, signed=False):
    """One value of format ``fmt`` from ``raw`` (already minus 33H).

    Numbers give Num; dates and times ISO strings; digit strings str; status
    words the hex of the word (display order); None for an all-FFH field.
    ``offset`` is where ``raw`` starts in the frame, for error messages.
    """
    kind, nbytes, dec = _BY_NAME[fmt]
    if len(raw) != nbytes:
        raise BadValueError("DL/T645 value of format %s has the wrong size" % fmt,
                            offset=offset, expected="%d bytes" % nbytes, got="%d" % len(raw))
    if raw == b"\xff" * nbytes and kind != "word":
        return None
    if kind == "num":
        negative = False
        if signed and raw[-1] & 0x80:
            negative = True
            raw = raw[:-1] + bytes((raw[-1] & 0x7F,))
        m = int(_bcd_text(raw, offset))
        return Num(-m if negative else m, -dec)
    if kind == "word":
        return bytes(reversed(raw)).hex().upper()
    if kind == "event":            # start, then end (None: not over yet)
        return {"value": decode("YYMMDDhhmmss", raw[:6], offset),
                "time": decode("YYMMDDhhmmss", raw[6:], offset + 6)}
    text = _bcd_text(raw, offset)  # most significant first, e.g. YYMMDDWW
    if kind == "digits":
        return text
    if kind == "date":
        yy, mm, dd, ww = _two(text, 0), _two(text, 2), _two(text, 4), _two(text, 6)
        _check_range("month", mm, 1, 12, offset + 2)
        _check_range("day", dd, 1, 31, offset + 1)
        _check_range("weekday", ww, 0, 6, offset)
        return "20%02d-%02d-%02d" % (yy, mm, dd)
    if kind == "time":
        hh, mi, ss = _two(text, 0), _two(text, 2), _two(text, 4)
        _check_range("hour", hh, 0, 23, offset + 2)
        _check_range("minute", mi, 0, 59, offset + 1)
        _check_range("second", ss, 0, 59, offset)
        return "%02d:%02d:%02d" % (hh, mi, ss)
    if kind in ("ymdhm", "ymdhms"):
        yy, mo, dd, hh, mi = (_two(text, 0), _two(text, 2), _two(text, 4),
                              _two(text, 6), _two(text, 8))
        ss = _two(text, 10) if kind == "ymdhms" else 0
        base = nbytes - 1
        if (mo, dd, hh, mi, ss) == (0, 0, 0, 0, 0) and yy == 0:
            return None  # never frozen / unset: all zero
        _check_range("month", mo, 1, 12, offset + base - 1)
        _check_range("day", dd, 1, 31, offset + base - 2)
        _check_range("hour", hh, 0, 23, offset + base - 3)
        _check_range("minute", mi, 0, 59, offset + base - 4)
        _check_range("second", ss, 0, 59, offset)
        return "20%02d-%02d-%02dT%02d:%02d:%02d" % (yy, mo, dd, hh, mi, ss)
    if kind == "mdhm":
        mo, dd, hh, mi = _two(text, 0), _two(text, 2), _two(text, 4), _two(text, 6)
        return "--%02d-%02dT%02d:%02d" % (mo, dd, hh, mi)
    if kind == "ddhh":
        return "%02dT%02d" % (_two(text, 0), _two(text, 2))
    if kind == "hm":
        hh, mi = _two(text, 0), _two(text, 2)
        _check_range("hour", hh, 0, 23, offset + 1)
        _check_range("minute", mi, 0, 59, offset)
        return "%02d:%02d" % (hh, mi)
    if kind == "demand":
        value = int(_bcd_text(raw[:3], offset))
        when = decode("YYMMDDhhmm", raw[3:], offset + 3)
        return {"value": Num(value, -dec), "time": when}
    raise BadValueError("unhandled DL/T645 format", got=fmt)


def weekday(raw):
    """The weekday (0 = Sunday) of a YYMMDDWW field."""
    return (raw[0] >> 4) * 10 + (raw[0] & 15)


def encode(fmt, value, signed=False):
    """The wire bytes (before +33H) of a value; the inverse of ``decode``.

    Numbers take Num or int (scaled to the format's decimals exactly; a value
    with more decimals than the format is refused, never rounded); dates
    ``YYYY-MM-DD`` (weekday computed), times ``hh:mm:ss``, date-times ISO.
    """
    kind, nbytes, dec = _BY_NAME[fmt]
    if value is None:
        return b"\xff" * nbytes
    if kind == "num":
        if isinstance(value, int):
            value = Num(value, 0)
        shift = value.e + dec
        if shift < 0:
            m = value.m
            for _ in range(-shift):
                if m % 10:
                    raise BadValueError("value has more decimals than format %s" % fmt,
                                        got=str(value))
                m //= 10
        else:
            m = value.m * 10 ** shift
        negative = m < 0
        raw = to_bcd_le(-m if negative else m, nbytes)
        if negative:
            if not signed or raw[-1] & 0x80:
                raise BadValueError("negative value does not fit format %s" % fmt,
                                    got=str(value))
            raw = raw[:-1] + bytes((raw[-1] | 0x80,))
        elif signed and raw[-1] & 0x80:
            raise BadValueError("value does not fit signed format %s" % fmt, got=str(value))
        return raw
    if kind == "word":
        return bytes(reversed(bytes.fromhex(value)))
    if kind == "digits":
        return to_bcd_le(int(value), nbytes)
    if kind == "date":
        y, mo, d = int(value[0:4]), int(value[5:7]), int(value[8:10])
        text = "%02d%02d%02d%02d" % (y % 100, mo, d, day_of_week(y, mo, d))
    elif kind == "time":
        text = value[0:2] + value[3:5] + value[6:8]
    elif kind in ("ymdhm", "ymdhms"):
        text = value[2:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16]
        if kind == "ymdhms":
            text += value[17:19] if len(value) >= 19 else "00"
    elif kind == "mdhm":
        text = value[2:4] + value[5:7] + value[8:10] + value[11:13]
    elif kind in ("ddhh", "hm"):
        text = value[0:2] + value[3:5]
    elif kind == "demand":
        return encode("XX.XXXX", value["value"]) + encode("YYMMDDhhmm", value["time"])
    elif kind == "event":
        return encode("YYMMDDhhmmss", value["value"]) + encode("YYMMDDhhmmss", value["time"])
    else:
        raise BadValueError("unhandled DL/T645 format", got=fmt)
    return bytes(reversed(bytes.fromhex(text)))


def day_of_week(y, m, d):
    """0 = Sunday .. 6 = Saturday (Sakamoto's method; no datetime on MicroPython)."""
    t = (0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4)
    if m < 3:
        y -= 1
    return (y + y // 4 - y // 100 + y // 400 + t[m - 1] + d) % 7
