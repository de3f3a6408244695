"""The radio module driver: losses are retried, an outage is a clear error."""

import pytest

from drivers.clock import VirtualClock
from drivers.errors import NoReplyError
from drivers.radio import RadioChannel, RadioError, RadioModule
from drivers.meters import make_session
from sim.lines import InProcessLine
from sim.meters import make_meter
from sim.radio import RadioModule as SimModule
from tests.drivers.bench_fixtures import T0, exact, port_for

Q = ["energy.active.import.total"]


def setup(loss=0.0, seed=1):
    mclock = VirtualClock(start=T0)
    clock = VirtualClock(start=T0, auto=True)
    sim = SimModule(mclock, delay=0.5, loss=loss, seed=seed, timeout=4)
    meters = [make_meter("dlt645-2007", "%012d" % k, mclock) for k in (1, 2)]
    for m in meters:
        sim.attach(m)
    line = InProcessLine(sim, clock, baud=9600)
    port = port_for(line, clock, "dlt645-2007", reply_timeout=2.0, retries=1)
    module = RadioModule(port, meter_timeout=6.0, meter_retries=2)
    module.init()
    module.sync_nodes(dict((m.address, "dlt645-2007") for m in meters))
    return sim, module, meters, clock


def test_lost_reads_are_retried_and_counted():
    sim, module, meters, _ = setup(loss=0.5, seed=3)
    m = meters[0]
    r = make_session(RadioChannel(module, m.address, m.protocol), m.protocol, m.address)
    values = [r.read(Q)[0]["value"] for _ in range(6)]
    assert all(v == exact(m.value(Q[0])) for v in values)
    c = module.counters.meter(m.address)
    assert c.timeouts >= 1 and c.retries == c.timeouts and sim.counters["losses"] >= 1


def test_radio_outage_is_a_no_reply_from_the_module():
    sim, module, meters, _ = setup()
    sim.outage(True)
    m = meters[0]
    r = make_session(RadioChannel(module, m.address, m.protocol), m.protocol, m.address)
    with pytest.raises(NoReplyError) as err:
        r.read(Q)
    assert "no reply" in str(err.value)
    sim.outage(False)
    assert r.read(Q)[0]["value"] == exact(m.value(Q[0]))


def test_a_meter_missing_from_the_node_table_is_denied():
    sim, module, meters, _ = setup()
    module.sync_nodes({meters[0].address: "dlt645-2007"})  # meter 2 leaves the table
    m = meters[1]
    r = make_session(RadioChannel(module, m.address, m.protocol), m.protocol, m.address)
    with pytest.raises(RadioError) as err:
        r.read(Q)
    assert "module denied" in str(err.value)
