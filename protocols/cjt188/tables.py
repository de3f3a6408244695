"""CJ/T 188-2004 tables: meter types, control functions, unit codes, data identifiers
and the byte layout of every data field (clauses 5.1 to 5.5 of the standard).

Everything here is a literal tuple of rows; ``cjt188`` builds its lookup dicts
from them at import.  A layout is a tuple of fields, each
``(name, kind, size, decimals, quantity, extra)``:

=========  ==================================================================
kind       meaning
=========  ==================================================================
``vu``     ``size`` bytes packed BCD (low byte first) with ``decimals``, then
           one unit-code byte (table UNITS); ``extra`` = history period
``bcd``    ``size`` bytes packed BCD with ``decimals`` and the fixed unit
           ``extra``
``time``   7 bytes BCD ``ss mm hh DD MM YY YY`` (seconds first, the year as
           two BCD bytes low pair first: ``.. 05 15 20`` = May 2015)
``st``     status ST0 ST1 (ST0 bits 1..0 valve, bit 2 battery low)
``u8``     one binary byte (purchase sequence number, key version)
``day``    one BCD byte, a day of the month
``hex``    ``size`` raw bytes (a key)
``addr``   a 7-byte meter address, low byte first
``valve``  one valve command byte (55H open, 99H close)
=========  ==================================================================
"""

M3 = "m\u00b3"
DEG_C = "\u00b0C"

# T byte (clause 5.1.2): (first, last, class, name)
METER_TYPES = (
    (0x10, 0x10, "water", "cold water meter"),
    (0x11, 0x11, "water", "domestic hot water meter"),
    (0x12, 0x12, "water", "drinking water meter"),
    (0x13, 0x13, "water", "reclaimed water meter"),
    (0x14, 0x19, "water", "water meter"),
    (0x20, 0x20, "heat", "heat meter (heating energy)"),
    (0x21, 0x21, "heat", "heat meter (cooling energy)"),
    (0x22, 0x29, "heat", "heat meter"),
    (0x30, 0x39, "gas", "gas meter"),
    (0x40, 0x49, "custom", "custom meter"),
    (0xAA, 0xAA, "any", "wildcard meter type"),
)



def kind_of_type(t):
    """The archive kind (water, heat, gas) of a T byte, or None (custom, unknown)."""
    for first, last, cls, _ in METER_TYPES:
        if first <= t <= last and cls in ("water", "heat", "gas"):
            return cls
    return None


# Meter types whose energy is cooling energy: (T, quantity, replaced by)
COOLING_TYPES = (
    (0x21, "heat.energy.total", "cooling.energy.total"),
)

# C byte D5..D0 (clause 5.2.3): (function code, name)
FUNCTIONS = (
    (0x01, "read_data"),
    (0x03, "read_address"),
    (0x04, "write_data"),
    (0x09, "read_key_version"),
    (0x15, "write_address"),
    (0x16, "write_meter_base"),
)

# Unit codes (clause 5.4.1): (code, meter's unit, unit we report, power of ten
# from the meter's unit to ours).  Only exact powers of ten are applied: heat
# in J/kJ/MJ/GJ stays in the meter's unit (1 kWh = 3.6 MJ is not one).
UNITS = (
    (0x01, "J", "J", 0),
    (0x02, "Wh", "kWh", -3),
    (0x05, "kWh", "kWh", 0),
    (0x08, "MWh", "kWh", 3),
    (0x0A, "MWh\u00d7100", "kWh", 5),
    (0x0B, "kJ", "kJ", 0),
    (0x0E, "MJ", "MJ", 0),
    (0x11, "GJ", "GJ", 0),
    (0x13, "GJ\u00d7100", "GJ", 2),
    (0x14, "W", "kW", -3),
    (0x17, "kW", "kW", 0),
    (0x1A, "MW", "kW", 3),
    (0x29, "L", M3, -3),
    (0x2C, M3, M3, 0),
    (0x32, "L/h", M3 + "/h", -3),
    (0x35, M3 + "/h", M3 + "/h", 0),
)

# Status ST0 bits 1..0 (clause 5.4.2).  10b is not defined by the standard;
# meters that send it are treated as abnormal, like 11b.
VALVE_STATES = (
    (0, "open"),
    (1, "closed"),
    (2, "fault"),
    (3, "fault"),
)

# Valve control A017 command byte (clause 5.5.3.7); 66H/77H are a vendor
# extension ("free" open/close) seen in the field, reported as vendor codes.
VALVE_CODES = (
    (0x55, "open"),
    (0x99, "close"),
    (0x66, "vendor-66"),
    (0x77, "vendor-77"),
)

# ------------------------------------------------------------- layouts ---

WATER_CURRENT = (
    ("current_volume", "vu", 4, -2, "volume.total", None),
    ("settlement_volume", "vu", 4, -2, "volume.total", "settlement:1"),
    ("meter_time", "time", 7, 0, "meter.datetime", None),
    ("status", "st", 2, 0, "meter.status", None),
)

