"""The concentrator itself: ping, time.get, time.set, diag, reset, status."""

from gateway.ops.args import bad, check_args, choice, flag, parse_time
from gateway.status import summary
from store import codec
from store import KINDS
from upstream.errors import CommandError


class SystemOps:
    """Mixin of gateway.ops.dispatch.Operations."""

    def op_ping(self, args, meta):
        check_args("ping", args, ())
        uptime = self._uptime0 + self.clock.monotonic() - self._mono0
        return {"ts": self.iso(self.clock.time()), "fw": self.version, "uptime_s": int(uptime)}

    def _last_correction(self, last):
        return None if not last else {"ts": self.iso(last[0]), "correction_s": last[1]}

    def op_time_get(self, args, meta):
        check_args("time.get", args, ())
        now = self.clock.time()
        st = self.engine.timekeeping.status()
        return {"ts": self.iso(now), "epoch": int(now),
                "tz_offset_min": int(self.params.get("time.tz_offset_min")),
                "drift_ppm": st.get("drift_ppm"), "rtc_offset_s": st.get("rtc_offset_s"),
                "last_correction": self._last_correction(st.get("last_correction"))}

    def op_time_set(self, args, meta):
        args = check_args("time.set", args, ("ts",))
        ts = parse_time(args, "ts")
        # the store keeps minutes from 2020 on (store.codec): a time outside is a typo
        if not codec.EPOCH <= ts < codec.EPOCH + (1 << 25) * 60:
            raise bad("ts", args["ts"], "a time from 2020 on", "is out of range")
        source = (meta or {}).get("source")
        source = "master" if source in (None, "mqtt") else self.who(meta)
        delta = self.engine.timekeeping.set_time(ts, source=source)
        return {"correction_s": round(delta, 3)}

    # --------------------------------------------------------------- diag
    def op_diag(self, args, meta):
        check_args("diag", args, ())
        e = self.engine
        st = e.status()
        meters = e.archive_meters()
        ports = {}
        for name, snap in st["buses"].items():
            p = dict(snap)
            p["last_ok"] = self.iso(p.get("last_ok"))
            p["meters"] = sum(1 for m in meters if e.bus_of(m) == name)
            p["queue"] = st["queues"].get(name, 0)
            ports[name] = p
        store = dict(st["store"])
        store["integrity"] = self.store.quick_check()
        store["readings"] = dict((k, self.store.count(k)) for k in KINDS)
        clock = st["clock"]
        conditions = {}
        health = e.health
        for mid in list(health.state):
            for cond in health.active(mid):
                conditions[cond] = conditions.get(cond, 0) + 1
        out = {"ts": self.iso(self.clock.time()), "fw": self.version, "meters": len(meters),
               "ports": ports, "queues": st["queues"], "store": store,
               "clock": {"ts": self.iso(clock["time"]), "drift_ppm": clock.get("drift_ppm"),
                         "rtc_offset_s": clock.get("rtc_offset_s"),
                         "last_correction": self._last_correction(clock.get("last_correction"))},
               "outbox": st["outbox"],
               "health": {"active": sum(conditions.values()), "by_condition": conditions}}
        if self.uplink_status is not None:
            try:
                out["uplink"] = self.uplink_status()
            except Exception as err:      # diagnosis must not fail on the thing it diagnoses
                out["uplink"] = {"error": str(err)}
        return out

    # ------------------------------------------------------------- status
    def op_status(self, args, meta):
        """The console's compact status (gateway.status.summary) with times as
        ISO 8601, the uplink backlog and ``info()``."""
        check_args("status", args or {}, ())
        out = summary(self.engine, self.store, self.params)
        clock = out["clock"]
        clock["time"] = self.iso(clock.get("time"))
        last = clock.get("last_correction")
        if last:
            clock["last_correction"] = self._last_correction(last)
        for port in out["ports"].values():
            if port.get("success_rate") is not None:
                port["success_rate"] = round(port["success_rate"], 4)
        waiting, unacked, oldest = self.store.batch_backlog()
        out["backlog"] = {"waiting_records": waiting, "unacked_batches": unacked,
                          "oldest": self.iso(oldest)}
        out.update({"fw": self.version, "ts": self.iso(self.clock.time())})
        if getattr(self, "auth", None) is not None and not self.auth.operators.count():
            out["operators"] = "none: create the first super administrator with " \
                               "concentrator users init"
        out.update(self.info())
        return out

    # -------------------------------------------------------------- reset
    def op_reset(self, args, meta):
        """``what``: restart (on_restart), data (the store's readings, events,
        logs, outbox) or params (all to defaults); data and params need
        ``confirm: true``."""
        args = check_args("reset", args, ("what", "confirm"))
        what = choice(args, "what", ("restart", "data", "params"))
        confirm = flag(args, "confirm")
        now = self.clock.time()
        if what == "restart":
            if self.on_restart is None:
                raise CommandError("not_supported", "reset restart: this process cannot restart "
                                   "the agent (no agent lifecycle attached)")
            self.store.log("operation", now, "restart requested by %s" % self.who(meta))
            self.on_restart()
            return {"what": "restart", "restarting": True}
        if confirm is not True:
            lost = {"data": "deletes every stored reading, event, log and unsent batch",
                    "params": "sets every parameter back to its default"}[what]
            raise CommandError("bad_request", "confirm: reset %s %s; send confirm: true to do it"
                               % (what, lost), detail={"field": "confirm"})
        if what == "data":
            deleted = self.store.wipe()
            self.store.log("modification", self.clock.time(), "stored data reset by %s"
                           % self.who(meta), deleted)
            return {"what": "data", "deleted": deleted}
        changes = self.params.reset()
        self._params_changed(meta, changes)
        return {"what": "params", "reset": sorted(changes)}
