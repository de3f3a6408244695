"""The reading plan, from the parameters (``plan.*``, ``freeze.*``, ``time.*``).

What is read when: real-time values every ``plan.realtime_interval_min``
minutes (0 = off), frozen values after each hourly, daily and monthly
boundary plus its start offset (``plan.daily_offset_min``, default 5: the
Q/GDW habit of reading daily values from 00:05), and the quantities per meter
kind and reading kind (``plan.items.<meter kind>.<reading kind>``).
"""

from scheduler.boundaries import Calendar

FROZEN = ("hourly", "daily", "monthly")
class Plan:
    """A snapshot of the plan parameters (rebuilt when parameters change)."""

    def __init__(self, params):
        g = params.get
        self.realtime_interval = int(g("plan.realtime_interval_min")) * 60
        self.realtime_by_port = {}
        for pair in filter(None, str(g("plan.realtime_interval_by_port") or "").split(",")):
            port, _, minutes = pair.partition("=")
            self.realtime_by_port[port.strip()] = int(minutes) * 60
        self.enabled = dict((k, bool(g("plan.%s" % k))) for k in FROZEN)
        self.offset = dict((k, int(g("plan.%s_offset_min" % k)) * 60) for k in FROZEN)
        self.broadcast_freeze = list(g("plan.broadcast_freeze") or [])
        self.calendar = Calendar(int(g("time.tz_offset_min")) * 60, int(g("freeze.settlement_day")),
                                 int(g("freeze.settlement_hour")))
        self.items = {}
        for kind in ("electricity", "water", "gas", "heat"):
            for which in ("realtime",) + FROZEN:
                self.items[(kind, which)] = list(g("plan.items.%s.%s" % (kind, which)) or [])
        self.catchup_window = {"hourly": int(g("catchup.hourly_hours")) * 3600,
                               "daily": int(g("catchup.daily_days")) * 86400,
                               "monthly": int(g("catchup.monthly_months")) * 31 * 86400}
        self.recheck_days = int(g("catchup.recheck_days"))
        self.catchup_attempts = int(g("catchup.attempts"))
        hh, mm = str(g("clock.check_time")).split(":")
        self.clock_check = int(hh) * 3600 + int(mm) * 60

    def realtime_for(self, bus):
        """Seconds between real-time reads on a bus (0 = off)."""
        return self.realtime_by_port.get(bus, self.realtime_interval)

    def quantities(self, meter, which):
        return self.items.get((meter.get("kind", "electricity"), which), [])

    def due(self, kind, boundary):
        """When the frozen reads of ``boundary`` start."""
        return boundary + self.offset[kind]
