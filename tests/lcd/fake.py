"""A fake of the operations the LCD calls, backed by fixed data, and a clock."""

from decimal import Decimal as D

T0 = 1795019200          # 2026-11-18T16:26:40Z = 2026-11-19 00:26:40 +08:00
TZ = 8 * 3600


class FakeClock:
    def __init__(self, t=T0, tz_offset=TZ):
        self.t = t
        self.tz_offset = tz_offset

    def time(self):
        return self.t

    def advance(self, s):
        self.t += s


class OpError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


METERS = [
    {"id": "m-0001", "port": "rs485-1", "protocol": "dlt645", "address": "000012345678",
     "kind": "electricity"},
    {"id": "m-0002", "port": "rs485-2", "protocol": "cjt188", "address": "00000000000101",
     "kind": "water"},
    {"id": "m-0003", "port": "mbus-1", "protocol": "mbus", "address": "12345678",
     "kind": "heat"},
]


def _rec(meter, q, value, unit, ts, kind):
    return {"meter": meter, "q": q, "unit": unit, "kind": kind, "ts": ts, "value": value,
            "src": "read" if kind == "realtime" else "meter", "read_ts": None}


REALTIME = {
    "m-0001": [("energy.active.import.total", D("12345.67"), "kWh"), ("voltage.a", D("220.1"), "V"),
               ("current.a", D("1.250"), "A"), ("power.active.total", D("0.2750"), "kW"),
               ("meter.status", "0000", ""), ("relay.state", "closed", "")],
    "m-0002": [("volume.total", D("123.45"), "m³"), ("meter.status", "0004", ""),
               ("valve.state", "open", "")],
    "m-0003": [("heat.energy.total", D("3456"), "kWh"), ("volume.total", D("78.9"), "m³"),
               ("flow.rate", D("0.120"), "m³/h")],
}
DAILY_MAIN = {  # the last 8 daily values of the main quantity
    "m-0001": ["12300.00", "12305.50", "12311.25", "12313.00", "12320.75", "12330.00",
               "12331.10", "12340.00"],
    "m-0002": ["120.00", "120.40", "121.00", "121.10", "121.90", "122.50", "123.00", "123.40"],
    "m-0003": ["3400", "3408", "3416", "3420", "3431", "3440", "3449", "3455"],
}
UNITS = {"energy.active.import.total": "kWh", "volume.total": "m³",
         "heat.energy.total": "kWh"}
MAIN = {"m-0001": "energy.active.import.total", "m-0002": "volume.total",
        "m-0003": "heat.energy.total"}

EVENTS = [
    {"id": 1, "ts": "2026-11-17T03:12:09+08:00", "type": "power_up", "severity": "info",
     "meter": None, "detail": {}},
    {"id": 2, "ts": "2026-11-18T08:00:00+08:00", "type": "meter_offline",
     "severity": "warning", "meter": "m-0003", "detail": {"failures": 3}},
    {"id": 3, "ts": "2026-11-18T21:30:00+08:00", "type": "params_changed", "severity": "info",
     "meter": None, "detail": {"by": "console", "changes": "plan.hourly"}},
]

PARAMS = {"plan.realtime_interval_min": 15, "freeze.settlement_day": 1,
          "time.tz_offset_min": 480, "clock.ntp_server": "", "health.offline_after": 3,
          "plan.hourly": True, "store.budget_mb": 64,
          "plan.broadcast_freeze": ["daily"],
          "terminal.address": "", "uplink.host": "", "uplink.port": 0}
# the params.set reply names the keys that apply after a restart (restart_needed)
RESTART = ("terminal.address", "uplink.host", "uplink.port")
RANGES = {"uplink.port": (0, 65535), "plan.realtime_interval_min": (0, 1440), "freeze.settlement_day": (1, 28),
          "time.tz_offset_min": (-720, 840), "health.offline_after": (1, 100),
          "store.budget_mb": (16, 100000)}


