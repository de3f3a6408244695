"""Packed BCD both ways, address digit strings, and DL/T645's +33H scrambling.

Runs unchanged on CPython 3.10+ and MicroPython 1.27 (docs/micropython.md):
no typing, dataclasses, enum, decimal or __future__ imports.
"""

from protocols.core.errors import BadValueError, byte_hex


def bcd_le(data, offset=0):
    """Packed BCD, least significant byte first (the wire order of DL/T645,
    CJ/T188 and M-Bus), to an int.  Raises BadValueError naming the byte."""
    text = bytes(reversed(data)).hex()
    if text.isdigit() or not text:
        return int(text) if text else 0
    n = len(data)
    for i in range(n):
        b = data[i]
        if (b >> 4) > 9 or (b & 15) > 9:
            raise BadValueError("non-BCD digit", offset=offset + i,
                                expected="two decimal digits", got=byte_hex(b))
    return int(text)


def bcd_be(data, offset=0):
    """Packed BCD, most significant byte first, to an int."""
    text = bytes(data).hex()
    if text.isdigit() or not text:
        return int(text) if text else 0
    for i in range(len(data)):
        b = data[i]
        if (b >> 4) > 9 or (b & 15) > 9:
            raise BadValueError("non-BCD digit", offset=offset + i,
                                expected="two decimal digits", got=byte_hex(b))
    return int(text)


def to_bcd_le(value, nbytes):
    """An int as ``nbytes`` of packed BCD, least significant byte first."""
    if value < 0 or value >= 10 ** (2 * nbytes):
        raise BadValueError("value does not fit %d BCD bytes" % nbytes, got=str(value))
    return bytes(reversed(bytes.fromhex("%0*d" % (2 * nbytes, value))))


def to_bcd_be(value, nbytes):
    """An int as ``nbytes`` of packed BCD, most significant byte first."""
    if value < 0 or value >= 10 ** (2 * nbytes):
        raise BadValueError("value does not fit %d BCD bytes" % nbytes, got=str(value))
    return bytes.fromhex("%0*d" % (2 * nbytes, value))


def digits_le(data):
    """Address-style BCD (low byte first) as its printed digit string, e.g.
    wire ``61 01 00 00 00 00`` -> ``"000000000161"``.  No validation."""
    return bytes(reversed(data)).hex().upper()


def digits_to_le(text, nbytes):
    """The printed digit string of an address back to wire bytes."""
    s = text.strip()
    if len(s) > 2 * nbytes:
        raise BadValueError("address has more than %d digits" % (2 * nbytes), got=repr(text))
    s = "0" * (2 * nbytes - len(s)) + s
    try:
        raw = bytes.fromhex(s)
    except ValueError:
        raise BadValueError("address is not hexadecimal digits", got=repr(text))
    return bytes(reversed(raw))


def _make_tables():
    plus = bytes(((i + 0x33) & 0xFF) for i in range(256))
    minus = bytes(((i - 0x33) & 0xFF) for i in range(256))
    return plus, minus


_PLUS33, _MINUS33 = _make_tables()
_HAS_TRANSLATE = hasattr(bytes, "translate")


def add33(data):
    """Add 33H to every byte (DL/T645 data field, transmit side)."""
    if _HAS_TRANSLATE:
        return bytes(data).translate(_PLUS33)
    return bytes(_PLUS33[b] for b in data)


def sub33(data):
    """Subtract 33H from every byte (DL/T645 data field, receive side)."""
    if _HAS_TRANSLATE:
        return bytes(data).translate(_MINUS33)
    return bytes(_MINUS33[b] for b in data)
