"""DL/T 645-2007 data identifiers (appendix A): what each DI holds.

A DI is written DI3 DI2 DI1 DI0 (``00010000``) and sent DI0 first.  Three
kinds of rows, all declarative:

* ``SINGLE``: one DI, one value.
* families (``ENERGY``, ``DEMAND``, ``FREEZES``): DI bytes that index a
  tariff, a settlement period or a frozen record, expanded by ``lookup``.
* ``BLOCKS``: a DI with FFH in one byte reads every member of its group in
  order (``0201FF00`` = voltages A, B, C); members with a variable count
  (tariffs) take as many as the data holds.

Period notation in decoded items: ``settlement:N`` (DI0 = N, the N-th
previous settlement period, A.1), ``daily:N`` / ``hourly:N`` / ``timed:N`` /
``instant:N`` (the N-th most recent frozen record, A.6).
"""

from protocols.core.errors import BadValueError, LengthError, UnknownIdentifierError
from protocols.dlt645 import formats as fmts

# di, quantity, format, unit, signed
SINGLE = (
    (0x02010100, "voltage.a", "XXX.X", "V", False),
    (0x02010200, "voltage.b", "XXX.X", "V", False),
    (0x02010300, "voltage.c", "XXX.X", "V", False),
    (0x02020100, "current.a", "XXX.XXX", "A", True),
    (0x02020200, "current.b", "XXX.XXX", "A", True),
    (0x02020300, "current.c", "XXX.XXX", "A", True),
    (0x02030000, "power.active.total", "XX.XXXX", "kW", True),
    (0x02030100, "power.active.a", "XX.XXXX", "kW", True),
    (0x02030200, "power.active.b", "XX.XXXX", "kW", True),
    (0x02030300, "power.active.c", "XX.XXXX", "kW", True),
    (0x02040000, "power.reactive.total", "XX.XXXX", "kvar", True),
    (0x02040100, "power.reactive.a", "XX.XXXX", "kvar", True),
    (0x02040200, "power.reactive.b", "XX.XXXX", "kvar", True),
    (0x02040300, "power.reactive.c", "XX.XXXX", "kvar", True),
    (0x02050000, "power.apparent.total", "XX.XXXX", "kVA", True),
    (0x02050100, "power.apparent.a", "XX.XXXX", "kVA", True),
    (0x02050200, "power.apparent.b", "XX.XXXX", "kVA", True),
    (0x02050300, "power.apparent.c", "XX.XXXX", "kVA", True),
    (0x02060000, "power_factor.total", "X.XXX", "", True),
    (0x02060100, "power_factor.a", "X.XXX", "", True),
    (0x02060200, "power_factor.b", "X.XXX", "", True),
    (0x02060300, "power_factor.c", "X.XXX", "", True),
    (0x02800001, "current.n", "XXX.XXX", "A", True),
    (0x02800002, "frequency", "XX.XX", "Hz", False),
    (0x02800007, "temperature.meter", "XXX.X", "\u00b0C", True),
    (0x02800008, "battery.voltage", "XX.XX", "V", False),
    (0x04000101, "meter.date", "YYMMDDWW", "", False),
    (0x04000102, "meter.time", "hhmmss", "", False),
    (0x04000401, "meter.address", "NNNNNNNNNNNN", "", False),
    (0x04000402, "meter.number", "NNNNNNNNNNNN", "", False),
    (0x04000409, "meter.constant.active", "XXXXXX", "imp/kWh", False),
    (0x0400040A, "meter.constant.reactive", "XXXXXX", "imp/kvarh", False),
    (0x04000501, "meter.status.1", "status16", "", False),
    (0x04000502, "meter.status.2", "status16", "", False),
    (0x04000503, "meter.status.3", "status16", "", False),
    (0x04000504, "meter.status.4", "status16", "", False),
    (0x04000505, "meter.status.5", "status16", "", False),
    (0x04000506, "meter.status.6", "status16", "", False),
    (0x04000507, "meter.status.7", "status16", "", False),
    (0x04000B01, "settlement.day.1", "DDhh", "", False),
    (0x04000B02, "settlement.day.2", "DDhh", "", False),
    (0x04000B03, "settlement.day.3", "DDhh", "", False),
    (0x04001202, "freeze.hourly.interval", "NN", "min", False),
    (0x04001203, "freeze.daily.time", "hhmm", "", False),
    (0x00900100, "energy.prepaid.remaining", "XXXXXX.XX", "kWh", False),
    (0x00900200, "credit.remaining", "XXXXXX.XX", "CNY", False),
    (0x03300D00, "count.cover_open", "XXXXXX", "", False),
    (0x03300E00, "count.terminal_cover_open", "XXXXXX", "", False),
    (0x03350000, "count.magnetic", "XXXXXX", "", False),
    # the most recent event record (上1次): its head, start and end time; the energies
    # after it (48 bytes in A.x, fewer on some meters) are not kept (see decode_items)
    (0x03300D01, "tamper.cover.last", "event", "", False),
    (0x03300E01, "tamper.terminal_cover.last", "event", "", False),
    (0x03350001, "tamper.magnetic.last", "event", "", False),
    (0x1D000001, "count.relay_trip", "XXXXXX", "", False),
)

