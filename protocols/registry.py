"""Every protocol the concentrator speaks: one literal table, one row each.

A row (``Protocol``) holds a protocol's facts that other layers need, so
that none of them keeps an ``if protocol == ...`` chain of its own:

* ``name``: as the console, the configuration and the archive spell it;
* ``title``: as people write it (messages, the LCD);
* ``family``: the address space on a bus (both DL/T645 editions share one);
* ``codec`` / ``deframer``: the modules under ``protocols/`` with
  ``decode_dict(frame)`` and ``Deframer``;
* ``session``: the meter-session module under ``drivers/meters/`` that reads
  such meters over a port;
* ``kinds``: the meter kinds (electricity, water, gas, heat) it serves;
* ``address``: the form of a meter address (see ``ADDRESS_FORMS``);
* ``options``: the archive options a meter record may carry, each
  ``(name, form, argument, what is allowed)`` (see ``OPTION_FORMS``);
* ``line``: line defaults ``(baud, parity, reply timeout s, inter-byte gap s,
  silence before a request s)`` (spec/protocols.md 1.1, 2, 3.1, 5.1, 6);
* ``history``: how many boundaries of each freeze kind the meter keeps itself
  (``instant``: the records an immediate broadcast freeze makes, read back
  after the ``freeze`` command);
* ``radio_type``: the Q/GDW 1376.2 protocol type code of a radio node, or
  None when the protocol is not carried by the radio module;
* ``default_items``: what a read with no item list returns (None: the
  meter's whole current-data answer);
* ``scan``: how a bus is searched for its meters (搜表), or None: a dict with
  ``method`` ("wildcard": AAH bytes for the unknown high bytes of the address,
  a garbled reply = a collision, so one more byte is fixed; "secondary":
  M-Bus selection with F nibbles, collisions bisected digit by digit;
  "linear": each id in ``first``..``last``), ``units`` (bytes or digits of
  the address the search fixes), ``timeout`` (s: the short reply timeout of
  the search, to the first byte; the meter's answer time of the standard,
  not the read timeout) and ``parity`` (the line settings the protocol runs
  with, so that one scan of a port tries every protocol they allow);
* ``broadcast_time``, ``broadcast_freeze``, ``clock``: whether the
  protocol can set clocks and freeze by broadcast, and whether
  its meters keep a clock the concentrator can read;
* ``controls``: the remote controls its meters take (``valve``, ``relay``);
* ``params``: the module under ``protocols/`` with the parameters the
  concentrator may write into the meters (``names()``, ``allowed(name)``,
  ``check(name, value)``), or None (``meter_params`` below);
* ``directed``: whether its deframer is told the direction it listens for
  (``Deframer("reply")`` on a master, ``"request"`` on a slave): a bare
  Modbus RTU frame does not say which it is.

The deframer module of each row also has ``addressee(frame)``: the one
address a request names, or None for a wildcard or broadcast (``addressee``
below).

Adding a protocol means one package under ``protocols/``, one meter session
under ``drivers/meters/`` and one row here (docs/codecs.md says how).

Runs on MicroPython 1.27 too: a plain class, tuples and dicts.
"""

from protocols.core.deframer import frames_in

KINDS = ("electricity", "water", "gas", "heat")

# address form: what its arguments mean
ADDRESS_FORMS = {
    "digits": "1..max decimal digits, stored zero-padded to max; reserved: not a meter",
    "number_or_id": "a number 0..max, or an id of exactly id_digits digits (the option"
                    " id_option, when given, holds the id and must agree with it)",
    "number": "a number min..max",
}

# option form: what its argument means
OPTION_FORMS = {
    "hex": "exactly N hex digits (stored upper case)",
    "int": "a whole number in (low, high)",
    "choice": "one of the given texts (stored lower case)",
    "digits": "exactly N decimal digits",
    "name": "one of the names the module (under protocols/) given as argument lists",
}


