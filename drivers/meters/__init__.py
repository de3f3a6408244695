"""Meter sessions: one module per registry ``session`` value, chosen by the registry.

A session is one meter spoken to over a port (a ``drivers.port.Port`` or a
``drivers.radio.RadioChannel``).  Each module here (``dlt645``, ``cjt188``,
``mbus``, ``modbus``) provides:

* ``SESSION``: its session class; every session has ``read(quantities)``,
  ``read_frozen(kind, n, boundary_iso, quantities)``, ``read_clock()``,
  ``clock_writable()`` and ``set_clock(parts)``;
* ``open_session(port, row, address, kind=None, **options)``: the session of
  one meter, the keyword arguments being the row's archive ``options``;
* ``scan(port, row, progress=None, **options)`` where ``row.scan``;
* ``broadcast_time(port, row, parts)`` / ``broadcast_freeze(port, row, minute,
  hour, day, month)`` where ``row.broadcast_time`` / ``row.broadcast_freeze``.

Records handed out by sessions carry ``decimal.Decimal`` values (or None and
text for non-numeric quantities): the codecs' exact ``Num`` is converted
once, here (``records.exact``).
"""

import importlib

from drivers.errors import NotSupportedError
from drivers.port import PortSettings
from protocols import registry


def row_of(protocol):
    """The registry row of a meter protocol; NotSupportedError naming the choices."""
    try:
        return registry.get(protocol)
    except ValueError as err:
        raise NotSupportedError(str(err))


_MODULES = {}       # session name -> module: imported once, not looked up per meter


def module_of(protocol):
    """The session module of a protocol (``drivers.meters.<row.session>``)."""
    session = row_of(protocol).session
    mod = _MODULES.get(session)
    if mod is None:
        mod = _MODULES[session] = importlib.import_module("drivers.meters." + session)
    return mod


def default_settings(protocol, **overrides):
    """PortSettings with the protocol's line defaults (``row.line``); overrides
    that are not None win."""
    baud, parity, timeout, gap, silence = row_of(protocol).line
    s = PortSettings(baud=baud, parity=parity, reply_timeout=timeout, byte_gap=gap,
                     silence=silence)
    for key, value in overrides.items():
        if value is not None:
            setattr(s, key, value)
    return s


def make_session(port, protocol, address, kind=None, **options):
    """The session of one meter; ``options`` are the protocol's archive options."""
    row = row_of(protocol)
    unknown = [k for k in options if k not in row.option_names()] if options else ()
    if unknown:
        raise NotSupportedError("%s takes no option %s (its options: %s)" %
                                (protocol, ", ".join(sorted(unknown)),
                                 ", ".join(row.option_names()) or "none"))
    return module_of(protocol).open_session(port, row, address, kind=kind, **options)


def session_options(meter):
    """The session keyword arguments of an archive meter record: its options
    that the protocol's registry row names."""
    opts = meter.get("options") or {}
    names = row_of(meter["protocol"]).option_names()
    return dict((k, opts[k]) for k in names if opts.get(k) not in (None, ""))


def scan(port, protocol, progress=None, **options):
    """Find the meters on a bus (a ``records.ScanResult``)."""
    row = row_of(protocol)
    if not row.scan:
        raise NotSupportedError("cannot scan protocol %r" % protocol)
    return module_of(protocol).scan(port, row, progress=progress, **options)


def broadcast_time(port, protocol, parts):
    """Set the clocks of every meter on a bus at once (where ``row.broadcast_time``)."""
    row = row_of(protocol)
    if not row.broadcast_time:
        raise NotSupportedError("%s has no broadcast time sync" % protocol)
    module_of(protocol).broadcast_time(port, row, parts)


def broadcast_freeze(port, protocol, minute=None, hour=None, day=None, month=None):
    """Freeze every meter on a bus at once (where ``row.broadcast_freeze``)."""
    row = row_of(protocol)
    if not row.broadcast_freeze:
        raise NotSupportedError("%s has no broadcast freeze" % protocol)
    module_of(protocol).broadcast_freeze(port, row, minute, hour, day, month)