# DI2 of 00 kk tt pp: energy kinds; tt = 00 total, 01..3F tariff; pp = 00
# current, 01..0C settlement period.  Combined quantities can be negative.
ENERGY = (
    (0x00, "energy.active.combined", "kWh", True),
    (0x01, "energy.active.import", "kWh", False),
    (0x02, "energy.active.export", "kWh", False),
    (0x03, "energy.reactive.combined1", "kvarh", True),
    (0x04, "energy.reactive.combined2", "kvarh", True),
    (0x05, "energy.reactive.q1", "kvarh", False),
    (0x06, "energy.reactive.q2", "kvarh", False),
    (0x07, "energy.reactive.q3", "kvarh", False),
    (0x08, "energy.reactive.q4", "kvarh", False),
)

# 01 kk tt pp: maximum demand and its time, same indexing as energy.
DEMAND = (
    (0x01, "demand.active.import.max"),
    (0x02, "demand.active.export.max"),
)

# 05 ff kk NN: frozen records (A.6); ff = record kind, NN = 1..max record:
# 00 timed (定时冻结), 01 instant (瞬时冻结, made by 16H with 99999999),
# 04 hourly (整点冻结), 06 daily (日冻结).
FREEZES = (
    (0x00, "timed", 0x0C),
    (0x01, "instant", 0x03),
    (0x04, "hourly", 0xFE),
    (0x06, "daily", 0x3E),
)

# kk within a frozen record: what it holds (hourly records hold totals only).
FREEZE_CONTENT = (
    (0x00, "freeze.time", "YYMMDDhhmm", ""),
    (0x01, "energy.active.import", "XXXXXX.XX", "kWh"),
    (0x02, "energy.active.export", "XXXXXX.XX", "kWh"),
    (0x03, "energy.reactive.combined1", "XXXXXX.XX", "kvarh"),
    (0x04, "energy.reactive.combined2", "XXXXXX.XX", "kvarh"),
    (0x05, "energy.reactive.q1", "XXXXXX.XX", "kvarh"),
    (0x06, "energy.reactive.q2", "XXXXXX.XX", "kvarh"),
    (0x07, "energy.reactive.q3", "XXXXXX.XX", "kvarh"),
    (0x08, "energy.reactive.q4", "XXXXXX.XX", "kvarh"),
    (0x09, "demand.active.import.max", "XX.XXXX+YYMMDDhhmm", "kW"),
    (0x0A, "demand.active.export.max", "XX.XXXX+YYMMDDhhmm", "kW"),
)

