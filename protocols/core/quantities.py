"""Canonical quantity names and units, shared by every codec.

The same name and unit appear in the store, the CLI, the LCD and MQTT
(architecture.md, "Quantities").  A codec gives a value in the quantity's unit
when the meter's unit converts to it by a power of ten (Wh -> kWh, L -> m3);
otherwise it keeps the meter's own unit (heat in GJ stays GJ) and says so in
the record's ``unit``: a value is never rounded to fit a unit.

A pattern ending in ``.*`` covers ``.total``, ``.t1`` .. ``.t63`` and plain
indices (``meter.status.3``).  Tariff-indexed names are written ``.t1`` .. ``.t63``; history is not part of
the name: a record says ``period`` (``"settlement:1"``, ``"daily:3"``,
``"hourly:1"``, ``"month:2"``) or, for M-Bus, ``storage``.
"""

# name: (unit, description); a name ending in ".*" covers .total and .t1...
QUANTITIES = (
    ("energy.active.combined.*", "kWh", "combined active energy"),
    ("energy.active.import.*", "kWh", "forward (import) active energy"),
    ("energy.active.export.*", "kWh", "reverse (export) active energy"),
    ("energy.reactive.combined1.*", "kvarh", "combined reactive energy 1"),
    ("energy.reactive.combined2.*", "kvarh", "combined reactive energy 2"),
    ("energy.reactive.q1.*", "kvarh", "reactive energy quadrant I"),
    ("energy.reactive.q2.*", "kvarh", "reactive energy quadrant II"),
    ("energy.reactive.q3.*", "kvarh", "reactive energy quadrant III"),
    ("energy.reactive.q4.*", "kvarh", "reactive energy quadrant IV"),
    ("energy.reactive.import.*", "kvarh", "forward reactive energy"),
    ("energy.reactive.export.*", "kvarh", "reverse reactive energy"),
    ("demand.active.import.max.*", "kW", "forward active maximum demand"),
    ("demand.active.export.max.*", "kW", "reverse active maximum demand"),
    ("demand.active.import.time.*", "", "when the forward active maximum demand occurred"),
    ("demand.active.export.time.*", "", "when the reverse active maximum demand occurred"),
    ("voltage.a", "V", "phase A voltage"),
    ("voltage.b", "V", "phase B voltage"),
    ("voltage.c", "V", "phase C voltage"),
    ("current.a", "A", "phase A current"),
    ("current.b", "A", "phase B current"),
    ("current.c", "A", "phase C current"),
    ("current.n", "A", "neutral current"),
    ("voltage", "V", "voltage (single value, e.g. M-Bus)"),
    ("current", "A", "current (single value, e.g. M-Bus)"),
    ("voltage.ab", "V", "line voltage A-B"),
    ("voltage.bc", "V", "line voltage B-C"),
    ("voltage.ca", "V", "line voltage C-A"),
    ("angle.a", "\u00b0", "phase angle, phase A"),
    ("angle.b", "\u00b0", "phase angle, phase B"),
    ("angle.c", "\u00b0", "phase angle, phase C"),
    ("power.active.total", "kW", "active power, total"),
    ("power.active.a", "kW", "active power, phase A"),
    ("power.active.b", "kW", "active power, phase B"),
    ("power.active.c", "kW", "active power, phase C"),
    ("power.reactive.total", "kvar", "reactive power, total"),
    ("power.reactive.a", "kvar", "reactive power, phase A"),
    ("power.reactive.b", "kvar", "reactive power, phase B"),
    ("power.reactive.c", "kvar", "reactive power, phase C"),
    ("power.apparent.total", "kVA", "apparent power, total"),
    ("power.apparent.a", "kVA", "apparent power, phase A"),
    ("power.apparent.b", "kVA", "apparent power, phase B"),
    ("power.apparent.c", "kVA", "apparent power, phase C"),
    ("power_factor.total", "", "power factor, total"),
    ("power_factor.a", "", "power factor, phase A"),
    ("power_factor.b", "", "power factor, phase B"),
    ("power_factor.c", "", "power factor, phase C"),
    ("frequency", "Hz", "grid frequency"),
    ("volume.*", "m\u00b3", "accumulated volume (total, or per tariff)"),
    ("heat.energy.*", "kWh", "accumulated heat (heating) energy"),
    ("cooling.energy.*", "kWh", "accumulated cooling energy"),
    ("heat.power", "kW", "thermal power"),
    ("flow.rate", "m\u00b3/h", "volume flow"),
    ("temperature.supply", "\u00b0C", "flow (supply) temperature"),
    ("temperature.return", "\u00b0C", "return temperature"),
    ("temperature.difference", "K", "temperature difference"),
    ("temperature.external", "\u00b0C", "external temperature"),
    ("time.operating", "h", "accumulated operating time"),
    ("time.on", "h", "on time"),
    ("mass.total", "t", "accumulated mass"),
    ("mass.flow", "kg/h", "mass flow"),
    ("pressure", "bar", "pressure"),
    ("hca.units", "", "heat-cost allocator units"),
    ("meter.datetime", "", "the meter's clock, ISO 8601 local time"),
    ("meter.date", "", "the meter's date"),
    ("meter.time", "", "the meter's time of day"),
    ("meter.status", "", "status flags"),
    ("meter.status.*", "", "DL/T645 meter run status word 1..7 (hex)"),
    ("meter.report_status", "", "DL/T645 active-report status word (hex)"),
    ("meter.constant.active", "imp/kWh", "active energy meter constant"),
    ("meter.constant.reactive", "imp/kvarh", "reactive energy meter constant"),
    ("meter.user_number", "", "user (customer) number"),
    ("freeze.time", "", "the instant a frozen record was taken"),
    ("settlement.day.*", "", "settlement day and hour (DDThh)"),
    ("settlement.day", "", "settlement day of the month (CJ/T188)"),
    ("freeze.daily.time", "", "the time of day a meter takes its daily freeze (hh:mm)"),
    ("freeze.hourly.interval", "min", "minutes between a meter's hourly freezes"),
    ("temperature.meter", "\u00b0C", "meter internal temperature"),
    ("battery.voltage", "V", "clock battery voltage"),
    ("energy.prepaid.remaining", "kWh", "remaining prepaid energy"),
    ("meter.address", "", "communication address"),
    ("meter.number", "", "meter (serial) number"),
    ("meter.fabrication_no", "", "fabrication number"),
    ("valve.state", "", "open, closed or fault"),
    ("relay.state", "", "open, closed or fault"),
    ("battery.low", "", "battery low flag"),
    ("credit.remaining", "CNY", "remaining prepaid credit"),
    ("credit.purchased.last", "CNY", "amount of the last purchase"),
    ("credit.purchased.total", "CNY", "total amount purchased"),
    ("humidity.relative", "%", "relative humidity"),
    ("meter.firmware_version", "", "firmware version"),
    ("meter.software_version", "", "software version"),
    ("battery.remaining", "d", "remaining battery life"),
    ("rf.level", "dBm", "radio signal level"),
    ("count.cover_open", "", "meter-cover-open count"),
    ("count.terminal_cover_open", "", "terminal-cover-open count"),
    ("count.magnetic", "", "constant magnetic field interference count"),
    ("tamper.cover", "", "meter cover open (flag)"),
    ("tamper.terminal_cover", "", "terminal cover open (flag)"),
    ("tamper.magnetic", "", "magnetic interference (flag)"),
    ("tamper.reverse_power", "", "active power flows in reverse (flag)"),
    ("tamper.cover.last", "", "start of the most recent meter-cover opening (meter time)"),
    ("tamper.terminal_cover.last", "", "start of the most recent terminal-cover opening"),
    ("tamper.magnetic.last", "", "start of the most recent magnetic interference"),
    ("count.relay_trip", "", "relay trip count"),
)

