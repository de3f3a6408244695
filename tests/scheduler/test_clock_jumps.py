"""Clock jumps of +/- 1 h neither skip nor double a boundary (Asia/Shanghai: no DST).

The concentrator's clock (a ShiftedClock) goes wrong and is set right while
the meters keep true time.  DL/T645-2007 meters freeze hourly by themselves,
so every hour must end up stored once with exactly the meter's record;
CJ/T188 meters have no hourly record, so their hours are read once each, as
the concentrator's clock saw them.
"""

from decimal import Decimal

import pytest

from bench.harness import T0, Bench

HOUR = 3600
SCENARIO = {"port": [
    {"name": "bus1", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000001"}]},
    {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000011"}]}]}


@pytest.mark.parametrize("first_jump", [+HOUR, -HOUR])
def test_jumps_neither_skip_nor_double(tmp_path, first_jump):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0})
    b.start()
    b.run_until(T0 + 5 * HOUR + 1200)              # 14:20: the clock goes wrong ...
    b.engine_clock.set(b.engine_clock.time() + first_jump)
    b.run_until(T0 + 11 * HOUR + 1200)             # 20:20: ... and is set right
    b.engine_clock.set(b.clock.time())
    b.run_until(T0 + 2 * 86400)
    b.stop()
    hours = list(range(T0 + HOUR, T0 + 2 * 86400 - HOUR, HOUR))
    days = [T0 - 9 * HOUR + 86400]
    for mid, rec in b.ids.items():
        sim = b.meter_of(mid)
        for kind, boundaries in (("hourly", hours), ("daily", days)):
            rows = b.store.readings(kind, mid)
            keys = [(r["ts"], r["q"]) for r in rows]
            assert len(keys) == len(set(keys))                      # nothing doubled
            main = "volume.total" if rec["protocol"] == "cjt188" else "energy.active.import.total"
            have = dict((r["ts"], r) for r in rows if r["q"] == main)
            missing = [x for x in boundaries if x not in have]
            assert not missing, (mid, kind, missing[:3])             # nothing skipped
            if rec["protocol"] == "dlt645-2007":
                for bnd in boundaries:
                    assert have[bnd]["value"] == Decimal(str(sim.frozen(kind, bnd)[main]))
                    assert have[bnd]["src"] in ("meter", "catchup")
    assert b.store.events(type="catchup_failed") == []
    b.close()