# DI with FFH in one byte: (block DI, member DIs in order)
BLOCKS = (
    (0x0201FF00, (0x02010100, 0x02010200, 0x02010300)),
    (0x0202FF00, (0x02020100, 0x02020200, 0x02020300)),
    (0x0203FF00, (0x02030000, 0x02030100, 0x02030200, 0x02030300)),
    (0x0204FF00, (0x02040000, 0x02040100, 0x02040200, 0x02040300)),
    (0x0205FF00, (0x02050000, 0x02050100, 0x02050200, 0x02050300)),
    (0x0206FF00, (0x02060000, 0x02060100, 0x02060200, 0x02060300)),
    (0x040005FF, (0x04000501, 0x04000502, 0x04000503, 0x04000504, 0x04000505,
                  0x04000506, 0x04000507)),
)


# tamper evidence in the run status words (A.7), read with the 040005FF block:
# quantity, status word DI, bit.  Word 1 bit 4: active power reverse; word 7
# bits 9 and 10: meter cover / terminal cover open (the State Grid smart-meter
# additions to word 7; unverified by capture).
FLAGS = (
    ("tamper.reverse_power", 0x04000501, 4),
    ("tamper.cover", 0x04000507, 9),
    ("tamper.terminal_cover", 0x04000507, 10),
)
STATUS_BLOCK = 0x040005FF


class Item:
    """What one DI holds: quantity, format, unit, sign, history period."""

    __slots__ = ("di", "quantity", "fmt", "unit", "signed", "period")

    def __init__(self, di, quantity, fmt, unit, signed=False, period=None):
        self.di = di
        self.quantity = quantity
        self.fmt = fmt
        self.unit = unit
        self.signed = signed
        self.period = period

    @property
    def size(self):
        return fmts.size(self.fmt)

    def __repr__(self):
        return "Item(%08X, %r)" % (self.di, self.quantity)


_SINGLE = dict((row[0], Item(*row)) for row in SINGLE)
_ENERGY = dict((row[0], row[1:]) for row in ENERGY)
_DEMAND = dict(DEMAND)
_FREEZES = dict((row[0], row[1:]) for row in FREEZES)
_FREEZE_CONTENT = dict((row[0], row[1:]) for row in FREEZE_CONTENT)
_BLOCKS = dict(BLOCKS)


def di_text(di):
    return "%08X" % di


def _indexed(base, tariff):
    return base + (".total" if tariff == 0 else ".t%d" % tariff)


def lookup(di):
    """The Item of a single-value DI, or None when the table does not know it."""
    item = _SINGLE.get(di)
    if item is not None:
        return item
    d3, d2, d1, d0 = di >> 24, (di >> 16) & 0xFF, (di >> 8) & 0xFF, di & 0xFF
    if d3 == 0x00 and d2 in _ENERGY and d1 <= 0x3F and d0 <= 0x0C:
        base, unit, signed = _ENERGY[d2]
        return Item(di, _indexed(base, d1), "XXXXXX.XX", unit, signed,
                    "settlement:%d" % d0 if d0 else None)
    if d3 == 0x01 and d2 in _DEMAND and d1 <= 0x3F and d0 <= 0x0C:
        return Item(di, _indexed(_DEMAND[d2], d1), "XX.XXXX+YYMMDDhhmm", "kW", False,
                    "settlement:%d" % d0 if d0 else None)
    if d3 == 0x05 and d2 in _FREEZES and d1 in _FREEZE_CONTENT:
        kind, most = _FREEZES[d2]
        if 1 <= d0 <= most:
            quantity, fmt, unit = _FREEZE_CONTENT[d1]
            if d1 != 0:
                if kind != "hourly":
                    return None  # a block of total and tariffs: see members()
                quantity = quantity + ".total"
            return Item(di, quantity, fmt, unit, False, "%s:%d" % (kind, d0))
    return None


