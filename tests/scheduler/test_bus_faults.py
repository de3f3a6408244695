"""A bus with noise on it, in virtual time: its jobs end (failing), its queue
does not grow for good, its meters and the other bus keep being polled; it
raises ``bus_unusable`` once and ``bus_usable_again`` when the noise stops.
The engine's watchdog question (``stalled``) and its stop are bounded."""

import threading
import time

from bench.harness import T0, Bench
from scheduler import bus_health

SCENARIO = {"port": [
    {"name": "bus1", "baud": 2400, "noise": 240, "meters": [
        {"protocol": "dlt645-2007", "count": 3, "first_address": "000000000001"}]},
    {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000101"}]}]}


def events(b, type_):
    return b.store.events(type=type_)


def test_a_noisy_bus_fails_its_jobs_raises_bus_unusable_and_recovers(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 15})
    noisy = next(p["line"] for p in b.sc.ports if p["name"] == "bus1")
    engine = b.start()
    b.run_until(T0 + 2 * 3600)
    port = b.buses["bus1"].counters.port.snapshot()
    assert port["replies"] == 0 and port["frame_deadlines"] > 0 and port["noise_bytes"] > 0
    assert port["last_error"].startswith("noise: ") and "without a frame within" in \
        port["last_error"]
    # every meter of the noisy bus was tried; the queue does not only grow
    per_meter = b.buses["bus1"].counters.meters()
    assert len(per_meter) == 3 and all(c.requests > 0 for c in per_meter.values())
    assert len(engine.queues["bus1"]) <= 3
    # the other bus is read all along
    assert b.buses["bus2"].counters.port.success_rate() > 0.9
    for mid in (mid for mid, rec in b.ids.items() if rec["port"] == "bus2"):
        assert len(set(r["ts"] for r in b.store.readings("realtime", mid))) >= 8   # 2 h / 15 min
    raised = events(b, "bus_unusable")
    assert len(raised) == 1 and raised[0]["detail"]["bus"] == "bus1"
    assert raised[0]["detail"]["jobs"] == bus_health.BUS_UNUSABLE_AFTER
    assert raised[0]["detail"]["error"].startswith("noise: ")
    assert engine.status()["buses"]["bus1"]["unusable"] is True
    assert engine.status()["buses"]["bus2"]["unusable"] is False
    # the noise stops: the bus reads again and says so once
    noisy.engine.set_noise(0, b.clock.monotonic())
    b.run_until(T0 + 3 * 3600)
    assert b.buses["bus1"].counters.port.replies > 0
    back = events(b, "bus_usable_again")
    assert len(back) == 1 and back[0]["detail"] == {"bus": "bus1"}
    assert engine.status()["buses"]["bus1"]["unusable"] is False
    assert len(events(b, "bus_unusable")) == 1
    b.close()


class Hung:
    """A transport stuck in its read (a driver that ignores its timeout)
    until ``release`` is set; real threads, real time."""

    def __init__(self):
        self.is_open = False
        self.reading = threading.Event()
        self.release = threading.Event()

    def open(self):
        self.is_open = True

    def close(self):
        self.is_open = False

    def write(self, data):
        pass

    def flush_input(self):
        pass

    def read(self, max_bytes, timeout):
        self.reading.set()
        self.release.wait(60)
        return b""


def test_a_bus_stuck_in_a_transaction_is_stalled_and_stop_is_bounded(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0}, real=True)
    hung = Hung()
    b.buses["bus1"].transport = hung
    engine = b.start()
    assert engine.stalled(60.0) == []
    on = dict((port, sorted(mid for mid, rec in b.ids.items() if rec["port"] == port))
              for port in ("bus1", "bus2"))
    assert "values" in engine.read_now(on["bus2"][:1])[on["bus2"][0]]     # bus2 answers
    threading.Thread(target=engine.read_now, args=(on["bus1"][:1], None, 60), daemon=True).start()
    assert hung.reading.wait(30)
    # hung: no transaction finished or begun since; a bound of 0.2 s is passed
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not engine.stalled(0.2):
        time.sleep(0.05)
    assert engine.stalled(0.2) == ["bus bus1"]
    assert engine.stalled(3600.0) == []
    t0 = time.monotonic()
    b.stop()
    assert time.monotonic() - t0 < 10          # engine.STOP_TIMEOUT (5 s), not 30 s per bus
    hung.release.set()
    b.close()
