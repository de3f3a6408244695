"""What each protocol allows in a meter record: address form, kinds, options, limits.

One row of ``PROTOCOL_RULES`` per protocol; option checks are the ``OPTIONS``
table.  The protocol names repeat ``drivers.readers.PROTOCOLS`` because
``store/`` may not import ``drivers/``; a test checks that the two agree.
Each check raises ``ArchiveError`` (built by ``bad``) naming the meter, the
field, the value and what is allowed.
"""

import re

from store.documents.coerce import decimal_text, to_decimal, to_int, to_text
from store.errors import ArchiveError

KINDS = ("electricity", "water", "gas", "heat")
_DIGITS = re.compile(r"[0-9]+\Z")
_HEX = re.compile(r"[0-9A-Fa-f]+\Z")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}\Z")

# protocol, family (one address space on a port), address kind, kinds, options
PROTOCOL_RULES = (
    ("dlt645-2007", "dlt645", "dlt645", ("electricity",), ("password", "operator", "level")),
    ("dlt645-1997", "dlt645", "dlt645", ("electricity",), ("password", "level")),
    ("cjt188", "cjt188", "cjt188", ("water", "gas", "heat"), ("di_order",)),
    ("mbus", "mbus", "mbus", KINDS, ("secondary",)),
    ("modbus", "modbus", "modbus", ("electricity",), ("profile",)),
)
PROTOCOLS = tuple(row[0] for row in PROTOCOL_RULES)
_RULES = dict((row[0], row[1:]) for row in PROTOCOL_RULES)

# limit: (stored as, description)
LIMITS = (
    ("power_max_kw", "decimal", "overload threshold in kW"),
    ("daily_max", "decimal", "abnormal daily consumption, in the main register's unit"),
    ("zero_days", "int", "days without consumption before consumption_zero"),
)
_LIMITS = dict((row[0], row[1]) for row in LIMITS)


class MeterRules:
    """What validation needs to know about the installation.

    ``port_names``: the configured ports (None: any name); ``radio_port``: the
    radio module's port name (None: not checked); ``modbus_profiles``: the
    register map names (None: any well-formed name).
    """

    def __init__(self, port_names=None, radio_port=None, modbus_profiles=None):
        self.port_names = tuple(port_names) if port_names is not None else None
        self.radio_port = radio_port
        self.modbus_profiles = tuple(modbus_profiles) if modbus_profiles is not None else None


def rules_of(protocol):
    """(family, address form, kinds, options) of a protocol."""
    return _RULES[protocol]


def family(protocol):
    """The address space of a protocol: dlt645-2007 and -1997 share one."""
    return _RULES[protocol][0]


def bad(meter, field, value, what, allowed, cls=ArchiveError):
    """An ``ArchiveError`` 'meter M: FIELD VALUE WHAT: ALLOWED'."""
    shown = "" if value is None else " %r" % (value,)
    return cls("meter %s: %s%s %s: %s" % (meter, field, shown, what, allowed),
               key=meter, field=field, value=value, allowed=allowed)


def _digits(meter, value, lo, hi, protocol, allowed):
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise bad(meter, "address", value, "is not valid for %s" % protocol, allowed)
    if not _DIGITS.match(text) or not lo <= len(text) <= hi:
        raise bad(meter, "address", value, "is not valid for %s" % protocol, allowed)
    return text