def members(di, length):
    """The member Items of a block DI for a data field of ``length`` bytes.

    None when ``di`` is not a block.  Tariff blocks (tt = FFH) hold the total
    then as many tariffs as the length allows; frozen energy records (A.6) are
    such blocks too.  LengthError when the length cannot be a whole block.
    """
    fixed = _BLOCKS.get(di)
    if fixed is not None:
        return [lookup(m) for m in fixed]
    d3, d2, d1, d0 = di >> 24, (di >> 16) & 0xFF, (di >> 8) & 0xFF, di & 0xFF
    if d3 in (0x00, 0x01) and d1 == 0xFF and d0 <= 0x0C:
        table = _ENERGY if d3 == 0 else _DEMAND
        if d2 not in table:
            return None
        size = 4 if d3 == 0 else 8
        return _repeat(di & 0xFFFF00FF, length, size, lambda k: (di & 0xFFFF00FF) | (k << 8))
    if d3 == 0x05 and d2 in _FREEZES and d1 in _FREEZE_CONTENT and d1 != 0:
        kind, most = _FREEZES[d2]
        quantity, fmt, unit = _FREEZE_CONTENT[d1]
        if kind == "hourly" or not 1 <= d0 <= most:
            return None
        size = fmts.size(fmt)
        period = "%s:%d" % (kind, d0)
        count = _count(di, length, size)
        return [Item(di, _indexed(quantity, k), fmt, unit, False, period) for k in range(count)]
    if d3 == 0x05 and d2 == 0x04 and d1 == 0xFF and 1 <= d0 <= 0xFE:
        return [lookup(0x05040000 | d0), lookup(0x05040100 | d0), lookup(0x05040200 | d0)]
    return None


def _count(di, length, size):
    if length == 0 or length % size:
        raise LengthError("block DI %08X needs a whole number of %d-byte values" % (di, size),
                          got="%d bytes" % length)
    return length // size


def _repeat(base, length, size, member_di):
    return [lookup(member_di(k)) for k in range(_count(base, length, size))]


def decode_items(di, data, offset=0):
    """The value records of a read reply: ``data`` is what follows the DI.

    Raises UnknownIdentifierError for a DI the table does not know (the
    caller keeps the raw bytes), LengthError/BadValueError for bad data.
    """
    item = lookup(di)
    if item is not None:
        items = [item]
        if item.fmt == "event" and len(data) > item.size:
            data = data[:item.size]      # an event record: its head; the rest varies by meter
        if len(data) != item.size:
            raise LengthError("DI %08X carries %d bytes of %s" % (di, item.size, item.fmt),
                              offset=offset, expected="%d bytes" % item.size,
                              got="%d" % len(data))
    else:
        items = members(di, len(data))
        if items is None:
            raise UnknownIdentifierError("DL/T645-2007 data identifier not in our table",
                                         got=di_text(di))
        if sum(i.size for i in items) != len(data):
            raise LengthError("block DI %08X has the wrong length" % di, offset=offset,
                              expected="%d bytes" % sum(i.size for i in items),
                              got="%d" % len(data))
    return decode_with(items, data, offset)


def decode_with(items, data, offset=0):
    """Records for consecutive Items over ``data`` (shared with DL/T645-1997)."""
    out = []
    pos = 0
    for item in items:
        n = item.size
        raw = data[pos:pos + n]
        value = fmts.decode(item.fmt, raw, offset + pos, item.signed)
        rec = {"di": ("%08X" if item.di > 0xFFFF else "%04X") % item.di,
               "quantity": item.quantity, "value": value, "unit": item.unit}
        if item.period:
            rec["period"] = item.period
        if item.fmt == "YYMMDDWW" and value is not None:
            rec["weekday"] = fmts.weekday(raw)
        if isinstance(value, dict):  # demand: value and the time it occurred
            rec["value"] = value["value"]
            rec["time"] = value["time"]
        out.append(rec)
        pos += n
    return out


def _member_size(di):
    if di in _BLOCKS:
        return 1  # fixed layout: members() ignores the length
    d3, d1 = di >> 24, (di >> 8) & 0xFF
    if d3 == 0x00:
        return 4
    if d3 == 0x01:
        return 8
    if d3 == 0x05 and d1 in _FREEZE_CONTENT:
        return fmts.size(_FREEZE_CONTENT[d1][1])
    if d3 == 0x05 and d1 == 0xFF:
        return 1  # the hourly block has a fixed layout
    return None


