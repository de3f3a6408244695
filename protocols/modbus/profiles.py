"""Register maps ("profiles") of common Modbus energy meters, read planning,
and conversion of the registers read into canonical quantities.

A profile is a tuple of rows, one per value the meter offers:

    (quantity, table, start, data type, word order, scale, unit, label)

    quantity    canonical name from protocols/quantities.py, or None when we
                have no canonical name (then ``label`` names it)
    table       "input" (read with 04) or "holding" (read with 03)
    start       register address as sent on the wire (0-based: Eastron's
                "30001" is 0x0000)
    data type   uint16 int16 uint32 int32 uint64 int64 float32 float64
                (modbus_values.DATA_TYPES)
    word order  "big" = high word first, "little" = low word first
    scale       power of ten the meter's number is multiplied by to give
                ``unit`` (-2: value * 0.01), None for none (floats)
    unit        the unit the manual gives after that scale
    label       the manual's name for the value

The value comes out in the quantity's canonical unit: a meter unit that
differs from it by a power of ten is shifted exactly (W -> kW is -3,
``UNIT_SHIFTS``); anything else is refused when the profile is built.

Where each map comes from is said above it.  "[verified]" means the address,
type and unit agree with a public implementation that reads real meters
(named next to it); "[unverified]" rows are from the vendor manual as we
remember it and must be confirmed on hardware.  A configuration can replace
or add rows (``profile(name, overrides)``), and set the table or word order
of the whole device.

Reading: ``plan_reads`` groups the wanted rows into the fewest 03/04
requests, ``read_requests`` builds them, ``extract`` turns the replies into
value records ``{quantity, value, unit, label, table, register}`` (``value``
None and an ``error`` for a row that could not be read).  A simulated meter
lays values out with ``register_image``.
"""

from protocols.core.errors import BadValueError, CodecError, LengthError, UnknownIdentifierError
from protocols.core.num import Num
from protocols.modbus.build import read_request
from protocols.modbus.frame import ExceptionReplyError, decode
from protocols.modbus.values import WORD_ORDERS, data_type, registers_to_value, value_to_registers
from protocols.core.quantities import unit_of

TABLES = (("holding", 0x03), ("input", 0x04))
MAX_READ = 125                      # registers in one 03/04 request

# meter unit -> canonical unit: decimal shift
UNIT_SHIFTS = (
    ("W", "kW", -3),
    ("var", "kvar", -3),
    ("VA", "kVA", -3),
    ("Wh", "kWh", -3),
    ("varh", "kvarh", -3),
    ("MWh", "kWh", 3),
    ("mA", "A", -3),
)

DEG = "\u00b0"

# Eastron SDM120-Modbus, protocol document V2.x, input registers (3X), float32
# high word first.  [verified] addresses, types and units against
# nmakel/sdm_modbus (src/sdm_modbus/sdm.py, class SDM120) and Tasmota's reply
# example "01 04 04 43 66 33 34 1B 38" (voltage).
SDM120 = (
    ("voltage.a", "input", 0x0000, "float32", "big", None, "V", "Voltage"),
    ("current.a", "input", 0x0006, "float32", "big", None, "A", "Current"),
    ("power.active.total", "input", 0x000C, "float32", "big", None, "W", "Active power"),
    ("power.apparent.total", "input", 0x0012, "float32", "big", None, "VA", "Apparent power"),
    ("power.reactive.total", "input", 0x0018, "float32", "big", None, "var", "Reactive power"),
    ("power_factor.total", "input", 0x001E, "float32", "big", None, "", "Power factor"),
    ("angle.a", "input", 0x0024, "float32", "big", None, DEG, "Phase angle"),
    ("frequency", "input", 0x0046, "float32", "big", None, "Hz", "Frequency"),
    ("energy.active.import.total", "input", 0x0048, "float32", "big", None, "kWh",
     "Import active energy"),
    ("energy.active.export.total", "input", 0x004A, "float32", "big", None, "kWh",
     "Export active energy"),
    ("energy.reactive.import.total", "input", 0x004C, "float32", "big", None, "kvarh",
     "Import reactive energy"),
    ("energy.reactive.export.total", "input", 0x004E, "float32", "big", None, "kvarh",
     "Export reactive energy"),
    ("demand.active.import.max.total", "input", 0x005A, "float32", "big", None, "W",
     "Maximum import system power demand"),
    ("demand.active.export.max.total", "input", 0x005E, "float32", "big", None, "W",
     "Maximum export system power demand"),
    # Eastron's "total" is import + export: DL/T645's combined active energy
    ("energy.active.combined.total", "input", 0x0156, "float32", "big", None, "kWh",
     "Total active energy"),
    (None, "input", 0x0158, "float32", "big", None, "kvarh", "Total reactive energy"),
)

