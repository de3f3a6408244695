"""A scheduled broadcast freeze goes out at the boundary, not after the reading
offset; radio meters get it through the module's broadcast (1376.2 AFN 05H F3)."""

from bench.harness import T0, Bench

DAY = 86400
SCENARIO = {"port": [{"name": "bus1", "baud": 9600, "meters": [
    {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000001"}]}],
    "radio": {"name": "radio", "baud": 9600, "delay": 0.5, "meters": [
        {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000031"}]}}


def test_the_daily_broadcast_freeze_goes_out_at_midnight_once(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0,
                                          "plan.hourly": False,
                                          "plan.broadcast_freeze": ["daily"]})
    try:
        b.start()
        midnight = T0 - 9 * 3600 + DAY             # 2026-11-02 00:00 local
        b.run_until(midnight - 60)
        port = b.buses["bus1"].counters.port
        module = b.radio[1].counters.port
        assert port.broadcasts == module.broadcasts == 0     # not at start-up mid-day
        b.run_until(midnight + 60)                  # the daily reads are due at 00:05
        assert port.broadcasts == module.broadcasts == 1
        assert all(m.freeze_schedule for m in b.sim.values())
        assert b.store.readings("daily") == []      # the reads come after the offset
        b.run_until(midnight + 3600)
        assert port.broadcasts == 1 and b.store.readings("daily")
        assert len(b.store.readings("daily")) == len(b.store.readings("daily", "m-0003")) * 3
        b.stop()                                    # a restart does not send it again
        b.start()
        b.run_until(midnight + 2 * 3600)
        assert port.broadcasts == module.broadcasts == 1
    finally:
        b.close()
