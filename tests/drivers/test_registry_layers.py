"""Walk the protocol registry: drivers, scheduler and the simulator agree with it."""

import importlib
import inspect

import pytest

from drivers import meters as sessions
from drivers.clock import VirtualClock
from drivers.radio import RadioModule, protocol_type
from protocols import registry
from scheduler.frozen import depth
from sim.meters import METER_CLASSES, make_meter
from tests.drivers.bench_fixtures import T0, bus_of, port_for

ROWS = registry.PROTOCOLS
IDS = [r.name for r in ROWS]
METHODS = ("read", "read_frozen", "read_clock", "clock_writable", "set_clock")
KIND_ADDRESS = {"digits": lambda row: "1".zfill(row.address["max"]),
                "number_or_id": lambda row: "1", "number": lambda row: "1"}


def _meter(row):
    address = KIND_ADDRESS[row.address["form"]](row)
    kind = next(k for k in row.kinds if k in METER_CLASSES[row.name].KINDS)
    return make_meter(row.name, address, VirtualClock(start=T0), kind=kind)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_every_row_has_a_session_module_with_its_class_and_scan(row):
    mod = importlib.import_module("drivers.meters." + row.session)
    assert sessions.module_of(row.name) is mod
    assert inspect.isclass(mod.SESSION)
    assert all(callable(getattr(mod.SESSION, m, None)) for m in METHODS)
    assert callable(getattr(mod, "scan", None)) == bool(row.scan)
    assert callable(getattr(mod, "broadcast_time", None)) >= row.broadcast_time
    assert callable(getattr(mod, "broadcast_freeze", None)) >= row.broadcast_freeze


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_line_defaults_of_a_made_session_are_the_rows(row):
    m = _meter(row)
    port, _ = bus_of([m], baud=row.line[0])
    s = sessions.default_settings(row.name)
    assert (s.baud, s.parity, s.reply_timeout, s.byte_gap, s.silence) == row.line
    session = sessions.make_session(port, row.name, m.address, kind=m.kind,
                                    **m.archive_options())
    assert isinstance(session, sessions.module_of(row.name).SESSION)
    assert session.protocol == row.name


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_every_option_is_a_session_keyword(row):
    m = _meter(row)
    port, _ = bus_of([m])
    samples = {"hex": lambda n: "0" * n, "int": lambda bounds: bounds[1],
               "choice": lambda choices: choices[0], "digits": lambda n: "1".zfill(n),
               "name": lambda _: "generic"}
    for name, form, arg, _ in row.options:
        options = {name: samples[form](arg)}
        record = {"protocol": row.name, "address": m.address, "options": options}
        assert sessions.session_options(record) == options
        sessions.make_session(port, row.name, m.address, kind=m.kind, **options)
    with pytest.raises(Exception):
        sessions.make_session(port, row.name, m.address, no_such_option=1)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_history_depth_of_the_scheduler_is_the_rows(row):
    for kind in ("hourly", "daily", "monthly"):
        assert depth(row.name, kind) == row.history.get(kind, 0)


def test_every_row_has_a_simulated_meter_class():
    assert sorted(METER_CLASSES) == sorted(registry.meter_protocols())
    for row in ROWS:
        assert METER_CLASSES[row.name].protocol == row.name


@pytest.mark.parametrize("row", [r for r in ROWS if r.radio_type is not None],
                         ids=[r.name for r in ROWS if r.radio_type is not None])
def test_radio_types_round_trip_through_the_radio_driver_and_sim(row):
    from sim.bus import family_of
    from sim.lines import InProcessLine
    from sim.radio import RadioModule as SimModule
    mclock = VirtualClock(start=T0)
    m = _meter(row)
    sim = SimModule(mclock)
    sim.attach(m)
    clock = VirtualClock(start=T0, auto=True)
    line = InProcessLine(sim, clock, baud=9600, pacing=False)
    module = RadioModule(port_for(line, clock, row.name, reply_timeout=2.0))
    added, _ = module.sync_nodes({m.address: row.name})
    assert added and module.nodes() == {added[0]: protocol_type(row.name)}
    assert registry.by_radio_type(protocol_type(row.name)) is row
    assert [n[1] for n in sim.nodes] == [row.radio_type]
    assert family_of(row.name) == row.family


def test_protocols_without_radio_type_are_refused_by_the_radio_driver():
    for row in ROWS:
        if row.radio_type is None:
            with pytest.raises(Exception):
                protocol_type(row.name)
