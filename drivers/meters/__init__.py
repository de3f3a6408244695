"""Meter sessions: one module per registry ``session`` value, chosen by the registry.

A session is one meter spoken to over a port (a ``drivers.port.Port`` or a
``drivers.radio.RadioChannel``).  Each module here (``dlt645``, ``cjt188``,
``mbus``, ``modbus``) provides:

* ``SESSION``: its session class; every session has ``read(quantities)``,
  ``read_frozen(kind, n, boundary_iso, quantities)``, ``read_clock()``,
  ``clock_writable()`` and ``set_clock(parts)``;
* ``open_session(port, row, address, kind=None, **options)``: the session of
  one meter, the keyword arguments being the row's archive ``options``;
* ``scan(port, row, progress=None, **options)`` where ``row.scan`` (the
  registry's description of the search), filling ``ScanResult.meters``;
* ``broadcast_time(port, row, parts)`` / ``broadcast_freeze(port, row, minute,
  hour, day, month)`` where ``row.broadcast_time`` / ``row.broadcast_freeze``.

Records handed out by sessions carry ``decimal.Decimal`` values (or None and
text for non-numeric quantities): the codecs' exact ``Num`` is converted
once, here (``records.exact``).
"""

import importlib

from drivers.errors import NotSupportedError
from drivers.meters.records import ScanResult
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


def scan(port, protocol, progress=None, timeout=None, **options):
    """Find the meters of one protocol on a bus (a ``records.ScanResult``).

    The search waits ``timeout`` (default: the registry's ``scan`` timeout,
    the protocol's answer time, shorter than a read's) for each answer, with
    the protocol's inter-byte gap and silence; the port's settings are put
    back afterwards."""
    row = row_of(protocol)
    if not row.scan:
        raise NotSupportedError("cannot scan protocol %r" % protocol)
    s = port.settings
    saved = s.reply_timeout, s.byte_gap, s.silence
    s.reply_timeout = row.scan["timeout"] if timeout is None else timeout
    s.byte_gap, s.silence = row.line[3], row.line[4]
    try:
        return module_of(protocol).scan(port, row, progress=progress, timeout=s.reply_timeout,
                                        **options)
    finally:
        s.reply_timeout, s.byte_gap, s.silence = saved


def scan_line(port, protocols, progress=None, **options):
    """Find the meters of every protocol in ``protocols`` on one bus, one
    after the other: one ScanResult with them all (``meters`` says each one's
    protocol).  A meter found by two protocols of one address space (a DL/T645
    meter answering both editions) is kept once, as the first found it."""
    out = ScanResult()
    seen = set()
    for protocol in protocols:
        one = scan(port, protocol, progress=(lambda fixed, p=protocol: progress(p, fixed))
                   if progress else None, **options)
        out.probes += one.probes
        out.duplicates += ["%s %s" % (protocol, d) for d in one.duplicates]
        family = row_of(protocol).family
        for m in one.meters:
            if (family, m["address"]) not in seen:
                seen.add((family, m["address"]))
                out.meters.append(m)
                out.found.append(m["address"])
    return out


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