# Eastron SDM630-Modbus V2, protocol document V1.x, input registers, float32
# high word first.  [verified] against nmakel/sdm_modbus (class SDM630) and
# plebann/eastron_SDM_HA_integration docs/registers-sdm630.md.
SDM630 = (
    ("voltage.a", "input", 0x0000, "float32", "big", None, "V", "Phase 1 line to neutral volts"),
    ("voltage.b", "input", 0x0002, "float32", "big", None, "V", "Phase 2 line to neutral volts"),
    ("voltage.c", "input", 0x0004, "float32", "big", None, "V", "Phase 3 line to neutral volts"),
    ("current.a", "input", 0x0006, "float32", "big", None, "A", "Phase 1 current"),
    ("current.b", "input", 0x0008, "float32", "big", None, "A", "Phase 2 current"),
    ("current.c", "input", 0x000A, "float32", "big", None, "A", "Phase 3 current"),
    ("power.active.a", "input", 0x000C, "float32", "big", None, "W", "Phase 1 power"),
    ("power.active.b", "input", 0x000E, "float32", "big", None, "W", "Phase 2 power"),
    ("power.active.c", "input", 0x0010, "float32", "big", None, "W", "Phase 3 power"),
    ("power.apparent.a", "input", 0x0012, "float32", "big", None, "VA", "Phase 1 volt amps"),
    ("power.apparent.b", "input", 0x0014, "float32", "big", None, "VA", "Phase 2 volt amps"),
    ("power.apparent.c", "input", 0x0016, "float32", "big", None, "VA", "Phase 3 volt amps"),
    ("power.reactive.a", "input", 0x0018, "float32", "big", None, "var", "Phase 1 reactive power"),
    ("power.reactive.b", "input", 0x001A, "float32", "big", None, "var", "Phase 2 reactive power"),
    ("power.reactive.c", "input", 0x001C, "float32", "big", None, "var", "Phase 3 reactive power"),
    ("power_factor.a", "input", 0x001E, "float32", "big", None, "", "Phase 1 power factor"),
    ("power_factor.b", "input", 0x0020, "float32", "big", None, "", "Phase 2 power factor"),
    ("power_factor.c", "input", 0x0022, "float32", "big", None, "", "Phase 3 power factor"),
    ("power.active.total", "input", 0x0034, "float32", "big", None, "W", "Total system power"),
    ("power.apparent.total", "input", 0x0038, "float32", "big", None, "VA", "Total system VA"),
    ("power.reactive.total", "input", 0x003C, "float32", "big", None, "var", "Total system VAr"),
    ("power_factor.total", "input", 0x003E, "float32", "big", None, "", "Total power factor"),
    ("frequency", "input", 0x0046, "float32", "big", None, "Hz", "Frequency of supply voltages"),
    ("energy.active.import.total", "input", 0x0048, "float32", "big", None, "kWh",
     "Import active energy"),
    ("energy.active.export.total", "input", 0x004A, "float32", "big", None, "kWh",
     "Export active energy"),
    ("energy.reactive.import.total", "input", 0x004C, "float32", "big", None, "kvarh",
     "Import reactive energy"),
    ("energy.reactive.export.total", "input", 0x004E, "float32", "big", None, "kvarh",
     "Export reactive energy"),
    ("demand.active.import.max.total", "input", 0x005A, "float32", "big", None, "W",
     "Maximum import system power demand"),
    ("demand.active.export.max.total", "input", 0x005E, "float32", "big", None, "W",
     "Maximum export system power demand"),
    ("voltage.ab", "input", 0x00C8, "float32", "big", None, "V", "Line 1 to line 2 volts"),
    ("voltage.bc", "input", 0x00CA, "float32", "big", None, "V", "Line 2 to line 3 volts"),
    ("voltage.ca", "input", 0x00CC, "float32", "big", None, "V", "Line 3 to line 1 volts"),
    ("current.n", "input", 0x00E0, "float32", "big", None, "A", "Neutral current"),
    ("energy.active.combined.total", "input", 0x0156, "float32", "big", None, "kWh",
     "Total active energy"),
    (None, "input", 0x0158, "float32", "big", None, "kvarh", "Total reactive energy"),
)

