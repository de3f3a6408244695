"""M-Bus frame builders: master requests and slave replies (EN 13757-2/-3).

Master requests (what the concentrator sends)::

    snd_nke(a)                  10 40 A CS 16           link reset, reply E5
    req_ud2(a, fcb)             10 5B|7B A CS 16        class 2 data, reply RSP_UD
    req_ud1(a, fcb)             10 5A|7A A CS 16        class 1 (alarm) data
    snd_ud(a, ci, data, fcb)    68 L L 68 53|73 A CI data CS 16, reply E5
    select_secondary(id, ...)   SND_UD to FDH, CI 52H, id(4, BCD digits or F)
                                manufacturer(2) version(1) medium(1), FF/F =
                                wildcard (EN 13757-3 clause 11.4)
    deselect()                  SND_NKE to FDH
    set_primary_address(o, n)   SND_UD to o, CI 51H, 01 7A n (DIF 01, VIF 7A)
    application_reset(a)        SND_UD, CI 50H [sub-code]
    set_baud(a, baud)           control frame, CI B8H..BFH (300..38400 Bd)

Slave replies (what a simulated meter sends): ``ack()`` (E5),
``encode_rsp_ud`` (RSP_UD with a long, short or no header and variable data
records built by ``encode_record``), ``application_error`` (CI 70H).

``encode_record(vif, value, coding, storage, tariff, subunit, function,
text)`` takes the value as ``decode`` gives it back: a Num in the record's
canonical unit (it is divided by the VIF's scale and must fit exactly), a
str for dates ("2014-03-13", "2014-03-13T11:11:00", type J "11:11:00"),
identification numbers ("11490378") and ASCII text, None for no data or an
invalid date.  ``vif`` is one VIF byte or the bytes of VIF and VIFEs;
``text`` the plain-text unit of VIF 7CH/FCH.  Codings: none, int8, int16,
int24, int32, int48, int64, real32, readout, bcd2, bcd4, bcd6, bcd8, bcd12,
var (ASCII str or Num as BCD), varbin (hex, most significant byte first).
"""

import struct

from protocols.core.bcd import to_bcd_le
from protocols.core.errors import BadValueError, byte_hex
from protocols.core.num import Num
from protocols.mbus.records import FUNCTIONS, K_DATE, K_ID, template
from protocols.mbus.tables import CI_OF_BAUD

CODINGS = (
    ("none", 0x0), ("int8", 0x1), ("int16", 0x2), ("int24", 0x3), ("int32", 0x4),
    ("real32", 0x5), ("int48", 0x6), ("int64", 0x7), ("readout", 0x8), ("bcd2", 0x9),
    ("bcd4", 0xA), ("bcd6", 0xB), ("bcd8", 0xC), ("var", 0xD), ("varbin", 0xD),
    ("bcd12", 0xE),
)
CODING = dict(CODINGS)
INT_BYTES = {0x1: 1, 0x2: 2, 0x3: 3, 0x4: 4, 0x6: 6, 0x7: 8}
BCD_BYTES = {0x9: 1, 0xA: 2, 0xB: 3, 0xC: 4, 0xE: 6}


def _byte(value, what):
    if not isinstance(value, int) or value < 0 or value > 255:
        raise BadValueError("%s must be 0..255" % what, got=repr(value))
    return value


def encode_short(c, a):
    """Short frame 10 C A CS 16."""
    c, a = _byte(c, "C"), _byte(a, "address")
    return bytes((0x10, c, a, (c + a) & 0xFF, 0x16))


def encode_long(c, a, ci, data=b""):
    """Long frame (control frame when ``data`` is empty)."""
    body = bytes((_byte(c, "C"), _byte(a, "address"), _byte(ci, "CI"))) + bytes(data)
    if len(body) > 255:
        raise BadValueError("user data too long for one frame", expected="<= 252 bytes",
                            got="%d" % (len(body) - 3))
    n = len(body)
    return bytes((0x68, n, n, 0x68)) + body + bytes((sum(body) & 0xFF, 0x16))


