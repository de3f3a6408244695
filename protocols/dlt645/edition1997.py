"""DL/T 645-1997: older electricity meters (the link layer is in dlt645_frame).

Same frame, checksum, +33H and addresses as 2007; different control codes
and 2-byte data identifiers DI1 DI0, sent DI0 first (``9010`` -> ``10 90``).

Control codes (clause 5.2 of the 1997 edition)::

    01H read data        DI0 DI1                       81H: DI + value, A1H more, C1H error
    02H read follow-up   DI0 DI1                       82H/A2H, C2H
    03H re-read          DI0 DI1                       83H/A3H, C3H
    04H write data       DI0 DI1 PA P0 P1 P2 value     84H (L=0), C4H
    08H broadcast time   ss mm hh DD MM YY             no reply
    0AH write address    new address (to AAAAAAAAAAAA) 8AH
    0CH change baud      Z                             8CH: Z, CCH
    0FH change password  PA P0..P2 old, PA P0..P2 new  8FH
    10H clear max demand PA P0..P2                     90H

Energy identifiers: DI1 = 9xH where the low nibble says current (0/1),
last month (4/5) or the month before (8/9), active (even) or reactive (odd);
DI0 high nibble = direction (active 1 forward, 2 reverse; reactive 1 forward,
2 reverse, 3 Q1, 4 Q4, 5 Q2, 6 Q3), low nibble 0 total, 1..E tariff, F block.
"""

from protocols.core.errors import BadValueError, LengthError, UnknownIdentifierError, byte_hex
from protocols.dlt645 import formats as fmts
from protocols.dlt645.items import Item, decode_with
from protocols.dlt645.frame import (BROADCAST, WILDCARD, Frame, address_bytes,
                                    decode_frame, error_bits)

NAME = "dlt645-1997"

FUNCTIONS = (
    (0x01, "read_data"),
    (0x02, "read_follow_up"),
    (0x03, "reread"),
    (0x04, "write_data"),
    (0x08, "broadcast_time_sync"),
    (0x0A, "write_address"),
    (0x0C, "change_baud"),
    (0x0F, "change_password"),
    (0x10, "clear_max_demand"),
)

ERROR_BITS = ("illegal_data", "data_identifier_error", "password_error", None,
              "too_many_year_zones", "too_many_day_periods", "too_many_tariffs", None)

BAUDS = ((0x02, 600), (0x04, 1200), (0x08, 2400), (0x10, 4800), (0x20, 9600))

# di, quantity, format, unit
SINGLE = (
    (0xB611, "voltage.a", "XXX", "V"),
    (0xB612, "voltage.b", "XXX", "V"),
    (0xB613, "voltage.c", "XXX", "V"),
    (0xB621, "current.a", "XX.XX", "A"),
    (0xB622, "current.b", "XX.XX", "A"),
    (0xB623, "current.c", "XX.XX", "A"),
    (0xB630, "power.active.total", "XX.XXXX", "kW"),
    (0xB631, "power.active.a", "XX.XXXX", "kW"),
    (0xB632, "power.active.b", "XX.XXXX", "kW"),
    (0xB633, "power.active.c", "XX.XXXX", "kW"),
    (0xB640, "power.reactive.total", "XX.XX", "kvar"),
    (0xB641, "power.reactive.a", "XX.XX", "kvar"),
    (0xB642, "power.reactive.b", "XX.XX", "kvar"),
    (0xB643, "power.reactive.c", "XX.XX", "kvar"),
    (0xB650, "power_factor.total", "X.XXX", ""),
    (0xB651, "power_factor.a", "X.XXX", ""),
    (0xB652, "power_factor.b", "X.XXX", ""),
    (0xB653, "power_factor.c", "X.XXX", ""),
    (0xC010, "meter.date", "YYMMDDWW", ""),
    (0xC011, "meter.time", "hhmmss", ""),
    (0xC020, "meter.status.1", "status8", ""),
    (0xC030, "meter.constant.active", "XXXXXX", "imp/kWh"),
    (0xC031, "meter.constant.reactive", "XXXXXX", "imp/kvarh"),
    (0xC032, "meter.number", "NNNNNNNNNNNN", ""),
    (0xC033, "meter.user_number", "NNNNNNNNNNNN", ""),
    (0xC117, "settlement.day.1", "DDhh", ""),
)

