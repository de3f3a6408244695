"""On-demand reads (召测) go first; broadcast freeze; priorities; status."""

from decimal import Decimal

from drivers.clock import VirtualClock
from scheduler import jobs
from scheduler.jobs import Job, JobQueue
from bench.harness import T0, Bench

SCENARIO = {"port": [{"name": "bus1", "baud": 2400, "meters": [
    {"protocol": "dlt645-2007", "count": 40, "first_address": "000000000001"}]}]}


def test_queue_order_is_priority_then_due_then_arrival():
    q = JobQueue(VirtualClock())
    m = {"id": "m"}
    order = [Job(jobs.PERIODIC, "current", m, "realtime", 1), Job(jobs.CATCHUP, "frozen", m, "daily", 5),
             Job(jobs.FREEZE, "frozen", m, "daily", 9, due=9), Job(jobs.FREEZE, "frozen", m, "hourly", 3, due=3),
             Job(jobs.ONDEMAND, "current", m, "realtime", None)]
    for j in order:
        assert q.put(j)
    assert not q.put(Job(jobs.FREEZE, "frozen", m, "daily", 9, due=9))   # same work: not twice
    got = [q.get() for _ in range(5)]
    assert [(j.priority, j.boundary) for j in got] == [
        (jobs.ONDEMAND, None), (jobs.FREEZE, 3), (jobs.FREEZE, 9), (jobs.CATCHUP, 5),
        (jobs.PERIODIC, 1)]
    assert q.get() is None


def test_read_now_overtakes_the_boundary_reads(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0})
    engine = b.start()
    b.run_until(T0 + 3600 + 61)        # 10:01: 40 hourly freeze reads are queued on the bus
    queue = engine.queues["bus1"]
    assert len(queue) > 20
    last = sorted(b.ids)[-1]
    # the queue's length when the on-demand job is queued and when it is done,
    # taken by the threads that do it: no real time passes between two looks
    at_put, at_done = [], []
    put, run = queue.put, engine.acquirer.run

    def counting_put(job):
        ok = put(job)
        if job.priority == jobs.ONDEMAND:
            at_put.append(len(queue))
        return ok

    def counting_run(job, reader):
        run(job, reader)
        if job.priority == jobs.ONDEMAND:
            at_done.append(len(queue))
    queue.put, engine.acquirer.run = counting_put, counting_run
    b.clock.unregister()
    try:
        result = engine.read_now([last, "m-9999"], ["energy.active.import.total", "voltage.a"])
    finally:
        b.clock.register()
    # served next: at most the job already on the bus finished in between
    assert at_put[0] > 20 and at_done[0] >= at_put[0] - 1
    values = dict((v["q"], v["value"]) for v in result[last]["values"])
    sim = b.meter_of(last)
    assert values["energy.active.import.total"] == Decimal(str(sim.value("energy.active.import.total")))
    assert result["m-9999"]["error"] == "unknown_meter"
    stored = b.store.readings("realtime", last)
    assert set(r["q"] for r in stored) == {"energy.active.import.total", "voltage.a"}
    b.close()


def test_broadcast_freeze_reaches_every_meter(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0,
                                          "plan.broadcast_freeze": ["daily"]})
    b.start()
    b.run_until(T0 + 86400)
    assert b.buses["bus1"].counters.port.broadcasts >= 1
    status = b.engine.status()
    assert status["buses"]["bus1"]["success_rate"] == 1.0
    assert status["outbox"]["depth"] > 0 and status["store"]["bytes"] > 0
    b.close()


def test_real_time_interval_per_port(tmp_path):
    scenario = {"port": [
        {"name": "bus1", "baud": 2400, "meters": [
            {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000001"}]},
        {"name": "bus2", "baud": 2400, "meters": [
            {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000101"}]}]}
    b = Bench(tmp_path, scenario, params={"plan.realtime_interval_min": 15,
                                          "plan.realtime_interval_by_port": "bus2=60"})
    b.start()
    b.run_until(T0 + 6 * 3600)
    per_bus = {}
    for r in b.store.readings("realtime", quantities=["voltage.a"]):
        per_bus.setdefault(b.ids[r["meter"]]["port"], set()).add(r["ts"] - r["ts"] % 900)
    assert len(per_bus["bus1"]) == 4 * len(per_bus["bus2"]) and len(per_bus["bus2"]) == 6
    b.close()


def test_a_restart_does_not_repeat_the_days_clock_check_and_maintenance(tmp_path):
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0})

    def passes():
        return len([r for r in b.store.logs("statistics") if r["message"] == "maintenance"])
    b.start()                                             # 09:00: today's 02:30 / 03:10 are due
    b.run_until(T0 + 600)
    assert passes() == 1
    ntp = []
    b.stop()
    b.start()
    b.engine.timekeeping.ntp = lambda: ntp.append(1)      # the daily clock pass starts with it
    b.run_until(T0 + 3600)
    assert passes() == 1 and ntp == []                    # remembered over the restart
    b.run_until(T0 + 19 * 3600)                           # 04:00 the next day
    assert passes() == 2 and ntp == [1]
    b.close()
