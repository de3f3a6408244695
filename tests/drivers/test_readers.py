"""Readers of every protocol against the simulated bench, and scanning buses of 16.

In-process lines in virtual time (the wire timing is kept, the waiting is
not); the meters' clock is frozen so the simulator's oracle gives exactly
the values a read must return.
"""

import pytest

from drivers.meters import scan
from tests.drivers.bench_fixtures import bench, bus_of, exact, meters, port_for, reader

# quantities a meter reports that the model has no oracle for
NO_ORACLE = {"meter.status", "meter.fabrication_no"}
MODBUS = {"modbus": {"profile": "eastron-sdm120"}}


def _check_against_oracle(meter, records):
    assert records, "no values read from %r" % meter
    checked = 0
    for rec in records:
        q = rec["quantity"]
        if q in NO_ORACLE:
            continue
        expect = exact(meter.value(q))
        got = rec["value"]
        if q == "meter.datetime" and meter.protocol == "mbus":
            expect = expect[:16] + ":00"  # type F carries minutes
        assert got == expect, (meter, q, got, expect)
        checked += 1
    return checked


@pytest.mark.parametrize("port_name", ["bus1", "bus2", "bus3", "bus4"])
def test_every_meter_kind_reads_the_simulators_values_exactly(port_name):
    sc, clock, _ = bench()
    p = next(x for x in sc.ports if x["name"] == port_name)
    seen = set()
    for m in p["meters"]:
        key = (m.protocol, m.kind, getattr(m, "register_map", None))
        if key in seen:
            continue
        seen.add(key)
        port = port_for(p["line"], clock, m.protocol)
        options = {"profile": m.register_map} if m.protocol == "modbus" else {}
        assert _check_against_oracle(m, reader(port, m, **options).read()) >= 2


def test_settlement_and_history_values():
    sc, clock, _ = bench()
    bus1 = sc.ports[0]
    m = bus1["meters"][0]
    port = port_for(bus1["line"], clock, m.protocol)
    r = reader(port, m)
    (rec,) = r.read(["energy.active.import.total"], period="settlement:1")
    boundary = m.boundary("monthly", 1)
    assert rec["value"] == exact(m.frozen("monthly", boundary)["energy.active.import.total"])
    daily = r.read(["energy.active.import.total"], period="daily:1")[0]
    assert daily["value"] == exact(m.frozen("daily", m.boundary("daily", 1))["energy.active.import.total"])


def test_radio_meters_are_read_through_the_module():
    from drivers.radio import RadioChannel, RadioModule, node_address
    from drivers.meters import make_session
    sc, clock, _ = bench()
    radio = sc.radio
    radio["module"].loss = 0.0
    port = port_for(radio["line"], clock, "dlt645-2007", reply_timeout=3.0)
    port.settings.baud = 9600
    module = RadioModule(port, meter_timeout=12.0)
    module.init()
    wanted = dict((m.address, m.protocol) for m in radio["meters"])
    added, deleted = module.sync_nodes(wanted)
    nodes = dict((node_address(a), p) for a, p in wanted.items())
    assert sorted(added) == sorted(nodes) and deleted == []
    assert module.nodes() == dict((a, {"dlt645-2007": 2, "cjt188": 0}[p]) for a, p in nodes.items())
    assert module.sync_nodes(wanted) == ([], [])          # already equal: nothing sent
    for m in (radio["meters"][0], radio["meters"][-1]):
        channel = RadioChannel(module, m.address, m.protocol)
        r = make_session(channel, m.protocol, m.address, kind=m.kind)
        assert _check_against_oracle(m, r.read()) >= 1
    # a meter removed from the archive leaves the module's table
    del wanted[radio["meters"][0].address]
    assert module.sync_nodes(wanted) == ([], [node_address(radio["meters"][0].address)])


def _scan_bus(protocol, ms, **options):
    port, _ = bus_of(ms, pacing=False, reply_timeout=0.2, retries=0)
    return scan(port, protocol, **options)


def test_scan_finds_16_dlt645_meters_with_shared_low_bytes():
    # eight pairs share their lowest byte: the search must go one byte deeper
    ms = meters("dlt645-2007", 8, first=1) + meters("dlt645-2007", 8, first=100000001)
    result = _scan_bus("dlt645-2007", ms)
    assert result.found == sorted(m.address for m in ms) and result.duplicates == []


def test_scan_finds_16_dlt645_1997_meters():
    ms = meters("dlt645-1997", 16, first=123400)
    assert _scan_bus("dlt645-1997", ms).found == sorted(m.address for m in ms)


def test_scan_finds_16_cjt188_meters():
    ms = meters("cjt188", 16, first=78330000000001, width=14, kind="water")
    assert _scan_bus("cjt188", ms).found == sorted(m.address for m in ms)
    # the console passes every scan option to every protocol; CJ/T188 ignores the M-Bus ones
    assert _scan_bus("cjt188", ms, secondary=False, timeout=0.5).found == \
        sorted(m.address for m in ms)


def test_scan_finds_16_mbus_meters_by_primary_and_secondary_address():
    ms = meters("mbus", 16, first=1, width=1, kind="heat")
    primary = _scan_bus("mbus", ms, secondary=False)
    # 251 addresses, then one RSP_UD from each meter found for its medium
    assert primary.found == sorted((m.address for m in ms), key=int) and primary.probes == 267
    assert set(m["kind"] for m in primary.meters) == {"heat"}
    secondary = _scan_bus("mbus", ms)               # the registry's search: secondary ids
    assert secondary.found == sorted(m.secondary for m in ms)
    assert secondary.probes < 251 and set(m["kind"] for m in secondary.meters) == {"heat"}


def test_scan_finds_16_modbus_meters():
    ms = meters("modbus", 16, first=1, width=1)
    assert _scan_bus("modbus", ms).found == sorted((m.address for m in ms), key=int)


def test_scan_reports_two_meters_sharing_an_address():
    ms = meters("dlt645-2007", 2, first=5) + meters("dlt645-2007", 1, first=5)
    result = _scan_bus("dlt645-2007", ms)
    assert result.found == ["000000000006"] and result.duplicates == ["000000000005"]


def test_scan_of_17_cjt188_meters_sharing_low_bytes_asks_only_what_the_tree_needs():
    from drivers.clock import VirtualClock
    from sim.meters import make_meter
    from tests.drivers.bench_fixtures import T0
    from tests.gateway.test_commissioning import tree_requests
    clock = VirtualClock(start=T0)
    kinds = ("water", "heat", "gas")
    # four share their lowest byte (10), two of them their two lowest (4310);
    # the other thirteen differ in their lowest byte: the search goes 3 bytes deep
    addresses = ["78330000014310", "78330000024310", "78330000000510", "78330000000610"] + \
        ["783300000%03d%02d" % (k, 20 + k) for k in range(13)]
    assert len(set(addresses)) == 17
    ms = [make_meter("cjt188", a, clock, kind=kinds[k % 3]) for k, a in enumerate(addresses)]
    port, _ = bus_of(ms, pacing=True, retries=0)
    t0 = port.clock.monotonic()
    result = scan(port, "cjt188")
    assert sorted((m["address"], m["kind"]) for m in result.meters) == \
        sorted((m.address, m.kind) for m in ms)
    need = tree_requests(addresses, 7)
    assert need > 101 and port.counters.port.requests == result.probes == need
    # each silent probe waits the search timeout (registry), not the read timeout
    silent = port.counters.port.timeouts
    assert port.clock.monotonic() - t0 < silent * 0.8 + need * 0.2