class Protocol:
    """One row of the registry (see the module docstring)."""

    __slots__ = ("name", "title", "family", "codec", "deframer", "session", "kinds", "address",
                 "options", "line", "history", "radio_type", "default_items", "scan",
                 "broadcast_time", "broadcast_freeze", "clock", "controls", "directed", "params")

    def __init__(self, name, title, family, codec, session, kinds, address, options, line,
                 history=None, radio_type=None, default_items=None, scan=None,
                 broadcast_time=False, broadcast_freeze=False, clock=True, controls=(),
                 deframer=None, directed=False, params=None):
        self.name = name
        self.title = title
        self.family = family
        self.codec = codec
        self.deframer = deframer or codec
        self.session = session
        self.kinds = kinds
        self.address = address
        self.options = options
        self.line = line
        self.history = history or {}
        self.radio_type = radio_type
        self.default_items = default_items
        self.scan = scan
        self.broadcast_time = broadcast_time
        self.broadcast_freeze = broadcast_freeze
        self.clock = clock
        self.controls = controls
        self.directed = directed
        self.params = params

    def depth(self, kind):
        """How many ``kind`` boundaries back the meter keeps its own value (0: none)."""
        return self.history.get(kind, 0)

    def option_names(self):
        return tuple(o[0] for o in self.options)

    def __repr__(self):
        return "Protocol(%r)" % self.name


_PASSWORD = ("password", "hex", 6, "6 hex digits, e.g. 000000")

# archive options that are secrets: left out of an archive export unless asked for
SECRET_OPTIONS = ("password",)
_LEVEL = ("level", "int", (0, 9), "a password level 0 to 9")
# Td <= 500 ms after the request (spec/protocols.md 1.1)
_DLT645_SCAN = {"method": "wildcard", "units": 6, "timeout": 0.6, "parity": ("E",)}
_DLT645_ADDRESS = {"form": "digits", "max": 12, "reserved": ("999999999999",),
                   "reserved_why": "is the DL/T645 broadcast address",
                   "allowed": "use 1 to 12 decimal digits, as printed on the nameplate"}

PROTOCOLS = (
    Protocol(
        "dlt645-2007", "DL/T645-2007", "dlt645", "dlt645.edition2007", "dlt645", ("electricity",),
        _DLT645_ADDRESS,
        (_PASSWORD, ("operator", "hex", 8, "8 hex digits, e.g. 00000000"), _LEVEL),
        (2400, "E", 1.0, 0.5, 0.02),
        history={"hourly": 254, "daily": 62, "monthly": 12, "instant": 3}, radio_type=2,
        default_items=("energy.active.import.total", "energy.active.import.t1",
                       "energy.active.import.t2", "energy.active.import.t3",
                       "energy.active.import.t4", "energy.active.export.total", "voltage.a",
                       "current.a", "power.active.total", "power_factor.total"),
        scan=_DLT645_SCAN, broadcast_time=True, broadcast_freeze=True, controls=("relay",),
        deframer="dlt645.frame", params="dlt645.params"),
    Protocol(
        "dlt645-1997", "DL/T645-1997", "dlt645", "dlt645.edition1997", "dlt645", ("electricity",),
        _DLT645_ADDRESS, (_PASSWORD, _LEVEL), (1200, "E", 1.0, 0.5, 0.02),
        history={"monthly": 2}, radio_type=1,
        default_items=("energy.active.import.total", "energy.active.export.total", "voltage.a",
                       "current.a"),
        scan=_DLT645_SCAN, broadcast_time=True, deframer="dlt645.frame"),
    Protocol(
        "cjt188", "CJ/T188", "cjt188", "cjt188.codec", "cjt188", ("water", "gas", "heat"),
        {"form": "digits", "max": 14,
         "allowed": "use 1 to 14 decimal digits, as printed on the nameplate"},
        (("di_order", "choice", ("le", "be"), "le or be (byte order of the data identifier)"),),
        (2400, "E", 1.5, 0.5, 0.02),
        history={"monthly": 12}, radio_type=0, controls=("valve",), params="cjt188.params",
        # battery meters may answer late: a longer search timeout than DL/T645's
        scan={"method": "wildcard", "units": 7, "timeout": 0.8, "parity": ("E",)}),
    Protocol(
        "mbus", "M-Bus", "mbus", "mbus.codec", "mbus", KINDS,
        {"form": "number_or_id", "max": 250, "id_digits": 8, "id_option": "secondary",
         "allowed": "use a primary address 0 to 250 or an 8-digit secondary address"},
        (("secondary", "digits", 8, "an 8-digit M-Bus secondary address"),),
        (2400, "E", 0.5, 0.1, 0.01),
        history={"monthly": 12},
        # libmbus waits ~0.3 s at 2400 bit/s (the slave answers within 330 bit times + 50 ms)
        scan={"method": "secondary", "units": 8, "timeout": 0.3, "parity": ("E",)}),
    Protocol(
        "modbus", "Modbus RTU", "modbus", "modbus.frame", "modbus", ("electricity",),
        {"form": "number", "min": 1, "max": 247, "allowed": "use a slave id 1 to 247"},
        (("profile", "name", "modbus.profiles", "a register map name such as eastron-sdm120"),),
        (9600, "N", 0.5, 0.05, 0.005),
        scan={"method": "linear", "first": 1, "last": 247, "timeout": 0.2, "parity": ("N", "E")},
        clock=False, deframer="modbus.deframer", directed=True),
)