def ack():
    return b"\xE5"


def snd_nke(address):
    return encode_short(0x40, address)


def req_ud2(address, fcb):
    return encode_short(0x7B if fcb else 0x5B, address)


def req_ud1(address, fcb):
    return encode_short(0x7A if fcb else 0x5A, address)


def snd_ud(address, ci, data=b"", fcb=False):
    return encode_long(0x73 if fcb else 0x53, address, ci, data)


def manufacturer_code(letters):
    """"ACW" -> 0477H (three letters, 5 bits each, A = 1)."""
    if not isinstance(letters, str) or len(letters) != 3:
        raise BadValueError("manufacturer must be three letters", got=repr(letters))
    code = 0
    for ch in letters.upper():
        v = ord(ch) - 64
        if v < 0 or v > 31:
            raise BadValueError("manufacturer letter out of range", expected="@..Z",
                                got=repr(letters))
        code = (code << 5) | v
    return code


def select_secondary(id_pattern, manufacturer=None, version=None, medium=None, fcb=False):
    """Select the slave with this secondary address (BCD digits, F = wildcard)."""
    text = id_pattern if isinstance(id_pattern, str) else "%08d" % id_pattern
    text = text.strip().upper()
    if len(text) != 8 or any(ch not in "0123456789F" for ch in text):
        raise BadValueError("secondary address must be 8 digits or F", got=repr(id_pattern))
    data = bytes(reversed(bytes.fromhex(text)))
    m = 0xFFFF if manufacturer is None else manufacturer_code(manufacturer)
    data += bytes((m & 0xFF, m >> 8))
    data += bytes((0xFF if version is None else _byte(version, "version"),
                   0xFF if medium is None else _byte(medium, "medium")))
    return snd_ud(0xFD, 0x52, data, fcb)


def deselect():
    return snd_nke(0xFD)


def set_primary_address(old, new, fcb=False):
    if not isinstance(new, int) or new < 0 or new > 250:
        raise BadValueError("new primary address must be 0..250", got=repr(new))
    return snd_ud(old, 0x51, bytes((0x01, 0x7A, new)), fcb)


def application_reset(address, subcode=None, fcb=False):
    data = b"" if subcode is None else bytes((_byte(subcode, "sub-code"),))
    return snd_ud(address, 0x50, data, fcb)


def set_baud(address, baud, fcb=False):
    ci = CI_OF_BAUD.get(baud)
    if ci is None:
        raise BadValueError("unsupported baud rate", expected="300..38400", got=repr(baud))
    return snd_ud(address, ci, b"", fcb)


def application_error(address, code, acd=False, dfc=False):
    c = 0x08 | (0x20 if acd else 0) | (0x10 if dfc else 0)
    return encode_long(c, address, 0x70, bytes((_byte(code, "error code"),)))


# ---------------------------------------------------------------- records ---

def _dib(coding, storage, tariff, subunit, function):
    if function not in FUNCTIONS:
        raise BadValueError("unknown function", expected="/".join(FUNCTIONS), got=repr(function))
    if storage < 0 or tariff < 0 or subunit < 0:
        raise BadValueError("storage, tariff and subunit must not be negative")
    out = [coding | (FUNCTIONS.index(function) << 4) | ((storage & 1) << 6)]
    storage >>= 1
    while storage or tariff or subunit:
        if len(out) > 10:
            raise BadValueError("storage/tariff/subunit need more than 10 DIFEs")
        out[-1] |= 0x80
        out.append((storage & 0x0F) | ((tariff & 3) << 4) | ((subunit & 1) << 6))
        storage >>= 4
        tariff >>= 2
        subunit >>= 1
    return bytes(out)


def _raw(value, exp):
    if isinstance(value, int):
        value = Num(value)
    if not isinstance(value, Num):
        raise BadValueError("a number is needed", got=repr(value))
    d = value.e - exp
    if d >= 0:
        return value.m * 10 ** d
    q, r = divmod(value.m, 10 ** -d)
    if r:
        raise BadValueError("value has more decimals than the VIF gives",
                            expected="a multiple of 1E%d" % exp, got=str(value))
    return q


