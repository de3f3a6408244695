"""The parameters, declared: one row per key (key, type, default, constraint, description).

Adding a parameter is adding one row to ``PARAMS`` (or to ``EXTRA`` below,
where the uplink rows go).  Types and how values are stored in JSON:

=========  ==========================================  =========================
type       constraint                                  stored as
=========  ==========================================  =========================
int        ``Range(lo, hi)``                           JSON integer
decimal    ``Range(lo, hi, lo_open=True)``             string of digits ("5")
bool       None                                        true / false
str        ``Choices(...)`` or ``Regex(pattern, ..)``  string
list       ``Items(...)``: choices or quantity names   array of strings
time       None                                        "HH:MM"
=========  ==========================================  =========================

Lists of quantity names are checked with the ``quantity_unit`` callable the
caller passes (``protocols.core.quantities.unit_of``): ``store/`` may not import
``protocols/``.  Without it only the form of a name is checked.
"""

import collections
import re

from store.documents.coerce import decimal_text, to_bool, to_decimal, to_int, to_list, to_text, to_time

Param = collections.namedtuple("Param", "key type default constraint description")
TYPES = ("int", "decimal", "bool", "str", "list", "time")
_QUANTITY_FORM = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\Z")


class Range:
    """lo <= value <= hi (``lo_open``: lo < value)."""

    def __init__(self, lo=None, hi=None, lo_open=False):
        self.lo, self.hi, self.lo_open = lo, hi, lo_open

    def check(self, value):
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return self.hi is None or value <= self.hi

    def text(self):
        if self.lo_open and self.hi is None:
            return "> %s" % self.lo
        if self.hi is None:
            return ">= %s" % self.lo
        return "%s..%s" % (self.lo, self.hi)


class Choices:
    def __init__(self, *values):
        self.values = values

    def text(self):
        return "one of %s" % ", ".join(v if v else '"" (empty)' for v in self.values)


class Regex:
    def __init__(self, pattern, text):
        self.pattern, self.allowed = re.compile(pattern), text

    def text(self):
        return self.allowed


class Items:
    """Items of a list: one of ``choices``, or quantity names when ``choices`` is None."""

    def __init__(self, *choices):
        self.choices = choices or None

    def text(self):
        if self.choices:
            return "a list of %s (a,b or a JSON array; empty for none)" % ", ".join(self.choices)
        return "a list of quantity names such as energy.active.import.total"


_HOST = Regex(r"(|[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:[0-9]{1,5})?)\Z",
              "a host name or address (optionally :port), or empty for none")
_DAYS = Range(1, 36600)

_E_DAY = ["energy.active.import.total"] + ["energy.active.import.t%d" % t for t in (1, 2, 3, 4)] \
    + ["energy.active.export.total"]
_HEAT = ["heat.energy.total", "volume.total"]
# what the valve_fault and battery_low alarms need (the meters' status, no extra request
# where the current-data answer carries it: CJ/T188 ST, the M-Bus status byte)
_STATUS = ["valve.state", "battery.low"]
# what the tamper alarm needs (防窃电): the meters' counters and status flags (DL/T645-2007:
# three counters and one read of the run status words; a meter without one skips it)
_TAMPER = ["count.cover_open", "count.terminal_cover_open", "count.magnetic", "tamper.cover",
           "tamper.terminal_cover", "tamper.reverse_power"]
# kind: {which: default quantities}
ITEMS = (
    ("electricity", (("realtime", ["energy.active.import.total", "voltage.a", "current.a",
                                   "power.active.total"] + _TAMPER),
                     ("hourly", ["energy.active.import.total", "energy.active.export.total"]),
                     ("daily", _E_DAY), ("monthly", _E_DAY))),
    ("water", (("realtime", ["volume.total"] + _STATUS),)
     + tuple((w, ["volume.total"]) for w in ("hourly", "daily", "monthly"))),
    ("gas", (("realtime", ["volume.total"] + _STATUS),)
     + tuple((w, ["volume.total"]) for w in ("hourly", "daily", "monthly"))),
    ("heat", (("realtime", _HEAT + ["heat.power", "flow.rate", "temperature.supply",
                                    "temperature.return"] + _STATUS),
              ("hourly", _HEAT), ("daily", _HEAT), ("monthly", _HEAT))),
)

