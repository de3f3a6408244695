"""What each protocol allows in a meter record: address form, kinds, options, limits.

``store/`` imports nothing of the project: the protocol rows of
``protocols/registry.py`` are injected by ``gateway/`` through ``MeterRules``
(each row gives ``name``, ``family``, ``kinds``, ``address`` and ``options``
as data; the forms they name are checked here).  Each check raises
``ArchiveError`` (built by ``bad``) naming the meter, the field, the value and
what is allowed.
"""

import re

from store.documents.coerce import decimal_text, to_decimal, to_int, to_text
from store.errors import ArchiveError

_DIGITS = re.compile(r"[0-9]+\Z")
_HEX = re.compile(r"[0-9A-Fa-f]+\Z")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}\Z")

# limit: (stored as, description)
LIMITS = (
    ("power_max_kw", "decimal", "overload threshold in kW"),
    ("daily_max", "decimal", "abnormal daily consumption, in the main register's unit"),
    ("zero_days", "int", "days without consumption before consumption_zero"),
)
_LIMITS = dict((row[0], row[1]) for row in LIMITS)


class MeterRules:
    """What validation needs to know about the protocols and the installation.

    ``protocols``: the protocol rows (``protocols.registry.PROTOCOLS``, given
    by ``gateway/``); ``port_names``: the configured ports (None: any name);
    ``radio_port``: the radio module's port name (None: not checked);
    ``choices``: for options of the ``name`` form, the names the installation
    knows (e.g. ``{"profile": [register map names]}``; absent: any well-formed
    name).
    """

    def __init__(self, protocols=(), port_names=None, radio_port=None, choices=None):
        self.protocols = dict((p.name, p) for p in protocols)
        self.port_names = tuple(port_names) if port_names is not None else None
        self.radio_port = radio_port
        self.choices = dict((k, tuple(v)) for k, v in (choices or {}).items())

    def names(self):
        return tuple(self.protocols)

    def row(self, protocol):
        return self.protocols[protocol]

    def family(self, protocol):
        """The address space of a protocol: dlt645-2007 and -1997 share one."""
        return self.protocols[protocol].family

    def id_option(self, protocol):
        """The option that holds a meter's id form of address (M-Bus secondary), or None."""
        return self.protocols[protocol].address.get("id_option")


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


def normalise_address(meter, protocol, value, rules):
    """The stored address text of ``value`` for ``protocol`` (its row's address form)."""
    form = rules.row(protocol).address
    allowed = form["allowed"]
    if form["form"] == "digits":
        text = _digits(meter, value, 1, form["max"], protocol, allowed)
        text = "0" * (form["max"] - len(text)) + text
        if text in form.get("reserved", ()):
            raise bad(meter, "address", value, form["reserved_why"], allowed)
        return text
    if form["form"] == "number_or_id":
        width = form["id_digits"]
        text = _digits(meter, value, 1, width, protocol, allowed)
        if len(text) == width and isinstance(value, str):
            return text
        if len(text) <= len(str(form["max"])) and int(text) <= form["max"]:
            return str(int(text))
        raise bad(meter, "address", value, "is not valid for %s" % protocol, allowed)
    text = _digits(meter, value, 1, len(str(form["max"])), protocol, allowed)
    if not form["min"] <= int(text) <= form["max"]:
        raise bad(meter, "address", value, "is not valid for %s" % protocol, allowed)
    return str(int(text))


# option form -> check(value, argument, known names or None) -> stored value, or ValueError
def _hex(value, n, known):
    text = str(value).zfill(n) if isinstance(value, int) and not isinstance(value, bool) \
        else to_text(value)
    if not (_HEX.match(text) and len(text) == n):
        raise ValueError
    return text.upper()


def _int(value, bounds, known):
    number = to_int(value)
    if not bounds[0] <= number <= bounds[1]:
        raise ValueError
    return number


def _choice(value, choices, known):
    text = to_text(value).lower()
    if text not in choices:
        raise ValueError
    return text


def _fixed_digits(value, n, known):
    text = to_text(value)
    if not (_DIGITS.match(text) and len(text) == n):
        raise ValueError
    return text


def _name(value, arg, known):
    text = to_text(value)
    if (known is not None and text not in known) or not _NAME.match(text):
        raise ValueError
    return text


OPTION_CHECKS = {"hex": _hex, "int": _int, "choice": _choice, "digits": _fixed_digits,
                 "name": _name}


def normalise_options(meter, protocol, value, rules):
    if not isinstance(value, dict):
        raise bad(meter, "options", value, "is not a set of options", "use key=value pairs")
    specs = dict((o[0], o[1:]) for o in rules.row(protocol).options)
    out = {}
    for key in sorted(value):
        if value[key] is None or value[key] == "":
            continue
        if key not in specs:
            raise bad(meter, "options", key, "is not an option of %s" % protocol,
                      "use %s" % (", ".join(o[0] for o in rules.row(protocol).options) or "none"))
        form, arg, allowed = specs[key]
        known = rules.choices.get(key)
        try:
            out[key] = OPTION_CHECKS[form](value[key], arg, known)
        except ValueError:
            if form == "name" and known:
                allowed = "one of %s" % ", ".join(known)
            raise bad(meter, "options.%s" % key, value[key], "is not valid for %s" % protocol,
                      allowed) from None
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