# tamper and theft evidence (防窃电): a "count" grows by one with each
# occurrence (a meter keeps it over power cuts), a "flag" is true while it
# lasts, a "last" names the most recent occurrence (it changes with a new
# one).  Which of them a meter gives is its codec's business.
TAMPER = (
    ("count.cover_open", "count"),
    ("count.terminal_cover_open", "count"),
    ("count.magnetic", "count"),
    ("tamper.cover", "flag"),
    ("tamper.terminal_cover", "flag"),
    ("tamper.magnetic", "flag"),
    ("tamper.reverse_power", "flag"),
    ("tamper.cover.last", "last"),
    ("tamper.terminal_cover.last", "last"),
    ("tamper.magnetic.last", "last"),
)


def unit_of(name):
    """The canonical unit of a quantity name, or None when it is not ours."""
    for pattern, unit, _ in QUANTITIES:
        if pattern == name:
            return unit
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            rest = name[len(pattern) - 1:]
            if rest == "total" or (rest[:1] == "t" and rest[1:].isdigit()) or rest.isdigit():
                return unit
    return None


def names():
    """Every concrete name (wildcards expanded to total and t1..t4)."""
    out = []
    for pattern, _, _ in QUANTITIES:
        if pattern.endswith(".*"):
            base = pattern[:-1]
            out.append(base + "total")
            for t in range(1, 5):
                out.append(base + "t%d" % t)
        else:
            out.append(pattern)
    return out