# Chint DDSU666 single-phase meter, user manual Modbus address table: float32
# high word first, instantaneous block 2000H, energy block 4000H.  [verified]
# addresses, units (kW, kvar, kWh) and reading with function 04 against
# Tasmota tasmota_xnrg_energy/xnrg_11_ddsu666.ino; apparent power at 2008H is
# [unverified].  Some firmware answers 03 as well: override ``table`` then.
DDSU666 = (
    ("voltage.a", "input", 0x2000, "float32", "big", None, "V", "U"),
    ("current.a", "input", 0x2002, "float32", "big", None, "A", "I"),
    ("power.active.total", "input", 0x2004, "float32", "big", None, "kW", "P"),
    ("power.reactive.total", "input", 0x2006, "float32", "big", None, "kvar", "Q"),
    ("power.apparent.total", "input", 0x2008, "float32", "big", None, "kVA", "S"),
    ("power_factor.total", "input", 0x200A, "float32", "big", None, "", "PF"),
    ("frequency", "input", 0x200E, "float32", "big", None, "Hz", "Freq"),
    ("energy.active.import.total", "input", 0x4000, "float32", "big", None, "kWh", "ImpEp"),
    ("energy.active.export.total", "input", 0x400A, "float32", "big", None, "kWh", "ExpEp"),
)

# Chint DTSU666 three-phase meter, user manual table 11 "ModBus protocol
# address table" (read command 03H), float32 high word first.  The floats are
# the display value times a factor: U x10, I x1000, P/Q x10, PF x1000,
# Freq x100, energy x1.  [verified] addresses and U/I factors against
# docs.smart-stuff.nl "DTSU666 emulation" and the aggsoft DTSU666 map; P, Q,
# PF and Freq factors [unverified] (manual; Freq 4999 = 49.99 Hz in
# michielfromNL's DTSU666 emulator agrees); Q1-Q4 energies [unverified].
DTSU666 = (
    ("voltage.ab", "holding", 0x2000, "float32", "big", -1, "V", "Uab"),
    ("voltage.bc", "holding", 0x2002, "float32", "big", -1, "V", "Ubc"),
    ("voltage.ca", "holding", 0x2004, "float32", "big", -1, "V", "Uca"),
    ("voltage.a", "holding", 0x2006, "float32", "big", -1, "V", "Ua"),
    ("voltage.b", "holding", 0x2008, "float32", "big", -1, "V", "Ub"),
    ("voltage.c", "holding", 0x200A, "float32", "big", -1, "V", "Uc"),
    ("current.a", "holding", 0x200C, "float32", "big", -3, "A", "Ia"),
    ("current.b", "holding", 0x200E, "float32", "big", -3, "A", "Ib"),
    ("current.c", "holding", 0x2010, "float32", "big", -3, "A", "Ic"),
    ("power.active.total", "holding", 0x2012, "float32", "big", -1, "W", "Pt"),
    ("power.active.a", "holding", 0x2014, "float32", "big", -1, "W", "Pa"),
    ("power.active.b", "holding", 0x2016, "float32", "big", -1, "W", "Pb"),
    ("power.active.c", "holding", 0x2018, "float32", "big", -1, "W", "Pc"),
    ("power.reactive.total", "holding", 0x201A, "float32", "big", -1, "var", "Qt"),
    ("power.reactive.a", "holding", 0x201C, "float32", "big", -1, "var", "Qa"),
    ("power.reactive.b", "holding", 0x201E, "float32", "big", -1, "var", "Qb"),
    ("power.reactive.c", "holding", 0x2020, "float32", "big", -1, "var", "Qc"),
    ("power_factor.total", "holding", 0x202A, "float32", "big", -3, "", "PFt"),
    ("power_factor.a", "holding", 0x202C, "float32", "big", -3, "", "PFa"),
    ("power_factor.b", "holding", 0x202E, "float32", "big", -3, "", "PFb"),
    ("power_factor.c", "holding", 0x2030, "float32", "big", -3, "", "PFc"),
    ("frequency", "holding", 0x2044, "float32", "big", -2, "Hz", "Freq"),
    ("energy.active.import.total", "holding", 0x401E, "float32", "big", None, "kWh", "ImpEp"),
    ("energy.active.export.total", "holding", 0x4028, "float32", "big", None, "kWh", "ExpEp"),
    ("energy.reactive.q1.total", "holding", 0x4032, "float32", "big", None, "kvarh", "Q1Eq"),
    ("energy.reactive.q2.total", "holding", 0x403C, "float32", "big", None, "kvarh", "Q2Eq"),
    ("energy.reactive.q3.total", "holding", 0x4046, "float32", "big", None, "kvarh", "Q3Eq"),
    ("energy.reactive.q4.total", "holding", 0x4050, "float32", "big", None, "kvarh", "Q4Eq"),
)