def normalise_address(meter, protocol, value):
    """The stored address text of ``value`` for ``protocol``."""
    kind = _RULES[protocol][1]
    if kind == "dlt645":
        allowed = "use 1 to 12 decimal digits, as printed on the nameplate"
        text = _digits(meter, value, 1, 12, protocol, allowed).zfill(12)
        if text == "999999999999":
            raise bad(meter, "address", value, "is the DL/T645 broadcast address", allowed)
        return text
    if kind == "cjt188":
        allowed = "use 1 to 14 decimal digits, as printed on the nameplate"
        return _digits(meter, value, 1, 14, protocol, allowed).zfill(14)
    if kind == "mbus":
        allowed = "use a primary address 0 to 250 or an 8-digit secondary address"
        text = _digits(meter, value, 1, 8, protocol, allowed)
        if len(text) == 8 and isinstance(value, str):
            return text
        if len(text) <= 3 and int(text) <= 250:
            return str(int(text))
        raise bad(meter, "address", value, "is not valid for mbus", allowed)
    allowed = "use a slave id 1 to 247"
    text = _digits(meter, value, 1, 3, protocol, allowed)
    if not 1 <= int(text) <= 247:
        raise bad(meter, "address", value, "is not valid for modbus", allowed)
    return str(int(text))


def _hex(n):
    def check(value, rules):
        text = str(value).zfill(n) if isinstance(value, int) and not isinstance(value, bool) \
            else to_text(value)
        if not (_HEX.match(text) and len(text) == n):
            raise ValueError
        return text.upper()
    return check


def _level(value, rules):
    level = to_int(value)
    if not 0 <= level <= 9:
        raise ValueError
    return level


def _di_order(value, rules):
    text = to_text(value).lower()
    if text not in ("le", "be"):
        raise ValueError
    return text


def _secondary(value, rules):
    text = to_text(value)
    if not (_DIGITS.match(text) and len(text) == 8):
        raise ValueError
    return text


def _profile(value, rules):
    text = to_text(value)
    known = rules.modbus_profiles
    if (known is not None and text not in known) or not _NAME.match(text):
        raise ValueError
    return text


# option: (check(value, rules) -> stored value or ValueError, what is allowed)
OPTIONS = {
    "password": (_hex(6), "6 hex digits, e.g. 000000"),
    "operator": (_hex(8), "8 hex digits, e.g. 00000000"),
    "level": (_level, "a password level 0 to 9"),
    "di_order": (_di_order, "le or be (byte order of the data identifier)"),
    "secondary": (_secondary, "an 8-digit M-Bus secondary address"),
    "profile": (_profile, "a register map name such as eastron-sdm120"),
}


def _option(meter, protocol, key, value, rules):
    check, allowed = OPTIONS[key]
    try:
        return check(value, rules)
    except ValueError:
        if key == "profile" and rules.modbus_profiles:
            allowed = "one of %s" % ", ".join(rules.modbus_profiles)
        raise bad(meter, "options.%s" % key, value, "is not valid for %s" % protocol,
                  allowed) from None


def normalise_options(meter, protocol, value, rules):
    if not isinstance(value, dict):
        raise bad(meter, "options", value, "is not a set of options", "use key=value pairs")
    allowed = _RULES[protocol][3]
    out = {}
    for key in sorted(value):
        if value[key] is None or value[key] == "":
            continue
        if key not in allowed:
            raise bad(meter, "options", key, "is not an option of %s" % protocol,
                      "use %s" % (", ".join(allowed) or "none"))
        out[key] = _option(meter, protocol, key, value[key], rules)
    return out


def normalise_limits(meter, value):
    if not isinstance(value, dict):
        raise bad(meter, "limits", value, "is not a set of limits", "use key=value pairs")
    out = {}
    for key in sorted(value):
        if value[key] is None or value[key] == "":
            continue
        if key not in _LIMITS:
            raise bad(meter, "limits", key, "is not a limit",
                      "use %s" % ", ".join(row[0] for row in LIMITS))
        try:
            if _LIMITS[key] == "int":
                number = to_int(value[key])
            else:
                number = to_decimal(value[key])
            if number < 0:
                raise ValueError
        except ValueError:
            what = "a whole number >= 0" if _LIMITS[key] == "int" else "a decimal number >= 0"
            raise bad(meter, "limits.%s" % key, value[key], "is not valid", what) from None
        out[key] = number if _LIMITS[key] == "int" else decimal_text(number)
    return out