def _date_bytes(text, n):
    try:
        if n == 3:
            hh, mm, ss = (int(x) for x in text.split(":"))
            return bytes((ss, mm, hh))
        date, _, clock = text.partition("T")
        y, mo, d = (int(x) for x in date.split("-"))
        parts = [int(x) for x in clock.split(":")] if clock else []
    except ValueError:
        raise BadValueError("not a date", got=repr(text))
    # the decoder's century rule (mbus_values): 0..80 -> 20xx, 81..99 -> 19xx
    if 2000 <= y <= 2080:
        y -= 2000
    elif 1981 <= y <= 1999:
        y -= 1900
    else:
        y = -1
    if y < 0 or not (0 <= mo < 16 and 0 <= d < 32):
        raise BadValueError("date out of range for M-Bus type G/F", expected="1981..2080",
                            got=repr(text))
    g = bytes((d | (y & 7) << 5, mo | (y >> 3) << 4))
    if n == 2:
        return g
    hh, mi, ss = (parts + [0, 0, 0])[:3]
    if n == 4:
        if ss:
            raise BadValueError("type F has no seconds", got=repr(text))
        return bytes((mi, hh)) + g
    return bytes((ss, mi, hh)) + g + b"\x00"  # type I: day of week / week not given


def encode_record(vif, value, coding="int32", storage=0, tariff=0, subunit=0,
                  function="instantaneous", text=None):
    """One variable data record (DIB, VIB, data) as bytes; see the docstring.
    Raises BadValueError when the arguments cannot be encoded."""
    try:
        return _record(vif, value, coding, storage, tariff, subunit, function, text)
    except (ValueError, TypeError, OverflowError) as err:
        raise BadValueError("cannot encode record: %s" % err, got=repr(value))