# block DI -> members
BLOCKS = (
    (0xB61F, (0xB611, 0xB612, 0xB613)),
    (0xB62F, (0xB621, 0xB622, 0xB623)),
    (0xB63F, (0xB630, 0xB631, 0xB632, 0xB633)),
    (0xB64F, (0xB640, 0xB641, 0xB642, 0xB643)),
    (0xB65F, (0xB650, 0xB651, 0xB652, 0xB653)),
)

# DI1 low nibble: (period, active?)
ENERGY_PERIODS = (
    (0x0, None, True), (0x1, None, False),
    (0x4, "settlement:1", True), (0x5, "settlement:1", False),
    (0x8, "settlement:2", True), (0x9, "settlement:2", False),
)
# DI0 high nibble for active and reactive energy
ACTIVE_DIRECTIONS = ((0x1, "energy.active.import"), (0x2, "energy.active.export"))
REACTIVE_DIRECTIONS = ((0x1, "energy.reactive.import"), (0x2, "energy.reactive.export"),
                       (0x3, "energy.reactive.q1"), (0x4, "energy.reactive.q4"),
                       (0x5, "energy.reactive.q2"), (0x6, "energy.reactive.q3"))
# demand: A0xx value (XX.XXXX kW), B0xx its time (MMDDhhmm)
DEMAND_DIRECTIONS = ((0x1, "demand.active.import.max"), (0x2, "demand.active.export.max"))
DEMAND_TIME_DIRECTIONS = ((0x1, "demand.active.import.time"), (0x2, "demand.active.export.time"))

_NAMES = dict(FUNCTIONS)
_BAUD_OF_CODE = dict(BAUDS)
_CODE_OF_BAUD = dict((b, c) for c, b in BAUDS)
_SINGLE = dict((row[0], Item(row[0], row[1], row[2], row[3])) for row in SINGLE)
_BLOCKS = dict(BLOCKS)
_PERIODS = dict((row[0], row[1:]) for row in ENERGY_PERIODS)
_ACTIVE = dict(ACTIVE_DIRECTIONS)
_REACTIVE = dict(REACTIVE_DIRECTIONS)
_DEMAND = dict(DEMAND_DIRECTIONS)
_DEMAND_TIME = dict(DEMAND_TIME_DIRECTIONS)