P = Param
PARAMS = (
    P("plan.realtime_interval_min", "int", 15, Range(0, 1440), "real-time reading every N minutes; 0 = off"),
    P("plan.realtime_interval_by_port", "str", "", Regex(
        r"(|[A-Za-z0-9_.-]+=[0-9]{1,4}(,[A-Za-z0-9_.-]+=[0-9]{1,4})*)\Z",
        "port=minutes pairs separated by commas (e.g. bus4=60,radio=240), or empty"),
      "per-port real-time interval overriding plan.realtime_interval_min (0 = off)"),
    P("plan.hourly", "bool", True, None, "freeze hourly values"),
    P("plan.daily", "bool", True, None, "freeze daily values"),
    P("plan.monthly", "bool", True, None, "freeze monthly (settlement-day) values"),
    P("plan.hourly_offset_min", "int", 1, Range(0, 59), "start hourly reading N minutes after the hour"),
    P("plan.daily_offset_min", "int", 5, Range(0, 720), "start daily reading N minutes after midnight"),
    P("plan.monthly_offset_min", "int", 10, Range(0, 1440), "start monthly reading N minutes after the settlement boundary"),
    P("plan.broadcast_freeze", "list", [], Items("hourly", "daily", "monthly"), "freezes announced by a broadcast freeze command"),
) + tuple(
    P("plan.items.%s.%s" % (kind, which), "list", items, Items(),
      "quantities read from %s meters for %s values" % (kind, which))
    for kind, rows in ITEMS for which, items in rows
) + (
    P("freeze.settlement_day", "int", 1, Range(1, 28), "monthly settlement day (1..28)"),
    P("freeze.settlement_hour", "int", 0, Range(0, 23), "monthly settlement hour"),
    P("time.tz_offset_min", "int", 480, Range(-720, 840), "local time offset from UTC in minutes (480 = UTC+8)"),
    P("catchup.hourly_hours", "int", 48, Range(0, 254), "fill missing hourly values up to N hours back"),
    P("catchup.daily_days", "int", 62, Range(0, 62), "fill missing daily values up to N days back"),
    P("catchup.monthly_months", "int", 12, Range(0, 12), "fill missing monthly values up to N months back"),
    P("catchup.recheck_days", "int", 3, Range(0, 62), "look again for gaps in the last N days"),
    P("catchup.attempts", "int", 3, Range(1, 10), "attempts per missing value and round"),
    P("clock.check_time", "time", "02:30", None, "daily meter clock check, local HH:MM"),
    P("clock.deviation_threshold_s", "int", 60, Range(1, 86400), "meter clock deviation that raises an event"),
    P("clock.correct_meters", "bool", False, None, "set meter clocks that deviate"),
    P("clock.broadcast_limit_s", "int", 300, Range(1, 300), "largest deviation corrected by broadcast time sync"),
    P("clock.ntp_server", "str", "", _HOST, "NTP server for the concentrator clock; empty = none"),
    P("health.offline_after", "int", 3, Range(1, 100), "failed rounds before meter_offline"),
    P("health.abnormal_factor", "decimal", "5", Range(1, None, lo_open=True), "consumption above N x the usual raises consumption_abnormal"),
    P("health.zero_days", "int", 3, Range(1, 62), "days without consumption before consumption_zero"),
    P("retention.realtime_days", "int", 7, _DAYS, "keep real-time values N days"),
    P("retention.hourly_days", "int", 45, _DAYS, "keep hourly values N days"),
    P("retention.daily_days", "int", 400, _DAYS, "keep daily values N days"),
    P("retention.monthly_days", "int", 3660, _DAYS, "keep monthly values N days"),
    P("store.budget_mb", "int", 64, Range(16, 100000), "hard size limit of the reading store in MB"),
    P("store.synchronous", "str", "full", Choices("full", "normal"), "SQLite synchronous mode"),
)
# the uplink.* rows are added here, one line each: what the master station may tune
# (the connection itself -- host, TLS, keys -- is in the configuration file)
EXTRA = (
    P("uplink.inflight", "int", 16, Range(1, 1000), "batches sent and not yet acknowledged, at most"),
    P("uplink.batch_max", "int", 200, Range(1, 10000), "records per batch, at most"),
    P("uplink.ack", "str", "broker", Choices("broker", "master"), "a batch is done on the broker's PUBACK or the master's ack"),
    P("uplink.ack_timeout", "int", 60, Range(1, 86400), "master mode: send a batch again after N s without ack"),
    P("uplink.compress", "str", "none", Choices("none", "zlib"), "zlib-compress batch payloads (recommended on GPRS)"),
    P("uplink.status_interval", "int", 300, Range(10, 86400), "status heartbeat every N s"),
    P("uplink.command_window", "int", 300, Range(1, 86400), "a signed command's ts must be within N s"),
    P("uplink.allow_unsigned_control", "bool", False, None, "accept control, reset and params.set without a signature"),
)