# Carlo Gavazzi EM24-DIN, "EM24 communication protocol": INT32 low word first
# ("little"), fixed decimals.  [verified] V (x10), A (x1000), W (x10), Hz
# (UINT16 x10), kWh(+) and kWh(-) (x10) against victronenergy/
# dbus-modbus-client carlo_gavazzi.py; VA, var, PF and kvarh [unverified].
EM24 = (
    ("voltage.a", "holding", 0x0000, "int32", "little", -1, "V", "V L1-N"),
    ("voltage.b", "holding", 0x0002, "int32", "little", -1, "V", "V L2-N"),
    ("voltage.c", "holding", 0x0004, "int32", "little", -1, "V", "V L3-N"),
    ("current.a", "holding", 0x000C, "int32", "little", -3, "A", "A L1"),
    ("current.b", "holding", 0x000E, "int32", "little", -3, "A", "A L2"),
    ("current.c", "holding", 0x0010, "int32", "little", -3, "A", "A L3"),
    ("power.active.a", "holding", 0x0012, "int32", "little", -1, "W", "W L1"),
    ("power.active.b", "holding", 0x0014, "int32", "little", -1, "W", "W L2"),
    ("power.active.c", "holding", 0x0016, "int32", "little", -1, "W", "W L3"),
    ("power.active.total", "holding", 0x0028, "int32", "little", -1, "W", "W sys"),
    ("power.apparent.total", "holding", 0x002A, "int32", "little", -1, "VA", "VA sys"),
    ("power.reactive.total", "holding", 0x002C, "int32", "little", -1, "var", "var sys"),
    ("power_factor.a", "holding", 0x002E, "int16", "big", -3, "", "PF L1"),
    ("power_factor.b", "holding", 0x002F, "int16", "big", -3, "", "PF L2"),
    ("power_factor.c", "holding", 0x0030, "int16", "big", -3, "", "PF L3"),
    ("power_factor.total", "holding", 0x0031, "int16", "big", -3, "", "PF sys"),
    ("frequency", "holding", 0x0033, "uint16", "big", -1, "Hz", "Hz"),
    ("energy.active.import.total", "holding", 0x0034, "int32", "little", -1, "kWh",
     "kWh (+) TOT"),
    ("energy.reactive.import.total", "holding", 0x0036, "int32", "little", -1, "kvarh",
     "kvarh (+) TOT"),
    ("energy.active.export.total", "holding", 0x004E, "int32", "little", -1, "kWh",
     "kWh (-) TOT"),
)

# A template for the many integer meters that keep "kWh x 0.01" in two
# holding registers: a configuration overrides the address, type, order and
# scale, and adds rows.
GENERIC = (
    ("energy.active.import.total", "holding", 0x0000, "uint32", "big", -2, "kWh",
     "Import active energy"),
)