def lookup(di):
    """The Item of a single-value 1997 DI, or None."""
    item = _SINGLE.get(di)
    if item is not None:
        return item
    d1, d0 = di >> 8, di & 0xFF
    hi, lo = d0 >> 4, d0 & 0x0F
    if lo == 0x0F:
        return None
    suffix = ".total" if lo == 0 else ".t%d" % lo
    if d1 >> 4 == 0x9 and (d1 & 0x0F) in _PERIODS:
        period, active = _PERIODS[d1 & 0x0F]
        base = (_ACTIVE if active else _REACTIVE).get(hi)
        if base is None:
            return None
        return Item(di, base + suffix, "XXXXXX.XX", "kWh" if active else "kvarh", False, period)
    if d1 in (0xA0, 0xA4, 0xA8) and hi in _DEMAND:
        period = (None, "settlement:1", "settlement:2")[(d1 & 0x0F) // 4]
        return Item(di, _DEMAND[hi] + suffix, "XX.XXXX", "kW", False, period)
    if d1 in (0xB0, 0xB4, 0xB8) and hi in _DEMAND:
        period = (None, "settlement:1", "settlement:2")[(d1 & 0x0F) // 4]
        return Item(di, _DEMAND_TIME[hi] + suffix, "MMDDhhmm", "", False, period)
    return None


def members(di, length):
    fixed = _BLOCKS.get(di)
    if fixed is not None:
        return [_SINGLE[m] for m in fixed]
    if di & 0x0F != 0x0F:
        return None
    first = lookup(di & 0xFFF0)
    if first is None:
        return None
    size = first.size
    if length == 0 or length % size:
        raise LengthError("block DI %04X needs a whole number of %d-byte values" % (di, size),
                          got="%d bytes" % length)
    return [lookup((di & 0xFFF0) | k) for k in range(length // size)]


def decode_items(di, data, offset=0):
    item = lookup(di)
    if item is not None:
        if len(data) != item.size:
            raise LengthError("DI %04X carries %d bytes of %s" % (di, item.size, item.fmt),
                              offset=offset, expected="%d bytes" % item.size,
                              got="%d" % len(data))
        return decode_with([item], data, offset)
    its = members(di, len(data))
    if its is None:
        raise UnknownIdentifierError("DL/T645-1997 data identifier not in our table",
                                     got="%04X" % di)
    if sum(i.size for i in its) != len(data):
        raise LengthError("block DI %04X has the wrong length" % di, offset=offset,
                          expected="%d bytes" % sum(i.size for i in its), got="%d" % len(data))
    return decode_with(its, data, offset)


def encode_items(di, values):
    item = lookup(di)
    if item is not None:
        return fmts.encode(item.fmt, values)
    first = lookup(di & 0xFFF0) if di & 0x0F == 0x0F else None
    fixed = _BLOCKS.get(di)
    its = [_SINGLE[m] for m in fixed] if fixed else (
        members(di, first.size * len(values)) if first and values else None)
    if its is None or len(its) != len(values):
        raise UnknownIdentifierError("cannot encode DL/T645-1997 DI", got="%04X" % di)
    return b"".join(fmts.encode(i.fmt, v) for i, v in zip(its, values))


# ------------------------------------------------------------- requests ---

def read(address, di):
    return Frame(address, 0x01, di.to_bytes(2, "little"))


def read_follow_up(address, di):
    return Frame(address, 0x02, di.to_bytes(2, "little"))


def read_meter_number():
    """The 1997 way to learn an unknown address: read C032 at the wildcard."""
    return read(WILDCARD, 0xC032)


def write(address, di, value_bytes, password="00000000"):
    """04H write data; ``password`` is PA P0 P1 P2 as 8 hex digits (PA first)."""
    s = str(password)
    if len(s) > 8:
        raise BadValueError("a DL/T645-1997 password has 8 hex digits", got=repr(password))
    try:
        pw = bytes.fromhex("0" * (8 - len(s)) + s)
    except ValueError:
        raise BadValueError("a DL/T645-1997 password is hex digits", got=repr(password))
    return Frame(address, 0x04, di.to_bytes(2, "little") + pw[0:1] + bytes(reversed(pw[1:])) +
                 value_bytes)


def broadcast_time(dt, address=BROADCAST):
    y, mo, d, h, mi, s = dt
    return Frame(address, 0x08, fmts.encode("YYMMDDhhmmss",
                                             "%04d-%02d-%02dT%02d:%02d:%02d" % (y, mo, d, h, mi, s)))


def write_address(new_address):
    return Frame(WILDCARD, 0x0A, address_bytes(new_address))


def change_baud(address, baud):
    if baud not in _CODE_OF_BAUD:
        raise BadValueError("DL/T645-1997 has no baud code for this rate", got=str(baud))
    return Frame(address, 0x0C, bytes((_CODE_OF_BAUD[baud],)))


def reply_read(address, di, data, more=False):
    return Frame(address, 0xA1 if more else 0x81, di.to_bytes(2, "little") + data)


def reply_error(address, function, word):
    return Frame(address, 0xC0 | function, bytes((word,)))


# -------------------------------------------------------------- decoding ---

def decode(frame):
    return decode_frame(frame)


def parse(f):
    fn = f.control & 0x1F
    name = _NAMES.get(fn)
    if name is None:
        raise UnknownIdentifierError("DL/T645-1997 function code not defined", offset=8,
                                     got=byte_hex(f.control))
    data = f.data
    out = {"function": name}
    if f.control & 0x40:
        if len(data) != 1:
            raise LengthError("DL/T645-1997 error reply carries one error word", offset=9,
                              expected="L=1", got="L=%d" % len(data))
        out["error_word"] = "0x%02X" % data[0]
        out["error_bits"] = error_bits(data[0], ERROR_BITS)
        return out
    reply = bool(f.control & 0x80)
    if fn == 0x04 and reply and not data:
        pass  # 84H with L=0: the write was accepted
    elif fn in (0x01, 0x02, 0x03, 0x04):
        if len(data) < 2:
            raise LengthError("data identifier missing", offset=9, expected="L >= 2",
                              got="L=%d" % len(data))
        di = int.from_bytes(data[0:2], "little")
        out["di"] = "%04X" % di
        if reply and fn != 0x04:
            try:
                out["values"] = decode_items(di, data[2:], 12)
            except UnknownIdentifierError:
                out["values"] = None
                out["raw"] = bytes(data[2:]).hex().upper()
        elif fn == 0x04 and not reply:
            out["value_raw"] = bytes(data[6:]).hex().upper()
    elif fn == 0x08:
        if len(data) != 6:
            raise LengthError("broadcast time carries ss mm hh DD MM YY", offset=9,
                              expected="L=6", got="L=%d" % len(data))
        out["datetime"] = fmts.decode("YYMMDDhhmmss", data, 10)
        out["reply_expected"] = False
    elif fn == 0x0A and not reply:
        if len(data) != 6:
            raise LengthError("write address carries 6 bytes", offset=9, expected="L=6",
                              got="L=%d" % len(data))
        out["address_in_data"] = fmts.decode("NNNNNNNNNNNN", data, 10)
    elif fn == 0x0C:
        if len(data) != 1:
            raise LengthError("change baud carries Z", offset=9, expected="L=1",
                              got="L=%d" % len(data))
        out["baud_code"] = "%02X" % data[0]
        if data[0] not in _BAUD_OF_CODE:
            raise BadValueError("baud code is not one defined rate bit", offset=10,
                                got=byte_hex(data[0]))
        out["baud"] = _BAUD_OF_CODE[data[0]]
    elif data:
        out["raw"] = bytes(data).hex().upper()
    return out


def decode_dict(frame):
    f = decode_frame(frame)
    out = {
        "protocol": NAME,
        "address": f.address,
        "control": "0x%02X" % f.control,
        "direction": "reply" if f.control & 0x80 else "request",
        "is_error": bool(f.control & 0x40),
        "more": bool(f.control & 0x20),
        "length": len(f.data),
        "data": bytes(f.data).hex().upper(),
        "broadcast": f.address == BROADCAST,
    }
    out.update(parse(f))
    return out


_BY_QUANTITY = dict((row[1], row[0]) for row in SINGLE)


def di_for(quantity, period=None):
    """The 1997 DI that reads ``quantity`` (period None, settlement:1 or :2), or None."""
    if period is None and quantity in _BY_QUANTITY:
        return _BY_QUANTITY[quantity]
    base, _, index = quantity.rpartition(".")
    if index == "total":
        lo = 0
    elif index[:1] == "t" and index[1:].isdigit() and 1 <= int(index[1:]) <= 14:
        lo = int(index[1:])
    else:
        return None
    months = {None: 0, "settlement:1": 1, "settlement:2": 2}
    if period not in months:
        return None
    m = months[period]
    for hi, name in ACTIVE_DIRECTIONS:
        if name == base:
            return ((0x90 + 4 * m) << 8) | (hi << 4) | lo
    for hi, name in REACTIVE_DIRECTIONS:
        if name == base:
            return ((0x91 + 4 * m) << 8) | (hi << 4) | lo
    for hi, name in DEMAND_DIRECTIONS:
        if name == base:
            return ((0xA0 + 4 * m) << 8) | (hi << 4) | lo
    return None