class FakeOps:
    """``call(op, args, meta)`` on fixed data; records every call."""

    def __init__(self, clock):
        self.clock = clock
        self.calls = []
        self.params = dict(PARAMS)
        self.fail = set()

    def __call__(self, op, args, meta):
        self.calls.append((op, args, meta))
        if op in self.fail:
            raise OpError("internal", "%s failed (test)" % op)
        fn = getattr(self, "op_" + op.replace(".", "_"), None)
        if fn is None:
            raise OpError("unknown_op", "op %s is not known" % op)
        return fn(args or {}, meta)

    def op_status(self, args, meta):
        return {"cid": "c01", "fw": "0.1.0", "ts": "2026-11-19T00:26:40+08:00",
                "agent": "running",
                "uplink": {"up": True, "signal": 3, "channel": "cellular"},
                "meters": {"total": 3, "offline": 1},
                "store": {"bytes": 1572864, "budget": 67108864},
                "clock": {"time": "2026-11-19T00:26:40+08:00", "drift_ppm": 1.5},
                "ports": {}}

    def op_diag(self, args, meta):
        return {"ts": "2026-11-19T00:26:40+08:00", "fw": "0.1.0", "meters": 3,
                "ports": {"rs485-1": {"requests": 120, "replies": 118, "timeouts": 2,
                                      "success_rate": 0.9833, "last_error": None,
                                      "last_ok": "2026-11-19T00:15:02+08:00", "meters": 1,
                                      "queue": 0},
                          "mbus-1": {"requests": 40, "replies": 30, "timeouts": 10,
                                     "success_rate": 0.75,
                                     "last_error": "timeout: no reply from 12345678",
                                     "last_ok": "2026-11-18T22:00:03+08:00", "meters": 1,
                                     "queue": 2}},
                "health": {"active": 1, "by_condition": {"offline": 1}}}

    def op_meters_list(self, args, meta):
        return {"meters": [dict(m) for m in METERS]}

    def op_data(self, args, meta):
        kind = args.get("kind", "daily")
        mid = args.get("meter")
        out = []
        for m in METERS:
            if mid is not None and m["id"] != mid:
                continue
            i = m["id"]
            if kind == "realtime":
                out += [_rec(i, q, v, u, "2026-11-19T00:15:00+08:00", kind)
                        for q, v, u in REALTIME[i]]
            elif kind == "daily":
                if args.get("from", "").startswith("2026-11-19T00:00"):
                    if i != "m-0003":          # two read today
                        out.append(_rec(i, MAIN[i], D(DAILY_MAIN[i][-1]), UNITS[MAIN[i]],
                                        "2026-11-19T00:00:00+08:00", kind))
                    continue
                for n, v in enumerate(DAILY_MAIN[i]):
                    out.append(_rec(i, MAIN[i], D(v), UNITS[MAIN[i]],
                                    "2026-11-%02dT00:00:00+08:00" % (12 + n), kind))
            elif kind == "monthly":
                out.append(_rec(i, MAIN[i], D(DAILY_MAIN[i][0]), UNITS[MAIN[i]],
                                "2026-11-01T00:00:00+08:00", kind))
        if args.get("q"):
            out = [r for r in out if r["q"] in args["q"]]
        limit = args.get("limit", 100000)
        out = out[-limit:] if args.get("newest") else out[:limit]
        return {"kind": kind, "values": out, "truncated": False}

    def op_events_query(self, args, meta):
        return {"events": [dict(e) for e in EVENTS], "truncated": False}

    def op_params_get(self, args, meta):
        keys = args.get("keys")
        if keys:
            return {"params": dict((k, self.params[k]) for k in keys)}
        return {"params": dict(self.params)}

    def op_params_set(self, args, meta):
        changes = {}
        for k, v in args.items():
            if k not in self.params:
                raise OpError("bad_request", "no parameter %s" % k)
            if k in RANGES:
                lo, hi = RANGES[k]
                if not isinstance(v, int) or not lo <= v <= hi:
                    raise OpError("bad_request", "%s: %r is not a whole number %d..%d"
                                  % (k, v, lo, hi))
            if self.params[k] != v:
                changes[k] = {"old": self.params[k], "new": v}
                self.params[k] = v
        out = {"changed": changes}
        restart = [k for k in changes if k in RESTART]
        if restart:
            out["restart_needed"] = restart
        return out

    def op_time_get(self, args, meta):
        return {"ts": "2026-11-19T00:26:40+08:00", "epoch": T0, "tz_offset_min": 480,
                "drift_ppm": 1.5, "rtc_offset_s": 0.2,
                "last_correction": {"ts": "2026-11-18T02:30:00+08:00", "correction_s": -0.8}}

    def op_reset(self, args, meta):
        if args.get("what") == "restart":
            return {"what": "restart", "restarting": True}
        if args.get("confirm") is not True:
            raise OpError("bad_request", "confirm: send confirm: true")
        return {"what": "data", "deleted": {"readings": 42, "events": 3}}


def authenticate(password):
    return "engineer" if password == "123456" else None