# (name used in configuration, rows)
PROFILES = (
    ("eastron-sdm120", SDM120),
    ("eastron-sdm630", SDM630),
    ("chint-ddsu666", DDSU666),
    ("chint-dtsu666", DTSU666),
    ("carlo-gavazzi-em24", EM24),
    ("generic", GENERIC),
)

_PROFILES = dict(PROFILES)
_TABLE_FC = dict(TABLES)
_SHIFTS = dict(((a, b), s) for a, b, s in UNIT_SHIFTS)
_KEYS = ("quantity", "table", "start", "type", "order", "scale", "unit", "label")


def names():
    return [name for name, _ in PROFILES]


def _bad(row, what, expected, got):
    return BadValueError("profile row %r: %s" % (row, what), expected=expected, got=repr(got))


def unit_shift(row):
    """(output unit, decimal shift) of a row: the canonical unit of its quantity."""
    quantity, unit = row[0], row[6]
    if quantity is None:
        return unit, 0
    canon = unit_of(quantity)
    if canon is None:
        raise UnknownIdentifierError("not a canonical quantity name", got=repr(quantity))
    if canon == unit:
        return canon, 0
    shift = _SHIFTS.get((unit, canon))
    if shift is None:
        raise _bad(row[7], "unit does not convert to %s by a power of ten" % canon,
                   canon, unit)
    return canon, shift


def validate_row(row):
    """A row (tuple/list, or dict with the names in ``_KEYS``) as a checked 8-tuple."""
    if isinstance(row, dict):
        unknown = [k for k in row if k not in _KEYS]
        if unknown:
            raise _bad(row.get("label") or row.get("quantity"), "unknown field",
                       ", ".join(_KEYS), unknown[0])
        row = tuple(row.get(k) for k in _KEYS[:7]) + (row.get("label") or row.get("quantity"),)
    row = tuple(row)
    if len(row) == 7:
        row = row + (row[0],)
    if len(row) != 8:
        raise _bad(row, "needs 7 or 8 fields", " ".join(_KEYS), len(row))
    quantity, table, start, dtype, order, scale, unit, label = row
    for field, value in (("quantity", quantity), ("table", table), ("type", dtype),
                         ("order", order), ("unit", unit), ("label", label)):
        if not isinstance(value, str) and not (value is None and field == "quantity"):
            raise _bad(label, field + " must be text", "a string", value)
    if isinstance(start, str):
        try:
            start = int(start[2:], 16) if start.lower().startswith("0x") else int(start)
        except ValueError:
            raise _bad(label, "start is not a number", "0-65535 or 0x0000-0xFFFF", start)
    if table not in _TABLE_FC:
        raise _bad(label, "unknown register table", "holding or input", table)
    if not isinstance(start, int) or start < 0 or start + data_type(dtype)[1] > 0x10000:
        raise _bad(label, "start address", "0-65535", start)
    if order not in WORD_ORDERS:
        raise _bad(label, "unknown word order", "big or little", order)
    if scale is not None and (not isinstance(scale, int) or isinstance(scale, bool)
                              or scale < -12 or scale > 12):
        raise _bad(label, "scale is a power of ten", "-12..12 or None", scale)
    row = (quantity, table, start, dtype, order, scale, unit, label)
    unit_shift(row)
    return row


def _key(row):
    return row[0] if row[0] is not None else row[7]


def profile(name, overrides=(), order=None, table=None):
    """The checked rows of profile ``name`` with ``overrides`` applied (a row
    for a quantity or label the profile has replaces it, others are added),
    and optionally every row moved to another word order or table."""
    rows = _PROFILES.get(name)
    if rows is None:
        raise UnknownIdentifierError("unknown Modbus profile", expected=", ".join(names()),
                                     got=repr(name))
    out = [validate_row(r) for r in rows]
    for r in overrides:
        r = validate_row(r)
        keys = [_key(x) for x in out]
        if _key(r) in keys:
            out[keys.index(_key(r))] = r
        else:
            out.append(r)
    if order is not None or table is not None:
        out = [validate_row((r[0], table or r[1], r[2], r[3], order or r[4]) + r[5:])
               for r in out]
    return tuple(out)


