"""M-Bus application headers (EN 13757-3:2013 clause 5, 11.4 and annex B).

Variable data structure, after CI 72H/76H (long header, 12 bytes)::

    0..3   identification number, 8 BCD digits, low byte first
    4..5   manufacturer: 3 letters of 5 bits (A = 1), little endian (0477H = ACW)
    6      version      7  medium (mbus_tables.MEDIUM)      8  access number
    9      status: bits 1..0 application (ok, busy, error, alarm), 2 power
           low, 3 permanent error, 4 temporary error, 7..5 manufacturer
    10..11 signature (0000 = no encryption), shown as the 16-bit number

after CI 7AH (short header): access number, status, signature; after CI
78H: nothing.  Mode 2 (CI 76H) sends id, manufacturer and signature most
significant byte first.

Fixed data structure, after CI 73H/77H (annex B, the EN 1434-3 format)::

    0..3   identification number   4  access number
    5      status: bit 7 counters binary (else BCD), bit 6 stored (historic)
           values, bits 4..0 as in the variable structure
    6, 7   medium and unit of counter 1 and 2: bits 7..6 of both bytes give
           the medium (byte 6 the low two bits), bits 5..0 the unit
           (mbus_tables.FIXED_UNIT)
    8..11  counter 1             12..15  counter 2

Unit 3EH of counter 2 means "same unit as counter 1, historic value"
(libmbus prints "reserved but historic" and leaves the value unscaled).

Secondary address selection, after CI 52H (master)::

    0..3   identification number, BCD digits, F = wildcard digit
    4..5   manufacturer    6  version    7  medium     (FFH/FFFFH = wildcard)
    8..    optional records (e.g. 0C 78 fabrication number)
"""

from protocols.core.bcd import digits_le
from protocols.core.errors import BadValueError, TruncatedError
from protocols.core.num import Num
from protocols.mbus.records import parse_records, resolve_quantity
from protocols.mbus.tables import FIXED_MEDIUM_NAMES, FIXED_UNITS, MEDIUM_NAMES, STATUS_APPLICATION
from protocols.mbus.values import bcd_int

# fixed-structure medium -> variable-structure medium code, for the quantity
FIXED_AS_VARIABLE = {0xB: 0x04, 0xA: 0x03, 0xC: 0x06, 0xD: 0x07}


def status_bits(status):
    """The status byte as a dict (a fresh copy: callers may add to it)."""
    return dict(_STATUS_BITS[status])


def _make_status_bits(status):
    return {"application": STATUS_APPLICATION[status & 3], "power_low": bool(status & 4),
            "permanent_error": bool(status & 8), "temporary_error": bool(status & 16),
            "manufacturer": status >> 5}


_STATUS_BITS = tuple(_make_status_bits(s) for s in range(256))


def status_records(header):
    """Value records of a header's status byte (EN 13757-3: bit 2 power low,
    the battery of a battery meter); [] when the telegram has no status.
    Bits 7..5 are the manufacturer's: no standard tamper bit, so none here."""
    bits = header.get("status_bits") if header else None
    if not bits:
        return []
    return [{"name": "status_power_low", "quantity": "battery.low", "value": bits["power_low"],
             "unit": ""}]


_MANUFACTURERS = {}


def manufacturer_letters(m):
    """The three letters of a manufacturer code (remembered, a bus has few)."""
    text = _MANUFACTURERS.get(m)
    if text is None:
        if len(_MANUFACTURERS) >= 256:
            _MANUFACTURERS.clear()
        text = _MANUFACTURERS[m] = (chr(((m >> 10) & 0x1F) + 64) +
                                    chr(((m >> 5) & 0x1F) + 64) + chr((m & 0x1F) + 64))
    return text


