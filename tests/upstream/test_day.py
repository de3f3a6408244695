"""A simulated day through the uplink to a master station written from the spec."""

from decimal import Decimal

from bench.harness import T0
from sim.station import utc
from tests.upstream.rig import Rig

SCENARIO = {"port": [
    {"name": "bus1", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 4, "first_address": "000000000001"}]},
    {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 2, "first_address": "00000000000011"}]}]}


def test_every_batch_of_a_day_arrives_without_gap_and_matches_the_meters(tmp_path):
    rig = Rig(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 60},
              uplink={"batch_max": 50})
    try:
        rig.start_uplink()
        b = rig.bench
        b.start()
        b.run_until(T0 + 86400)
        b.stop()
        assert rig.wait_drained(60)
        m = rig.master
        last = b.store.get_state("uplink.seq")
        assert m.wait(lambda: len(m.batches) >= last, 30)
        assert m.seqs() == list(range(1, last + 1)) and m.gaps() == []
        got = dict(((r["meter"], r["q"], r["_kind"], utc(r["ts"])), r) for r in m.records())
        stored = [r for k in ("realtime", "hourly", "daily", "monthly") for r in b.store.readings(k)]
        assert len(got) == len(stored) > 500
        for s in stored:
            r = got[(s["meter"], s["q"], s["kind"], s["ts"])]
            assert r["value"] == s["value"] and r["unit"] == s["unit"] and r["src"] == s["src"]
            assert r["addr"] == b.ids[s["meter"]]["address"]
            if isinstance(s["value"], Decimal):
                assert str(r["value"]) == str(s["value"])      # the meter's own digits
            sim = b.meter_of(s["meter"])
            if s["src"] == "meter":
                frozen = sim.frozen(s["kind"], s["ts"])
                assert r["value"] == Decimal(str(frozen[s["q"]]))
        assert m.states[-1]["state"] == "online" and m.states[-1]["meters"] == 6
        events = m.events()
        assert [e["type"] for e in events][:1] == ["power_up"]
    finally:
        rig.close()