def row_value(row, registers):
    """The row's registers to a Num in the quantity's canonical unit."""
    unit, shift = unit_shift(row)
    value = registers_to_value(registers, row[3], row[4], row[5])
    return value.scaled(shift) if shift else value


def row_registers(row, value):
    """A value in the quantity's canonical unit to the meter's registers."""
    unit, shift = unit_shift(row)
    if isinstance(value, int):
        value = Num(value)
    return value_to_registers(value.scaled(-shift) if shift else value, row[3], row[4], row[5])


def select(rows, wanted=None):
    """The rows for the quantity names or labels in ``wanted`` (all if None)."""
    if wanted is None:
        return tuple(rows)
    out = []
    for w in wanted:
        hits = [r for r in rows if r[0] == w or r[7] == w]
        if not hits:
            raise UnknownIdentifierError("the profile has no such quantity", got=repr(w))
        out.append(hits[0])
    return tuple(out)


def plan_reads(rows, wanted=None, max_gap=16, max_count=MAX_READ):
    """The fewest 03/04 requests that read ``wanted`` (names or labels).

    Rows of one table are taken in address order and joined into one request
    while the hole between them is at most ``max_gap`` registers and the
    request stays within ``max_count`` (125) registers; set ``max_gap=0`` for
    meters that refuse to read undefined registers.  Returns a tuple of
    ``(function, start, count, rows)``.
    """
    chosen = select(rows, wanted)
    plan = []
    for table, fc in TABLES:
        mine = sorted([r for r in chosen if r[1] == table], key=lambda r: r[2])
        cur = None
        for r in mine:
            end = r[2] + data_type(r[3])[1]
            if cur is not None and r[2] - cur[1] <= max_gap and end - cur[0] <= max_count:
                cur[1] = max(cur[1], end)
                cur[2].append(r)
                continue
            if cur is not None:
                plan.append((fc, cur[0], cur[1] - cur[0], tuple(cur[2])))
            cur = [r[2], end, [r]]
        if cur is not None:
            plan.append((fc, cur[0], cur[1] - cur[0], tuple(cur[2])))
    return tuple(plan)


def read_requests(address, plan):
    """The request frames of a plan, in order."""
    return [read_request(address, fc, start, count) for fc, start, count, _ in plan]


def _reply_registers(reply, fc, count):
    if isinstance(reply, (bytes, bytearray)):
        frame = decode(reply, "reply")
        if frame.kind == "exception":
            raise ExceptionReplyError(fc, frame.fields["exception_code"])
        if frame.function != fc:
            raise BadValueError("reply to another function", offset=1,
                                expected="%02XH" % fc, got="%02XH" % frame.function)
        reply = frame.fields["registers"]
    if len(reply) != count:
        raise LengthError("reply register count", expected=count, got=len(reply))
    return reply


def extract(plan, replies):
    """Value records for a plan and its replies (one per request: the reply
    frame, or the list of registers minimalmodbus returns).  A bad reply or
    value gives records with ``value`` None and an ``error``, not an exception."""
    if len(replies) != len(plan):
        raise LengthError("one reply per planned request", expected=len(plan), got=len(replies))
    records = []
    for i in range(len(plan)):
        fc, start, count, rows = plan[i]
        try:
            regs, failure = _reply_registers(replies[i], fc, count), None
        except CodecError as err:
            regs, failure = None, err
        for r in rows:
            rec = {"quantity": r[0], "value": None, "unit": unit_shift(r)[0], "label": r[7],
                   "table": r[1], "register": r[2]}
            if failure is None:
                off = r[2] - start
                try:
                    rec["value"] = row_value(r, regs[off:off + data_type(r[3])[1]])
                except CodecError as err:
                    rec["error"] = str(err)
            else:
                rec["error"] = str(failure)
            records.append(rec)
    return records


def register_image(rows, values):
    """For a simulated meter: {(table, address): register} holding ``values``
    ({quantity or label: Num in the canonical unit}) as ``rows`` lay them out."""
    image = {}
    for r in rows:
        k = _key(r)
        if k in values:
            regs = row_registers(r, values[k])
            for j in range(len(regs)):
                image[(r[1], r[2] + j)] = regs[j]
    return image