# codecs that are not meter protocols: the radio module's link
LINKS = (("gdw1376.2", "gdw1376_2.codec"),)

ALIASES = (
    ("dlt645", "dlt645-2007"),
    ("cjt188-2004", "cjt188"),
    ("gdw1376.2-2013", "gdw1376.2"),
    ("gdw1376_2", "gdw1376.2"),
)

_BY_NAME = dict((p.name, p) for p in PROTOCOLS)


def meter_protocols():
    """The names of the meter protocols, in table order."""
    return tuple(p.name for p in PROTOCOLS)


def names():
    """Every codec name ``decode`` takes: the meter protocols and the radio link."""
    return [p.name for p in PROTOCOLS] + [name for name, _ in LINKS]


def get(name):
    """The row of a meter protocol; ValueError naming the choices if unknown."""
    row = _BY_NAME.get(name)
    if row is None:
        raise ValueError("unknown protocol %r: use one of %s" %
                         (name, ", ".join(meter_protocols())))
    return row


def canonical(name):
    """The canonical codec name for ``name`` (or an alias); ValueError if unknown."""
    key = name.strip().lower()
    for alias, target in ALIASES:
        if key == alias:
            key = target
    if key in names():
        return key
    raise ValueError("unknown protocol %r: use one of %s" % (name, ", ".join(names())))


def _import(path):
    pkg = __import__("protocols." + path)
    for part in path.split("."):
        pkg = getattr(pkg, part)
    return pkg


def module(name):
    """The codec module (``decode_dict``) of a codec name (imported on first use)."""
    proto = canonical(name)
    if proto in _BY_NAME:
        return _import(_BY_NAME[proto].codec)
    return _import(dict(LINKS)[proto])


def _deframer_module(name):
    proto = canonical(name)
    return _import(_BY_NAME[proto].deframer if proto in _BY_NAME else dict(LINKS)[proto])


def deframer(name, direction=None):
    """A new ``Deframer`` for a codec name; ``direction`` ("reply" on the
    master's side, "request" on a meter's) is passed to a directed one."""
    cls = _deframer_module(name).Deframer
    proto = canonical(name)
    if direction is not None and proto in _BY_NAME and _BY_NAME[proto].directed:
        return cls(direction)
    return cls()


def addressee(name, frame):
    """The one address a request frame names (as the archive writes it), or
    None when it may be for several (wildcard, broadcast, selection)."""
    return _deframer_module(name).addressee(frame)


def option_choices():
    """{option name: the names it may take} for every option of the ``name`` form
    (e.g. the Modbus register maps a ``profile`` may name)."""
    out = {}
    for p in PROTOCOLS:
        for name, form, arg, _ in p.options:
            if form == "name":
                out[name] = tuple(_import(arg).names())
    return out


def meter_params(name):
    """The module of the parameters a meter of protocol ``name`` takes writes
    of (``names()``, ``allowed(name)``, ``check(name, value)``), or None."""
    row = get(name)
    return _import(row.params) if row.params else None


def scan_protocols(parity):
    """The rows whose meters can be searched on a line with ``parity``, in table order."""
    return tuple(p for p in PROTOCOLS if p.scan and parity in p.scan["parity"])


def by_family(family):
    """The rows sharing one address space on a bus."""
    return tuple(p for p in PROTOCOLS if p.family == family)


def by_radio_type(code):
    """The row whose 1376.2 protocol type code is ``code``, or None."""
    for p in PROTOCOLS:
        if p.radio_type == code:
            return p
    return None


def decode_bytes(name, data):
    """Every frame in captured bytes as a dict; raises the codec's error if none."""
    mod = module(name)
    return [mod.decode_dict(frame) for frame in frames_in(deframer(name), data)]
