"""M-Bus data field codings (EN 13757-3:2013 annex A) for mbus_records.

Type A, BCD: packed digits, least significant byte first (mode 2: most
significant first); an F in the most significant nibble makes the value
negative.  Other hex digits are not numbers (bcd_int raises BadValueError).

Date types (annex A): G (2 bytes) day b0[4..0], month b1[3..0], year
b1[7..4]<<3 | b0[7..5]; F (4 bytes) minute b0[5..0], IV b0[7], hour b1[4..0],
SU b1[7], then a type G date in b2 b3; I (6 bytes) second b0[5..0], then as F
shifted by one byte; J (3 bytes) time of day.  The 7-bit year y is 2000 + y
for y <= 80 and 1900 + y above (81..99 = 1981..1999; 100..127, outside the
standard's 0..99, come out as 2000..2027 like libmbus prints them); the
hundred-year bits of the 2013 edition are ignored, as libmbus does.  Dates
are the meter's local time, so they carry no zone (libmbus appends "Z").

Variable length (data field D): the first data byte LVAR says what follows:
00H..BFH ASCII text of LVAR characters, last character first; C0H..CFH
positive and D0H..DFH negative BCD of 2 x (LVAR & 0FH) digits; E0H..EFH a
binary number of LVAR - E0H bytes; F0H..FAH a binary number of
4 x (LVAR - ECH) bytes (F0H: 16 bytes); FBH..FFH reserved.  Binary numbers
are given as upper-case hex, most significant byte first (they are keys and
passwords more often than counters).
"""

from protocols.core.errors import BadValueError, TruncatedError, UnknownIdentifierError, byte_hex
from protocols.core.num import Num


def bcd_int(raw, order, offset):
    """Packed BCD to an int; F in the most significant nibble = negative."""
    v = int.from_bytes(raw, order)
    s = "%x" % v
    try:
        return int(s)
    except ValueError:
        pass
    n = 2 * len(raw)
    if len(s) == n and s[0] == "f" and s[1:].isdigit():
        return -int(s[1:])
    raise BadValueError("non-BCD digit in BCD field", offset=offset,
                        expected="decimal digits", got=raw.hex().upper())


def date_text(raw):
    """Type G, J, F or I (by length, least significant byte first) as ISO
    8601 text: "2014-03-13", "11:11:00", "2014-03-13T11:11:00"; None when
    the IV bit says the time is invalid."""
    n = len(raw)
    if n == 3:
        return "%02d:%02d:%02d" % (raw[2] & 0x1F, raw[1] & 0x3F, raw[0] & 0x3F)
    sec = 0
    if n == 6:
        sec = raw[0] & 0x3F
        raw = raw[1:]
    if n >= 4:
        if raw[0] & 0x80:
            return None  # IV bit: the meter says its clock is invalid
        b2, b3 = raw[2], raw[3]
    else:
        b2, b3 = raw[0], raw[1]
    year = ((b3 & 0xF0) >> 1) | ((b2 & 0xE0) >> 5)
    text = "%04d-%02d-%02d" % (year + (2000 if year <= 80 else 1900), b3 & 0x0F, b2 & 0x1F)
    if n == 2:
        return text
    return text + "T%02d:%02d:%02d" % (raw[1] & 0x1F, raw[0] & 0x3F, sec)


def lvar_value(data, i, end, big, offset):
    """A variable-length field at data[i] (the LVAR byte): (value, next index)."""
    lvar = data[i]
    i += 1
    if lvar < 0xC0:
        n = lvar
    elif lvar < 0xE0:
        n = lvar & 0x0F
    elif lvar < 0xF0:
        n = lvar - 0xE0
    elif lvar <= 0xFA:
        n = 4 * (lvar - 0xEC)
    else:
        raise UnknownIdentifierError("reserved LVAR", offset=offset + i - 1,
                                     expected="00H..FAH", got=byte_hex(lvar))
    if i + n > end:
        raise TruncatedError("variable-length data runs past the end", offset=offset + i,
                             expected="%d bytes" % n, got="%d" % (end - i))
    raw = data[i:i + n]
    if lvar < 0xC0:
        if big:
            value = "".join(chr(c) for c in raw)
        else:
            value = "".join(chr(c) for c in reversed(raw))
    elif lvar < 0xE0:
        m = bcd_int(raw, "big" if big else "little", offset + i)
        value = Num(-m if lvar >= 0xD0 else m)
    else:
        value = (raw if big else bytes(reversed(raw))).hex().upper()
    return value, i + n
