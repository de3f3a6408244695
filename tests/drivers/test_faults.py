"""Every simulated fault gives the documented error, or a successful retry.

DL/T645-2007 meters on an in-process bus in virtual time with pacing on, so
timeouts and retries cost the virtual seconds they would cost on a wire.
"""

import pytest

from drivers.errors import BadFrameError, NoReplyError, WrongAddressError
from tests.drivers.bench_fixtures import T0, bus_of, exact, reader
from drivers.clock import VirtualClock
from sim.meters import make_meter

Q = ["energy.active.import.total"]


def one(faults, protocol="dlt645-2007", echo=False, **settings):
    clock = VirtualClock(start=T0)
    m = make_meter(protocol, "000000000042", clock, faults=faults, seed=7)
    port, _ = bus_of([m], echo=echo, reply_timeout=0.5, retries=2, **settings)
    return m, port, reader(port, m)


def test_no_reply_every_time_is_a_timeout_after_the_retries():
    m, port, r = one([{"type": "no_reply"}])
    with pytest.raises(NoReplyError) as err:
        r.read(Q)
    assert "no reply within 500 ms after 2 retries" in str(err.value)
    assert port.counters.meter(m.address).timeouts == 3


def test_no_reply_once_then_the_retry_reads():
    m, port, r = one([{"type": "no_reply", "count": 1}])
    assert r.read(Q)[0]["value"] == exact(m.value(Q[0]))
    assert port.counters.port.retries == 1


def test_late_reply_beyond_the_timeout_fails_within_it_succeeds():
    _, _, r = one([{"type": "late_reply", "delay": 2.0}])
    with pytest.raises(NoReplyError):
        r.read(Q)
    m, _, r = one([{"type": "late_reply", "delay": 0.3}])
    assert r.read(Q)[0]["value"] == exact(m.value(Q[0]))


def test_bad_checksum_is_named_with_its_byte():
    _, port, r = one([{"type": "bad_checksum"}])
    with pytest.raises(BadFrameError) as err:
        r.read(Q)
    assert "checksum mismatch at byte 18" in str(err.value)
    assert port.counters.port.checksum_errors == 3


def test_corrupt_byte_then_a_good_retry():
    m, port, r = one([{"type": "corrupt_byte", "count": 1, "index": 15}])
    assert r.read(Q)[0]["value"] == exact(m.value(Q[0]))
    assert port.counters.port.checksum_errors + port.counters.port.framing_errors == 1


def test_noise_before_and_after_is_skipped():
    m, port, r = one([{"type": "noise_before", "bytes": 9}, {"type": "noise_after", "bytes": 5}])
    assert r.read(Q)[0]["value"] == exact(m.value(Q[0]))
    assert port.counters.port.retries == 0


def test_truncated_reply_is_a_bad_frame():
    _, _, r = one([{"type": "truncated", "keep": 12}])
    with pytest.raises(BadFrameError) as err:
        r.read(Q)
    assert "cut short" in str(err.value)


def test_reply_from_a_wrong_address_is_not_taken():
    _, port, r = one([{"type": "wrong_address", "address": "000000000043"}])
    with pytest.raises(WrongAddressError) as err:
        r.read(Q)
    assert "reply from address 000000000043" in str(err.value)


def test_local_echo_on_the_line_is_dropped_by_the_port():
    m, port, r = one([], echo=True)
    assert r.read(Q)[0]["value"] == exact(m.value(Q[0]))


def test_clock_drift_shows_in_the_meters_clock():
    m, _, r = one([{"type": "clock_drift", "ppm": 100000, "from": T0 - 3600}])
    read = r.read_clock()
    assert read == m.value("meter.datetime")
    # 100000 ppm for an hour: the meter's clock is 6 minutes ahead of true time
    import time
    assert read == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0 + 360 + 8 * 3600))


def test_reading_going_backwards_is_what_the_meter_reports():
    m, _, r = one([{"type": "reading_backwards", "amount": "50.00", "at": T0 - 60}])
    got = r.read(Q)[0]["value"]
    assert got == exact(m.value(Q[0]))
    before = exact(m.value(Q[0], T0 - 61))
    assert got < before and before - got <= 50


def test_stuck_valve_reports_fault_and_dead_battery_its_flag():
    clock = VirtualClock(start=T0)
    m = make_meter("cjt188", "00000000000042", clock, kind="water",
                   faults=[{"type": "stuck_valve"}, {"type": "dead_battery"}])
    port, _ = bus_of([m], reply_timeout=1.0)
    r = reader(port, m)
    assert r.valve("close") == "fault"
    recs = dict((x["quantity"], x["value"]) for x in r.read())
    assert recs["battery.low"] is True and recs["valve.state"] == "fault"


def test_a_dead_meter_blocks_its_bus_for_at_most_retries_plus_one_timeouts():
    clock = VirtualClock(start=T0)
    ms = [make_meter("dlt645-2007", "%012d" % k, clock,
                     faults=[{"type": "no_reply"}] if k == 3 else None) for k in range(1, 7)]
    port, line = bus_of(ms, reply_timeout=0.5, retries=2)
    lclock = line.clock
    spent = {}
    for m in ms:
        t = lclock.monotonic()
        try:
            reader(port, m).read(Q)
        except NoReplyError:
            pass
        spent[m.address] = lclock.monotonic() - t
    dead = spent.pop("000000000003")
    request_time = 20 * 11 / 2400.0
    assert dead <= 3 * (0.5 + request_time + port.settings.silence) + 1e-6
    assert max(spent.values()) < 0.5   # the others: one transaction each, unaffected
