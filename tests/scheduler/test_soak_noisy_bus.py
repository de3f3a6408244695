"""Soak (`make soak`): a week in virtual time with a bus whose noise comes and
goes (a chattering meter, a transceiver stuck now and then).  Each noisy
episode raises one ``bus_unusable`` and one ``bus_usable_again``; the noisy
bus reads again between episodes; the quiet bus is read all along; queues
stay bounded and the engine's threads do not multiply."""

import threading

import pytest

from bench.harness import T0, Bench

SCENARIO = {"port": [
    {"name": "bus1", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 3, "first_address": "000000000001"}]},
    {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000101"}]}]}
DAYS = 7
EPISODE_H = 6               # 6 h of noise, 6 h of quiet


@pytest.mark.soak
def test_a_week_of_noise_coming_and_going(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 15})
    noisy = next(p["line"] for p in b.sc.ports if p["name"] == "bus1")
    engine = b.start()
    threads = threading.active_count()
    on_bus1 = sorted(mid for mid, rec in b.ids.items() if rec["port"] == "bus1")
    episodes = 0
    for k in range(DAYS * 24 // EPISODE_H):
        start = T0 + k * EPISODE_H * 3600
        noisy.engine.set_noise(240 if k % 2 == 0 else 0, b.clock.monotonic())
        episodes += k % 2 == 0
        b.run_until(start + EPISODE_H * 3600)
        assert max(len(q) for q in engine.queues.values()) <= 5, k
        assert threading.active_count() <= threads + 2, k
        if k % 2 == 1:      # after a quiet spell the noisy bus's meters have new values
            for mid in on_bus1:
                got = [r for r in b.store.readings("realtime", mid)
                       if r["ts"] >= start + 3600]
                assert got, (k, mid)
    assert len(b.store.events(type="bus_unusable")) == episodes
    assert len(b.store.events(type="bus_usable_again")) == episodes
    assert b.buses["bus2"].counters.port.success_rate() > 0.95
    assert b.buses["bus1"].counters.port.snapshot()["noise_bytes"] > 0
    b.close()