def _record(vif, value, coding, storage, tariff, subunit, function, text):
    code = CODING.get(coding)
    if code is None:
        raise BadValueError("unknown coding", expected="/".join(c for c, _ in CODINGS),
                            got=repr(coding))
    vib = bytes((vif,)) if isinstance(vif, int) else bytes(vif)
    if not vib or any(b & 0x80 == 0 for b in vib[:-1]) or vib[-1] & 0x80:
        raise BadValueError("VIF/VIFE extension bits do not chain", got=vib.hex().upper())
    if vib[0] & 0x7F == 0x7C:
        t = (text or "").encode()
        if len(t) > 255:
            raise BadValueError("plain-text unit too long")
        vib = vib[:1] + bytes((len(t),)) + bytes(reversed(t)) + vib[1:]
    dib = _dib(code, storage, tariff, subunit, function)
    head = dib + vib
    vifes = vib[1:] if vib[0] & 0x7F != 0x7C else vib[2 + vib[1]:]
    _, _, _, exp, sign, _, kind = template(head, 0, len(dib), len(dib), text, vifes, 0)
    if code in INT_BYTES:
        n = INT_BYTES[code]
        if kind == K_DATE:
            if value is None:
                raw = bytearray(_date_bytes("2000-01-01T00:00:00", n))
                raw[1 if n == 6 else 0] |= 0x80
                return head + bytes(raw)
            return head + _date_bytes(value, n)
        v = int(value) if kind == K_ID else _raw(value, exp)
        lo, hi = (-sign, sign) if sign else (0, 1 << (8 * n))
        if v < lo or v >= hi:
            raise BadValueError("value does not fit %d bytes" % n, got=str(value))
        return head + (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
    if code in BCD_BYTES:
        n = BCD_BYTES[code]
        v = int(value) if kind == K_ID else _raw(value, exp)
        if v < 0:
            if -v >= 10 ** (2 * n - 1):
                raise BadValueError("negative value does not fit %d BCD digits" % (2 * n - 1))
            data = bytearray(to_bcd_le(-v, n))
            data[-1] |= 0xF0
            return head + bytes(data)
        return head + to_bcd_le(v, n)
    if code == 0x5:
        if isinstance(value, int):
            value = Num(value)
        if not isinstance(value, Num):
            raise BadValueError("real32 needs a number", got=repr(value))
        f = float(str(Num(value.m, value.e - exp)))
        return head + struct.pack("<f", f)
    if code == 0xD:
        return head + _lvar(value, coding, exp)
    if value is not None:
        raise BadValueError("coding %s carries no value" % coding, got=repr(value))
    return head


def _lvar(value, coding, exp):
    if coding == "varbin":
        raw = bytes(reversed(bytes.fromhex(value)))
        n = len(raw)
        if n <= 15:
            return bytes((0xE0 + n,)) + raw
        if n % 4 == 0 and 16 <= n <= 56:
            return bytes((0xEC + n // 4,)) + raw
        raise BadValueError("binary LVAR length must be 0..15 or 16..56 in steps of 4")
    if isinstance(value, str):
        t = bytes(ord(ch) for ch in value)  # ValueError above 255
        if len(t) >= 0xC0:
            raise BadValueError("string too long for LVAR", expected="< 192 characters")
        return bytes((len(t),)) + bytes(reversed(t))
    if isinstance(value, (int, Num)):
        v = _raw(value, exp)
        digits = len(str(abs(v)))
        n = (digits + 1) // 2
        if n > 15:
            raise BadValueError("BCD LVAR longer than 30 digits")
        return bytes(((0xD0 if v < 0 else 0xC0) + n,)) + to_bcd_le(abs(v), n)
    raise BadValueError("var coding needs a str or a number", got=repr(value))


def encode_rsp_ud(address, records=(), header=None, ci=0x72, acd=False, dfc=False,
                  mfr_data=None, more_records_follow=False):
    """RSP_UD long frame.  ``header``: dict with id, manufacturer, version,
    medium, access_no, status, signature (as decode gives them back);
    ``records``: encoded bytes, tuples of encode_record arguments or dicts of
    its keyword arguments; ``mfr_data``: bytes after DIF 0FH (1FH when
    ``more_records_follow``)."""
    h = header or {}
    if ci == 0x72:
        ident = str(h.get("id", "00000000"))
        if len(ident) > 8 or any(ch not in "0123456789ABCDEF" for ch in ident.upper()):
            raise BadValueError("identification number must be 8 digits", got=repr(ident))
        ident = "0" * (8 - len(ident)) + ident
        m = manufacturer_code(h.get("manufacturer", "@@@"))
        data = bytes(reversed(bytes.fromhex(ident))) + bytes((m & 0xFF, m >> 8))
        data += bytes((_byte(h.get("version", 0), "version"), _byte(h.get("medium", 0), "medium")))
    elif ci in (0x7A, 0x78):
        data = b""
    else:
        raise BadValueError("encode_rsp_ud builds CI 72H, 7AH or 78H", got=byte_hex(ci))
    if ci != 0x78:
        sig = h.get("signature", "0000")
        try:
            sig = int(sig, 16) if isinstance(sig, str) else sig
        except ValueError:
            raise BadValueError("signature must be 4 hex digits", got=repr(sig))
        if not isinstance(sig, int) or sig < 0 or sig > 0xFFFF:
            raise BadValueError("signature must be 0000..FFFF", got=repr(sig))
        data += bytes((_byte(h.get("access_no", 0), "access number"),
                       _byte(h.get("status", 0), "status"), sig & 0xFF, (sig >> 8) & 0xFF))
    for rec in records:
        if isinstance(rec, (bytes, bytearray)):
            data += bytes(rec)
        elif isinstance(rec, dict):
            data += encode_record(**rec)
        else:
            data += encode_record(*rec)
    if mfr_data is not None or more_records_follow:
        data += bytes((0x1F if more_records_follow else 0x0F,)) + bytes(mfr_data or b"")
    c = 0x08 | (0x20 if acd else 0) | (0x10 if dfc else 0)
    return encode_long(c, address, ci, data)