def encode_items(di, values):
    """Data bytes (before +33H) of a read reply for ``di`` from its values.

    ``values`` is one value for a single DI or a list for a block (None for
    an absent member).  The inverse of ``decode_items`` (used by simulated
    meters).  UnknownIdentifierError for a DI we cannot encode.
    """
    item = lookup(di)
    if item is not None:
        return fmts.encode(item.fmt, values, item.signed)
    if not isinstance(values, (list, tuple)):
        raise BadValueError("block DI %08X takes a list of values" % di)
    size = _member_size(di)
    items = members(di, size * len(values)) if size and values else None
    if items is None:
        raise UnknownIdentifierError("cannot encode DL/T645-2007 DI", got=di_text(di))
    if len(items) != len(values):
        raise BadValueError("block DI %08X takes %d values" % (di, len(items)),
                            got="%d" % len(values))
    return b"".join(fmts.encode(i.fmt, v, i.signed) for i, v in zip(items, values))


_BY_QUANTITY = dict((row[1], row[0]) for row in SINGLE)
_BY_QUANTITY.update((row[0], STATUS_BLOCK) for row in FLAGS)
_WORD_DI = dict((row[1], row[0]) for row in SINGLE if row[2] == "status16")


_EVENT_QUANTITIES = set(row[1] for row in SINGLE if row[2] == "event")


def with_flags(records):
    """``records`` with the tamper flags of their status words added
    (``flag_records``) and without an event record the meter has not got
    (all FFH: no such event yet), which is no value at all."""
    kept = [r for r in records
            if r.get("value") is not None or r.get("quantity") not in _EVENT_QUANTITIES]
    return kept + flag_records(kept)


def flag_records(records):
    """The tamper flags (``FLAGS``) of the status words among ``records``, as
    records of their own (value True/False); [] when there is no status word."""
    words = {}
    for r in records:
        di = _WORD_DI.get(r.get("quantity"))
        if di is not None and isinstance(r.get("value"), str):
            words[di] = int(r["value"], 16)
    out = []
    for quantity, di, bit in FLAGS:
        if di in words:
            out.append({"di": "%08X" % di, "quantity": quantity,
                        "value": bool(words[di] >> bit & 1), "unit": ""})
    return out
_ENERGY_BY_NAME = dict((row[1], row[0]) for row in ENERGY)
_DEMAND_BY_NAME = dict((row[1], row[0]) for row in DEMAND)


def di_for(quantity, period=None):
    """The DI that reads ``quantity`` (and ``period``: None, "settlement:N",
    "daily:N", "hourly:N"), or None.  The inverse of ``lookup``."""
    if period is None and quantity in _BY_QUANTITY:
        return _BY_QUANTITY[quantity]
    base, _, index = quantity.rpartition(".")
    if index == "total":
        tariff = 0
    elif index[:1] == "t" and index[1:].isdigit():
        tariff = int(index[1:])
    else:
        base, tariff = None, None
    kind, _, n = (period or "").partition(":")
    n = int(n) if n.isdigit() else 0
    if base in _ENERGY_BY_NAME and tariff <= 0x3F and kind in ("", "settlement") and n <= 12:
        return (_ENERGY_BY_NAME[base] << 16) | (tariff << 8) | n
    if base in _DEMAND_BY_NAME and tariff <= 0x3F and kind in ("", "settlement") and n <= 12:
        return 0x01000000 | (_DEMAND_BY_NAME[base] << 16) | (tariff << 8) | n
    for d2, fkind, most in FREEZES:
        if kind == fkind and 1 <= n <= most:
            if quantity == "freeze.time":
                return 0x05000000 | (d2 << 16) | n
            for d1, fq, _, _ in FREEZE_CONTENT:
                if d1 and base == fq:
                    if fkind == "hourly":
                        return 0x05000000 | (d2 << 16) | (d1 << 8) | n if tariff == 0 else None
                    return 0x05000000 | (d2 << 16) | (d1 << 8) | n  # the block holds the tariff
    return None