def variable_header(raw, i, ci, address, big):
    """The header of CI 72H/76H/7AH/78H at raw[i:]: (header dict, index after it)."""
    order = "big" if big else "little"
    if ci == 0x72 or ci == 0x76:
        if len(raw) - 2 < i + 12:
            raise TruncatedError("long header", offset=len(raw) - 2,
                                 expected="12 header bytes", got="%d" % (len(raw) - 2 - i))
        ident = raw[i:i + 4]
        medium = raw[i + 7]
        status = raw[i + 9]
        return ({"id": "%08X" % int.from_bytes(ident, order),
                 "manufacturer": manufacturer_letters(int.from_bytes(raw[i + 4:i + 6], order)),
                 "version": raw[i + 6], "medium": medium,
                 "medium_name": MEDIUM_NAMES.get(medium, "Reserved"),
                 "access_no": raw[i + 8], "status": status,
                 "status_bits": status_bits(status),
                 "signature": "%04X" % int.from_bytes(raw[i + 10:i + 12], order),
                 "address": address}, i + 12)
    if ci == 0x7A:
        if len(raw) - 2 < i + 4:
            raise TruncatedError("short header", offset=len(raw) - 2,
                                 expected="4 header bytes", got="%d" % (len(raw) - 2 - i))
        status = raw[i + 1]
        return ({"id": None, "manufacturer": None, "version": None, "medium": None,
                 "medium_name": None, "access_no": raw[i], "status": status,
                 "status_bits": status_bits(status),
                 "signature": "%04X" % int.from_bytes(raw[i + 2:i + 4], order),
                 "address": address}, i + 4)
    return ({"id": None, "manufacturer": None, "version": None, "medium": None,
             "medium_name": None, "access_no": None, "status": None, "status_bits": None,
             "signature": None, "address": address}, i)


def selection(raw, end):
    """The application part of a SND_UD with CI 52H (frame bytes ``raw``,
    user data ending at ``end``)."""
    if end < 15:
        raise TruncatedError("secondary address selection", offset=end,
                             expected="8 data bytes", got="%d" % (end - 7))
    m = raw[11] | raw[12] << 8
    sel = {"id": digits_le(raw[7:11]),
           "manufacturer": None if m == 0xFFFF else manufacturer_letters(m),
           "version": None if raw[13] == 0xFF else raw[13],
           "medium": None if raw[14] == 0xFF else raw[14]}
    records, more = parse_records(raw, 15, end, None, False, 0)
    return {"request": "select_secondary", "selection": sel, "records": records,
            "more_records_follow": more}


def fixed_structure(raw, address, big):
    """The application part of a CI 73H/77H telegram: a header and the two
    counters as records (their unit byte in ``vif``)."""
    end = len(raw) - 2
    if end < 7 + 16:
        raise TruncatedError("fixed data structure", offset=end, expected="16 data bytes",
                             got="%d" % (end - 7))
    order = "big" if big else "little"
    ident = raw[7:11]
    status = raw[12]
    u1, u2 = raw[13], raw[14]
    medium = (u1 >> 6) | ((u2 >> 6) << 2)
    bits = status_bits(status & 0x1F)
    bits["binary"] = bool(status & 0x80)
    bits["stored"] = bool(status & 0x40)
    header = {"id": (ident if big else bytes(reversed(ident))).hex().upper(),
              "manufacturer": None, "version": None, "medium": medium,
              "medium_name": FIXED_MEDIUM_NAMES[medium], "access_no": raw[11],
              "status": status, "status_bits": bits, "signature": None, "address": address}
    stored = 1 if status & 0x40 else 0
    records = []
    first = None
    for k, code in ((0, u1 & 0x3F), (1, u2 & 0x3F)):
        at = 15 + 4 * k
        field = raw[at:at + 4]
        storage = stored
        if code == 0x3E and first is not None:
            code, storage = first, 1  # "same unit as counter 1, historic value"
        first = code
        if status & 0x80:
            v = int.from_bytes(field, order)
            if v & 0x80000000:
                v -= 1 << 32
        else:
            try:
                v = bcd_int(field if not big else bytes(reversed(field)), "little", at)
            except BadValueError:
                v = None  # hex digits A..E: an error pattern, as in mbus_records
        label, unit, exp, quantity = FIXED_UNITS.get(code, ("Reserved", "", 0, None))
        if quantity is not None:
            quantity = resolve_quantity(quantity, FIXED_AS_VARIABLE.get(medium, medium), 0, ())
        if v is None:
            value = (field if big else bytes(reversed(field))).hex().upper()
            quantity = None
        elif unit in ("h,m,s", "D,M,Y"):
            value = "%06d" % v
        else:
            value = Num(v, exp)
        records.append({"value": value, "unit": unit, "quantity": quantity, "label": label,
                        "storage": storage, "tariff": 0, "subunit": 0,
                        "function": "instantaneous", "dif": None,
                        "vif": "%02X" % raw[13 + k], "vife": None, "modifiers": None})
    return {"header": header, "records": records, "more_records_follow": False}
