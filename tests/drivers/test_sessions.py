"""Meter sessions on the simulator: Modbus through the Port, the archive's
``level`` on the wire, replies decoded once, Decimal records."""

from decimal import Decimal

import pytest

from drivers.errors import DriverError
from drivers.meters import make_session, session_options
from protocols.dlt645 import edition2007
from protocols.dlt645.frame import decode_frame
from tests.drivers.bench_fixtures import bus_of, exact, meters


def _logged(port):
    trace, log = [], []
    port.trace = lambda p, direction, data, t: trace.append((direction, bytes(data)))
    port.frame_log = lambda p, frames: log.extend((d, bytes(b)) for d, b, _ in frames)
    return trace, log


def test_a_modbus_read_goes_through_the_port_traced_and_counted_exactly():
    (m,) = meters("modbus", 1, width=1)
    port, _ = bus_of([m], retries=0)
    trace, log = _logged(port)
    session = make_session(port, "modbus", m.address, profile=m.register_map)
    recs = session.read(["voltage.a", "energy.active.import.total"])
    assert [r["value"] for r in recs] == [exact(m.value(r["quantity"])) for r in recs]
    tx = [b for d, b in log if d == "tx"]
    rx = b"".join(b for d, b in log if d == "rx")
    assert tx and tx == [b for d, b in trace if d == "tx"]
    assert all(b[0] == 1 and b[1] in (3, 4) for b in tx)           # 03H/04H requests to slave 1
    c = port.counters.snapshot()["port"]
    assert c["requests"] == len(tx) and c["replies"] == len(tx) and c["retries"] == 0
    assert c["bytes_out"] == sum(len(b) for b in tx) and c["bytes_in"] == len(rx)


def test_modbus_retries_are_the_ports():
    (m,) = meters("modbus", 1, width=1, faults=[{"type": "no_reply", "count": 1}])
    port, _ = bus_of([m], retries=2)
    _, log = _logged(port)
    make_session(port, "modbus", m.address, profile=m.register_map).read(["voltage.a"])
    c = port.counters.snapshot()["port"]
    assert (c["requests"], c["replies"], c["retries"], c["timeouts"]) == (2, 1, 1, 1)
    assert [d for d, _ in log].count("tx") == 2


def test_modbus_no_reply_is_the_ports_error():
    (m,) = meters("modbus", 1, width=1, faults=[{"type": "no_reply"}])
    port, _ = bus_of([m], retries=1)
    with pytest.raises(DriverError) as err:
        make_session(port, "modbus", m.address, profile=m.register_map).read(["voltage.a"])
    assert "after 1 retries" in str(err.value) and err.value.port == port.name


def test_the_archive_level_reaches_the_write_frame():
    (m,) = meters("dlt645-2007", 1)
    port, _ = bus_of([m])
    trace, _ = _logged(port)
    record = {"protocol": "dlt645-2007", "address": m.address,
              "options": {"password": "123456", "level": 4}}
    session = make_session(port, "dlt645-2007", m.address, **session_options(record))
    try:
        session.set_clock((2026, 11, 18, 10, 20, 30))
    except DriverError:
        pass                                    # the meter may refuse; the wire is what counts
    writes = [edition2007.decode_dict(b) for d, b in trace
              if d == "tx" and decode_frame(b).function == 0x14]
    assert writes and all(w["password_level"] == 4 for w in writes)


def test_dlt645_decodes_each_reply_once(monkeypatch):
    (m,) = meters("dlt645-2007", 1)
    port, _ = bus_of([m])
    from drivers.meters import dlt645
    calls = []
    real = dlt645.decode_frame
    monkeypatch.setattr(dlt645, "decode_frame", lambda f: calls.append(f) or real(f))
    make_session(port, "dlt645-2007", m.address).read(["energy.active.import.total"])
    assert len(calls) == port.counters.snapshot()["port"]["replies"] == 1


@pytest.mark.parametrize("protocol,address,kind", [
    ("dlt645-2007", "000000000001", None), ("dlt645-1997", "000000000001", None),
    ("cjt188", "00000000000001", "water"), ("mbus", "1", "heat"), ("modbus", "1", None)])
def test_records_leave_the_sessions_as_decimals(protocol, address, kind):
    from sim.meters import make_meter
    from tests.drivers.bench_fixtures import clocks
    m = make_meter(protocol, address, clocks()[1], **({"kind": kind} if kind else {}))
    port, _ = bus_of([m])
    options = m.archive_options()
    recs = make_session(port, protocol, m.address, kind=m.kind, **options).read()
    numbers = [r["value"] for r in recs if not isinstance(r["value"], (str, type(None), bool))]
    assert numbers and all(isinstance(v, (Decimal, int)) for v in numbers)
    assert not any(type(v).__name__ == "Num" for v in numbers)
