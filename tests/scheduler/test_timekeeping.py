"""Keeping time: the concentrator's clock, NTP, and the meters' clocks."""

import socket
import struct
import threading
import time

import pytest

from scheduler.timekeeping import NTP_EPOCH, safe_for_time_sync, sntp_offset
from scheduler.boundaries import Calendar
from bench.harness import T0, Bench

DAY = 86400


def wait_for(condition, limit=60.0):
    """Until ``condition()`` holds (the limit only ends a broken run)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition never came true"
        time.sleep(0.005)


def fake_sntp(offset):
    """A one-shot SNTP server answering with our time + offset; returns 'host:port'."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def serve(clock):
        data, addr = s.recvfrom(512)
        now = clock.time() + offset
        secs = int(now) + NTP_EPOCH
        frac = int((now % 1) * 2 ** 32)
        reply = b"\x1c" + 39 * b"\0" + struct.pack("!II", secs, frac)
        s.sendto(reply, addr)
        s.close()
    return "127.0.0.1:%d" % s.getsockname()[1], serve


def test_sntp_offset_and_clock_set_from_ntp(tmp_path):
    b = Bench(tmp_path, {"port": []})
    engine = b.start()
    # the engine's own daily clock check runs at its first tick, before any
    # server is named: wait for it (this thread stays registered and awake,
    # so virtual time stands still and no further check comes)
    wait_for(lambda: engine.marks.get("clock"))
    server, serve = fake_sntp(5.0)
    threading.Thread(target=serve, args=(b.engine_clock,), daemon=True).start()
    b.params.set("clock.ntp_server", server)
    before = b.engine_clock.time()
    offset = engine.timekeeping.ntp()
    assert abs(offset - 5.0) < 0.5
    assert abs(b.engine_clock.time() - before - 5.0) < 0.5
    (ev,) = b.store.events(type="clock_set")
    assert ev["detail"]["source"].startswith("ntp 127.0.0.1")
    b.close()


def test_set_time_logs_event_and_keeps_drift_visible(tmp_path):
    b = Bench(tmp_path, {"port": []})
    engine = b.start()
    tk = engine.timekeeping
    tk.set_time(b.engine_clock.time() - 2)            # we were 2 s fast
    b.run_until(T0 + DAY)
    tk.set_time(b.engine_clock.time() - 2)            # 2 s fast again a day later
    assert [e["type"] for e in b.store.events(type="clock_set")] == ["clock_set", "clock_set"]
    assert b.store.logs("modification")[0]["message"].startswith("clock set by command: -2.000 s")
    assert tk.drift_ppm() == pytest.approx(23.15, abs=0.1)     # 2 s per day
    assert tk.status()["last_correction"][1] == -2.0
    b.close()


def test_drift_is_shown_only_when_measured_over_hours_since_the_last_step(tmp_path):
    b = Bench(tmp_path, {"port": []})
    engine = b.start()
    tk = engine.timekeeping
    tk.set_time(b.engine_clock.time() + 3600)         # set wrong by an hour: a step
    b.run_until(b.clock.time() + 10)
    tk.set_time(b.engine_clock.time() - 12)           # put right ten seconds later
    assert tk.drift_ppm() is None                     # was 1.2e6 ppm: no drift measured yet
    assert engine.timekeeping.status()["drift_ppm"] is None
    b.run_until(b.clock.time() + DAY)
    tk.set_time(b.engine_clock.time() - 2)
    assert tk.drift_ppm() == pytest.approx(14 / 86410 * 1e6, abs=0.1)   # a day since the step
    b.run_until(b.clock.time() + 10)
    tk.set_time(b.engine_clock.time() - 4000)         # another step
    b.run_until(b.clock.time() + DAY)
    tk.set_time(b.engine_clock.time() - 1)            # a day after the step: 1 s per day
    assert tk.drift_ppm() == pytest.approx(11.57, abs=0.1)
    b.close()


def test_no_time_sync_near_the_hour_or_midnight():
    cal = Calendar()
    base = T0 - 9 * 3600 + 10 * 3600                  # 10:00 local
    assert not safe_for_time_sync(cal, base + 60)     # 10:01
    assert not safe_for_time_sync(cal, base - 60)     # 09:59
    assert safe_for_time_sync(cal, base + 600)        # 10:10
    assert not safe_for_time_sync(cal, base - 10 * 3600 + 120)   # 00:02


def test_meter_clock_deviation_is_reported_and_corrected_by_one_broadcast(tmp_path):
    scenario = {"port": [{"name": "bus1", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000001"},
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000011",
         "clock_offset": 150}]}, {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000021",
         "clock_offset": -900}]}]}
    b = Bench(tmp_path, scenario, params={"plan.realtime_interval_min": 0,
                                          "clock.correct_meters": True})
    b.start()
    b.run_until(T0 + DAY)                              # through 02:30, the daily check
    events = b.store.events(type="meter_clock_deviation")
    off = dict((e["meter"], e["detail"]["deviation_s"]) for e in events)
    fast = [mid for mid, rec in b.ids.items() if rec["address"].endswith(("11", "12"))]
    water = [mid for mid, rec in b.ids.items() if rec["protocol"] == "cjt188"]
    assert sorted(off) == sorted(fast + water)
    assert all(140 <= off[m] <= 160 for m in fast) and -910 <= off[water[0]] <= -890
    bus1 = b.buses["bus1"]
    assert bus1.counters.port.broadcasts == 1          # one broadcast for the bus, that day
    for mid in fast + water:                           # corrected: within a few seconds now
        sim = b.meter_of(mid)
        shown = sim.value("meter.datetime")
        assert shown == b.engine.plan.calendar.iso(b.clock.time()) or \
            abs(Calendar().utc(*map(int, (shown[0:4], shown[5:7], shown[8:10], shown[11:13],
                                           shown[14:16], shown[17:19]))) - b.clock.time()) <= 5
    b.run_until(T0 + 2 * DAY)                          # the next check: all good, no new event
    assert len(b.store.events(type="meter_clock_deviation")) == len(events)
    b.close()
