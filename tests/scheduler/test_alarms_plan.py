"""The alarms of the default reading plan, end to end on simulated meters:
``valve_fault`` and ``battery_low`` come from the meters' status, which the
default plan reads with the current values (issue 17)."""

from bench.harness import T0, Bench

SCENARIO = {"port": [
    {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000301"},
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000309",
         "faults": [{"type": "stuck_valve"}, {"type": "dead_battery"}]},
        {"protocol": "cjt188", "kind": "gas", "count": 1, "first_address": "00000000000401",
         "faults": [{"type": "dead_battery"}]}]},
    {"name": "bus3", "baud": 2400, "meters": [
        {"protocol": "mbus", "kind": "water", "count": 1, "first_address": "11",
         "faults": [{"type": "dead_battery"}]}]}]}


def alarms(bench, type_):
    return sorted(e["meter"] for e in bench.store.events(type=type_))


def test_the_default_plan_reads_what_valve_fault_and_battery_low_need(tmp_path):
    b = Bench(tmp_path, SCENARIO)                      # every parameter at its default
    try:
        addr = dict((m["address"], m["id"]) for m in b.archive.list())
        stuck = b.sim["00000000000309"]
        stuck.model.valve_command(False)               # someone tried to close it: stuck
        b.start()
        b.run_until(T0 + 20 * 60)                      # past one real-time round (15 min)
        low = [addr["00000000000309"], addr["00000000000401"], addr["11"]]
        assert alarms(b, "battery_low") == sorted(low)
        assert alarms(b, "valve_fault") == [addr["00000000000309"]]
        b.run_until(T0 + 50 * 60)                      # two more rounds: one event per episode
        assert alarms(b, "battery_low") == sorted(low)
        assert alarms(b, "valve_fault") == [addr["00000000000309"]]
    finally:
        b.close()


TAMPER = {"port": [
    {"name": "bus1", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000001"},
        {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000002",
         "faults": [{"type": "cover_open", "from": T0 + 20 * 60, "until": T0 + 22 * 60},
                    {"type": "magnet", "from": T0 + 50 * 60, "until": T0 + 51 * 60}]},
        {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000003",
         "faults": [{"type": "terminal_cover_open", "from": T0 + 20 * 60},
                    {"type": "reverse_power", "from": T0 + 20 * 60}]},
        {"protocol": "dlt645-1997", "count": 1, "first_address": "000000000201"}]}]}


def test_tamper_is_read_on_the_default_plan_and_raised_on_change_with_its_evidence(tmp_path):
    b = Bench(tmp_path, TAMPER)
    try:
        ids = dict((m["address"], m["id"]) for m in b.archive.list())
        b.start()
        b.run_until(T0 + 18 * 60)                      # the first round: baselines, no alarm
        assert b.store.events(type="tamper") == []
        assert b.store.events(type="meter_offline") == []     # the 1997 meter too
        b.run_until(T0 + 48 * 60)                      # cover opened and closed between reads
        got = dict((e["meter"], e["detail"]["evidence"]) for e in b.store.events(type="tamper"))
        assert got[ids["000000000002"]] == [
            {"q": "count.cover_open", "previous": "0", "value": "1"}]
        assert got[ids["000000000003"]] == [
            {"q": "count.terminal_cover_open", "previous": "0", "value": "1"},
            {"q": "tamper.terminal_cover", "value": True},
            {"q": "tamper.reverse_power", "value": True}]
        assert set(got) == {ids["000000000002"], ids["000000000003"]}
        b.run_until(T0 + 78 * 60)                      # a magnet; the open cover stays quiet
        last = b.store.events(type="tamper")[-1]
        assert last["meter"] == ids["000000000002"] and last["severity"] == "critical"
        assert last["detail"]["evidence"] == [
            {"q": "count.magnetic", "previous": "0", "value": "1"}]
        assert len(b.store.events(type="tamper")) == 3
    finally:
        b.close()


def test_the_event_record_read_on_a_plan_joins_the_evidence(tmp_path):
    items = ["energy.active.import.total", "count.cover_open", "tamper.cover.last"]
    b = Bench(tmp_path, {"port": [TAMPER["port"][0]]},
              params={"plan.items.electricity.realtime": items})
    try:
        ids = dict((m["address"], m["id"]) for m in b.archive.list())
        meter = b.sim["000000000002"]
        b.start()
        b.run_until(T0 + 48 * 60)
        (event,) = b.store.events(type="tamper")
        assert event["meter"] == ids["000000000002"]
        opened = meter.model.meter_iso(T0 + 20 * 60)
        assert event["detail"]["evidence"] == [       # the record is new: no previous one
            {"q": "count.cover_open", "previous": "0", "value": "1"}]
        stored = [v["value"] for v in b.store.readings("realtime", meter=ids["000000000002"])
                  if v["q"] == "tamper.cover.last"]
        assert stored and set(stored) == {opened}        # stored once the meter has one
        meter.model.tampered("cover", T0 + 50 * 60, T0 + 51 * 60)     # opened again
        b.run_until(T0 + 63 * 60)
        event = b.store.events(type="tamper")[-1]
        assert event["detail"]["evidence"] == [
            {"q": "count.cover_open", "previous": "1", "value": "2"},
            {"q": "tamper.cover.last", "previous": opened,
             "value": meter.model.meter_iso(T0 + 50 * 60)}]
    finally:
        b.close()