HEAT_CURRENT = (
    ("settlement_heat", "vu", 4, -2, "heat.energy.total", "settlement:1"),
    ("current_heat", "vu", 4, -2, "heat.energy.total", None),
    ("power", "vu", 4, -2, "heat.power", None),
    ("flow", "vu", 4, -4, "flow.rate", None),
    ("volume", "vu", 4, -2, "volume.total", None),
    ("supply_temp", "bcd", 3, -2, "temperature.supply", DEG_C),
    ("return_temp", "bcd", 3, -2, "temperature.return", DEG_C),
    ("working_hours", "bcd", 3, 0, "time.operating", "h"),
    ("meter_time", "time", 7, 0, "meter.datetime", None),
    ("status", "st", 2, 0, "meter.status", None),
)

# History D120..D12B: the settlement-day value of month N before this one.
# The period "settlement:N" is filled in from the DI.
WATER_HISTORY = (
    ("settlement_volume", "vu", 4, -2, "volume.total", "settlement"),
)
HEAT_HISTORY = (
    ("settlement_heat", "vu", 4, -2, "heat.energy.total", "settlement"),
)

PRICE_TABLE = (
    ("price_1", "bcd", 3, -2, None, "CNY/" + M3),
    ("usage_1", "bcd", 3, 0, None, M3),
    ("price_2", "bcd", 3, -2, None, "CNY/" + M3),
    ("usage_2", "bcd", 3, 0, None, M3),
    ("price_3", "bcd", 3, -2, None, "CNY/" + M3),
)
PRICE_TABLE_WRITE = PRICE_TABLE + (
    ("start_day", "day", 1, 0, None, None),
)
SETTLEMENT_DAY = (("settlement_day", "day", 1, 0, None, None),)
READING_DAY = (("reading_day", "day", 1, 0, None, None),)
PURCHASE = (
    ("purchase_serial", "u8", 1, 0, None, None),
    ("purchase_amount", "bcd", 4, -2, "credit.purchased.last", "CNY"),
)
PURCHASE_STATE = PURCHASE + (
    ("purchase_total", "bcd", 4, -2, "credit.purchased.total", "CNY"),
    ("credit_remaining", "bcd", 4, -2, "credit.remaining", "CNY"),
    ("status", "st", 2, 0, "meter.status", None),
)
KEY_VERSION = (("key_version", "u8", 1, 0, None, None),)
NEW_KEY = KEY_VERSION + (("key", "hex", 8, 0, None, None),)
STANDARD_TIME = (("meter_time", "time", 7, 0, "meter.datetime", None),)
METER_BASE = (("base_volume", "vu", 4, -2, "volume.total", None),)
VALVE = (("valve_code", "valve", 1, 0, None, None),)
NEW_ADDRESS = (("new_address", "addr", 7, 0, None, None),)
STATUS_ONLY = (("status", "st", 2, 0, "meter.status", None),)
NOTHING = ()

# "current" and "history" depend on the meter class; resolved by cjt188.
CURRENT = "current"
HISTORY = "history"


def _history_rows():
    return tuple((0xD120 + k, "history month %d" % (k + 1), "le", NOTHING, HISTORY)
                 for k in range(12))


# Data identifiers (clause 5.5): (DI as the standard writes it, name, default
# wire order, request layout after DI+SER, reply layout after DI+SER).
# Wire order "le" sends the low byte first (1F 90), "be" the high byte first
# (A0 17); the defaults are the forms seen most in captures (spec 3.3), and
# for the DIs without captures the same form as their family (81xx like 810A,
# A0xx like A017).  Decoders accept both orders.
DATA_IDS = (
    (0x901F, "current metering data", "le", NOTHING, CURRENT),
) + _history_rows() + (
    (0x8102, "price table", "le", NOTHING, PRICE_TABLE),
    (0x8103, "settlement day", "le", NOTHING, SETTLEMENT_DAY),
    (0x8104, "reading day", "le", NOTHING, READING_DAY),
    (0x8105, "purchase amount", "le", NOTHING, PURCHASE_STATE),
    (0x8106, "key version", "le", NOTHING, KEY_VERSION),
    (0x810A, "address", "le", NOTHING, NOTHING),
    (0xA010, "write price table", "be", PRICE_TABLE_WRITE, STATUS_ONLY),
    (0xA011, "write settlement day", "be", SETTLEMENT_DAY, NOTHING),
    (0xA012, "write reading day", "be", READING_DAY, NOTHING),
    (0xA013, "write purchase amount", "be", PURCHASE, PURCHASE),
    (0xA014, "write new key", "be", NEW_KEY, KEY_VERSION),
    (0xA015, "write standard time", "be", STANDARD_TIME, NOTHING),
    (0xA016, "write meter base", "be", METER_BASE, STATUS_ONLY),
    (0xA017, "valve control", "be", VALVE, STATUS_ONLY),
    (0xA018, "write address", "be", NEW_ADDRESS, NOTHING),
    (0xA019, "factory start", "be", NOTHING, NOTHING),
)

# The unit a reply builder writes when it is given a bare number.
DEFAULT_UNITS = (
    ("volume.total", 0x2C),
    ("heat.energy.total", 0x05),
    ("cooling.energy.total", 0x05),
    ("heat.power", 0x17),
    ("flow.rate", 0x35),
)

# Function code a DI travels with (everything else: read 01H / write 04H).
DI_FUNCTIONS = (
    (0x8106, 0x09),
    (0x810A, 0x03),
    (0xA016, 0x16),
    (0xA018, 0x15),
)