# values of the configuration file that the LCD, the console and the master station may change:
# empty (0) = the file's; read when the agent starts, so a change applies after a restart
OVERRIDES = (
    P("terminal.address", "str", "", Regex(r"(|[A-Za-z0-9_-]{1,32})\Z", "1-32 of A-Z a-z 0-9 _ -, or empty"),
      "the concentrator's address (its id in the MQTT topics and on the screens); empty = [concentrator] id; after a restart"),
    P("uplink.host", "str", "", _HOST, "the master station's broker; empty = [uplink] host; after a restart"),
    P("uplink.port", "int", 0, Range(0, 65535), "the broker's port; 0 = [uplink] port; after a restart"),
)

# operators, sessions and the five logs (gateway.auth, docs/operator-guide.md "Operators")
_NAME = Regex(r"[A-Za-z0-9_.\-]{1,32}\Z", "a role name")
ACCESS = (
    P("access.anonymous_view", "bool", True, None, "the console may look (status, data, events) without a session"),
    P("access.master_role", "str", "master_station", _NAME, "the role the master station acts with over MQTT"),
    P("access.session_idle_min", "int", 30, Range(1, 1440), "a console session ends after N minutes unused"),
    P("access.lockout_failures", "int", 5, Range(1, 100), "failed logins in a row that lock an operator out"),
    P("access.lockout_min", "int", 15, Range(1, 1440), "minutes an operator stays locked out"),
    P("access.password_min_len", "int", 8, Range(6, 64), "shortest password an operator may set"),
    P("log.queries", "bool", False, None, "write read-only queries (status, data, events, logs) to the operation log"),
    P("log.retention_days", "int", 400, _DAYS, "keep each log's rows N days"),
    P("log.max_rows", "int", 100000, Range(100, 10000000), "rows each log keeps at most (the oldest go first)"),
)

ALL = PARAMS + EXTRA + ACCESS + OVERRIDES
BY_KEY = dict((p.key, p) for p in ALL)

# the parameters the running agent takes only when it starts: a change is stored
# at once and the params.set reply lists it under "restart_needed" (mqtt.md);
# every other key applies at once (the engine rebuilds its plan on the params'
# revision, the uplink hears params.set through Params.on_change)
RESTART = (
    "store.synchronous",       # the store's connections are opened with it
    "time.tz_offset_min",      # the agent's clock takes the offset when it starts
) + tuple(p.key for p in OVERRIDES)


def needs_restart(key):
    return key in RESTART


def allowed(param):
    """What values ``param`` takes, in words (for messages and ``params get``)."""
    c = param.constraint
    if param.type == "int":
        return "a whole number %s" % c.text() if c else "a whole number"
    if param.type == "decimal":
        return "a decimal number %s" % c.text() if c else "a decimal number"
    if param.type == "bool":
        return "true or false"
    if param.type == "time":
        return "a time of day HH:MM"
    if param.type == "list":
        return c.text() if c else "a list of names"
    return c.text() if c else "text"


def coerce(param, value, quantity_unit=None):
    """The stored value of ``value`` for ``param``, or ValueError saying why not."""
    t, c = param.type, param.constraint
    if t == "int":
        v = to_int(value)
        if c and not c.check(v):
            raise ValueError("out of range")
        return v
    if t == "decimal":
        d = to_decimal(value)
        if c and not c.check(d):
            raise ValueError("out of range")
        return decimal_text(d)
    if t == "bool":
        return to_bool(value)
    if t == "time":
        return to_time(value)
    if t == "list":
        items = to_list(value)
        for item in items:
            _check_item(c, item, quantity_unit)
        dup = sorted(set(i for i in items if items.count(i) > 1))
        if dup:
            raise ValueError("%s is listed twice" % dup[0])
        return items
    text = to_text(value)
    if isinstance(c, Choices):
        lowered = dict((v.lower(), v) for v in c.values)
        if text.lower() not in lowered:
            raise ValueError("not allowed")
        return lowered[text.lower()]
    if isinstance(c, Regex) and not c.pattern.match(text):
        raise ValueError("not allowed")
    return text


def _check_item(c, item, quantity_unit):
    if c is not None and c.choices:
        if item not in c.choices:
            raise ValueError("%r is not one of %s" % (item, ", ".join(c.choices)))
    elif quantity_unit is not None:
        if quantity_unit(item) is None:
            raise ValueError("%r is not a quantity name" % item)
    elif not _QUANTITY_FORM.match(item):
        raise ValueError("%r is not a quantity name" % item)
