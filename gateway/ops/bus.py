"""Operations that talk to meters: read, control, freeze, time.sync_meters.

Each runs as on-demand jobs on the meters' buses (scheduler.jobs.ONDEMAND:
ahead of every scheduled read, after the transaction on the wire) and waits
for them on the engine's clock, at most ``Operations.timeout`` seconds a job.
A job not done by then is answered ``timeout``; a job that has not started by
then is cancelled (a control action must not happen minutes after the master
station was told it failed).
"""

import logging

from drivers import meters as sessions
from drivers.errors import NotSupportedError
from drivers.radio import broadcast_line
from gateway.ops.args import bad, check_args, choice, id_list, text, unknown_meters
from protocols import registry
from protocols.core.quantities import unit_of
from scheduler import jobs
from scheduler.jobs import Job
from scheduler.plan import FROZEN
from upstream.errors import CommandError

log = logging.getLogger(__name__)

CONTROL_ACTIONS = ("valve.open", "valve.close", "relay.open", "relay.close")
READ_BACK = {"open": "open", "close": "closed"}     # the state a control's verb asks for
SYNC_TOLERANCE_S = 2            # a meter clock this close is left alone (second resolution)


def meter_deviation(cal, shown, now):
    """Seconds the meter's local ISO clock text is ahead of ``now``."""
    y, mo, d = int(shown[0:4]), int(shown[5:7]), int(shown[8:10])
    h, mi, s = int(shown[11:13]), int(shown[14:16]), int(shown[17:19] or 0)
    return cal.utc(y, mo, d, h, mi, s) - now


class BusOps:
    """Mixin of gateway.ops.dispatch.Operations."""

    # ----------------------------------------------------------- helpers
    def _meters_of(self, ids):
        """Archive records of ``ids`` (None: all); ``unknown_meter`` naming the missing."""
        meters = self.engine.archive_meters()
        if ids is None:
            return list(meters)
        by_id = dict((m["id"], m) for m in meters)
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise unknown_meters(unknown)
        return [by_id[i] for i in ids]

    def _by_id_or_address(self, names):
        """{name: archive record, or a CommandError} for meter ids or addresses
        (按地址选抄: the address as on the nameplate, when one archived meter has it)."""
        meters = self.engine.archive_meters()
        by_id = dict((m["id"], m) for m in meters)
        by_address = {}
        for m in meters:
            by_address.setdefault(m["address"], []).append(m)
        out = {}
        for name in names:
            same = by_address.get(name, [])
            if name in by_id:
                out[name] = by_id[name]
            elif len(same) == 1:
                out[name] = same[0]
            elif same:
                out[name] = CommandError("bad_request", "address %s is meter %s: name the meter by "
                                         "its id" % (name, " and ".join(
                                             "%s on %s" % (m["id"], m["port"]) for m in same)))
            else:
                out[name] = CommandError(
                    "unknown_meter", "no meter %s in the archive (neither an id nor an address "
                    "there): add it (meters.add; console: concentrator meters add) to read it "
                    "through the agent" % name)
        return out

    def _run_on_meter(self, meter, fn, what):
        """Run ``fn(reader)`` as an on-demand job on the meter's bus; its result."""
        cancelled = []

        def guarded(reader):
            if cancelled:
                return None         # the command was answered "timeout": do nothing now
            return fn(reader)

        job = self.engine.run_job(Job(jobs.ONDEMAND, "call", meter, fn=guarded), self.timeout)
        if not job.done.is_set():
            cancelled.append(True)
            raise CommandError("timeout", "%s on meter %s: no result within %d s (the bus is busy "
                               "or the meter slow); if it was under way it may still take effect"
                               % (what, meter["id"], self.timeout))
        if job.error:
            raise CommandError("meter_error", "%s on meter %s: %s" % (what, meter["id"], job.error))
        return job.result

    def _wait_all(self, pending):
        """{meter id: job result or {"error": ...}} for [(meter id, job)], waited in turn."""
        out = {}
        for mid, job in pending:
            self.engine.clock.wait(job.done, self.timeout)
            if not job.done.is_set():
                out[mid] = {"error": {"code": "timeout",
                                      "message": "no result within %d s" % self.timeout}}
            elif job.error:
                out[mid] = {"error": {"code": "meter_error", "message": job.error}}
            else:
                out[mid] = job.result
        return out

    # -------------------------------------------------------------- read
    def op_read(self, args, meta):
        """On-demand read (召测): values per meter, or its error."""
        args = check_args("read", args, ("meters", "q"))
        names = id_list(args, "meters", allow_all=True)
        found = self._by_id_or_address(names) if names is not None else \
            dict((m["id"], m) for m in self._meters_of(None))
        if names is not None and all(isinstance(m, CommandError) for m in found.values()):
            if all(m.code == "unknown_meter" for m in found.values()):
                raise CommandError("unknown_meter", "no meter%s %s in the archive (neither ids "
                                   "nor addresses there; meters.list shows it): add a meter "
                                   "(meters.add; console: concentrator meters add) to read it "
                                   "through the agent" % ("s" if len(names) > 1 else "",
                                                          ", ".join(names)),
                                   detail={"meters": names})
            raise next(m for m in found.values() if m.code != "unknown_meter")
        qs = args.get("q")
        if qs is not None:
            allowed = "a list of quantity names such as [\"energy.active.import.total\"]"
            if not isinstance(qs, list) or not qs or not all(isinstance(q, str) for q in qs):
                raise bad("q", qs, allowed)
            wrong = [q for q in qs if unit_of(q) is None]
            if wrong:
                raise bad("q", wrong[0], allowed, "is not a quantity name")
            qs = list(dict.fromkeys(qs))
        ids = list(dict.fromkeys(m["id"] for m in found.values() if isinstance(m, dict)))
        got = self.engine.read_now(ids, qs, timeout=self.timeout)
        out = {}
        for name, m in found.items():
            if isinstance(m, CommandError):
                out[name] = {"error": {"code": m.code, "message": m.message}}
                continue
            r = got.get(m["id"]) or {"error": "internal", "message": "no result"}
            if "values" in r:
                values = r["values"] or []
                one = {"values": [{"q": v["q"], "value": v["value"], "unit": v["unit"],
                                   "ts": self.iso(v["ts"])} for v in values]}
                earlier = sorted(set(v["replaces"] for v in values if "replaces" in v))
                if earlier:
                    one["note"] = ("replaces the values read at %s: the store keeps one real-time "
                                   "value per meter and quantity a minute, the latest" %
                                   ", ".join(self.iso(t) for t in earlier))
            else:
                one = {"error": {"code": r["error"], "message": r["message"]}}
            if name != m["id"]:
                one["meter"] = m["id"]          # read by address: which meter that is
            out[name] = one
        return {"meters": out}

    # ----------------------------------------------------------- control
    def op_control(self, args, meta):
        """Valve or relay control where the meter's protocol takes it (the registry's
        ``controls``); the state read back."""
        args = check_args("control", args, ("meter", "action"))
        mid = text(args, "meter", "a meter id such as \"m-0001\"", required=True)
        action = choice(args, "action", CONTROL_ACTIONS)
        (meter,) = self._meters_of([mid])
        row = registry.get(meter["protocol"])
        part, verb = action.split(".")
        if part not in row.controls:
            able = [p.title for p in registry.PROTOCOLS if part in p.controls]
            raise CommandError("not_supported", "meter %s is %s: %s needs a %s meter (%s meters "
                               "take no %s control)" % (mid, row.name, action, " or ".join(able),
                                                        row.title, part))
        # the session acts and reads the state back (valve ST, relay status word)
        state = self._run_on_meter(meter, lambda session: session.control(part, verb), action)
        asked = READ_BACK[verb]
        self.engine.health.controlled(mid, part, action, asked, state)
        if state != asked:
            raise CommandError("meter_error", "%s on meter %s: the meter reports the %s %s, not %s"
                               " (check the %s on site)" % (action, mid, part, state, asked, part),
                               detail={"meter": mid, "action": action, "state": state})
        return {"meter": mid, "action": action, "state": state}

    # ------------------------------------------------------------ freeze
    def op_freeze(self, args, meta):
        """Freeze now.

        Buses with meters whose protocol has a broadcast freeze (the registry's
        ``broadcast_freeze``: DL/T645-2007's 16H with every field 99H, an
        immediate freeze) get it.  Then each meter with plan quantities of
        ``kind`` is read (on-demand jobs): a meter that took the broadcast and
        keeps instant-freeze records (registry ``history["instant"]``:
        DL/T645-2007 0501xxNN) gives its record, stored as real-time values at
        the broadcast instant with ``src=meter`` (a meter that missed it is read
        instead); the others' current values are stored as real-time readings
        with ``src=read``.  "Freeze now" falls on no boundary, so nothing is
        stored as an hourly/daily/monthly value, and the scheduled boundary
        reads are not disturbed.  The reply comes after the broadcasts went
        out; the reads are queued, not waited for (a thousand meters take
        minutes): their values go upstream as ``data/realtime`` batches.
        Result ``{"broadcast": [bus names], "meters": reads queued,
        "instant": how many of them read the instant record}``.
        """
        args = check_args("freeze", args, ("kind",))
        kind = choice(args, "kind", FROZEN)
        e = self.engine
        meters = e.archive_meters()
        targets = {}                    # bus -> protocols with a broadcast freeze there
        for m in meters:                # radio meters too: the module's broadcast (05H F3)
            if registry.get(m["protocol"]).broadcast_freeze:
                targets.setdefault(e.bus_of(m), set()).add(m["protocol"])
        pending = []
        sent_at = {}                    # bus -> when its broadcast went out (our clock)
        for name in sorted(targets):
            def freeze_all(worker, protos=sorted(targets[name]), name=name):
                for proto in protos:
                    sessions.broadcast_freeze(broadcast_line(worker.bus, proto), proto)
                sent_at[name] = int(e.clock.time())
            job = Job(jobs.ONDEMAND, "broadcast", None, name, fn=freeze_all)
            if e.enqueue(job):
                pending.append((name, job))
        sent, failed = [], {}
        for name, r in self._wait_all(pending).items():
            if isinstance(r, dict) and "error" in r:
                failed[name] = r["error"]["message"]
            else:
                sent.append(name)
        queued = instant = 0
        for m in meters:
            qs = e.plan.quantities(m, kind)
            if not qs:
                continue
            at = sent_at.get(e.bus_of(m)) if e.bus_of(m) in sent else None
            if at is not None and registry.get(m["protocol"]).depth("instant"):
                job = Job(jobs.ONDEMAND, "instant", m, "realtime", at, list(qs))
            else:
                job = Job(jobs.ONDEMAND, "current", m, "realtime", None, list(qs))
            if e.enqueue(job):
                queued += 1
                instant += job.action == "instant"
        result = {"broadcast": sorted(sent), "meters": queued, "instant": instant}
        if failed:
            result["failed"] = failed
        return result

    # -------------------------------------------------------- meter time
    def op_time_sync_meters(self, args, meta):
        """Read each meter's clock; correct it within the protocols' limits.

        DL/T645: one broadcast time sync (08H) per bus and day for meters
        within ``clock.broadcast_limit_s``, never within 5 minutes of the hour
        or midnight; further off, an addressed write when the archive gives
        the password.  CJ/T188: a per-meter write (A015).  The limits and the
        once-a-day record are the scheduler's (``Timekeeping``), shared with
        the daily clock check.  Clocks within SYNC_TOLERANCE_S are left alone;
        ``clock.correct_meters`` (the daily check's switch) does not apply to
        this explicit command.  Result per meter: clock, deviation_s, action
        (broadcast, written, none) and reason, or an error.
        """
        args = check_args("time.sync_meters", args, ("meters",))
        ids = id_list(args, "meters", required=False, allow_all=True)
        meters = self._meters_of(ids)
        if ids is None:
            meters = [m for m in meters if registry.get(m["protocol"]).clock]
        e = self.engine
        sent = set()                    # buses this command broadcast on
        cancelled = []
        out, pending = {}, []
        for m in meters:
            if not registry.get(m["protocol"]).clock:
                out[m["id"]] = {"action": "none",
                                "reason": "%s meters keep no clock" % m["protocol"]}
                continue

            def fn(reader, m=m):
                if cancelled:
                    return None
                return self._sync_one(m, reader, sent)
            job = Job(jobs.ONDEMAND, "call", m, fn=fn)
            if e.enqueue(job):
                pending.append((m["id"], job))
            else:
                out[m["id"]] = {"error": {"code": "busy", "message": job.error or "not queued"}}
        out.update(self._wait_all(pending))
        cancelled.append(True)
        return {"meters": dict((m["id"], out[m["id"]]) for m in meters)}

    def _sync_one(self, meter, reader, sent):
        e = self.engine
        shown = reader.read_clock()
        if not shown:
            raise NotSupportedError("the meter reports no clock")
        deviation = meter_deviation(e.plan.calendar, shown, e.clock.time())
        e.health.clock_deviation(meter["id"], deviation,
                                 int(e.params.get("clock.deviation_threshold_s")))
        res = {"clock": shown, "deviation_s": int(round(deviation))}
        if abs(deviation) <= SYNC_TOLERANCE_S:
            res.update(action="none", reason="within %d s" % SYNC_TOLERANCE_S)
            return res
        bus = e.bus_of(meter)
        # the scheduler's correction path: the protocols' limits and the
        # once-a-day broadcast record live there (see its docstring)
        how = e.timekeeping.correct(meter, reader, deviation)
        if how == "broadcast":
            sent.add(bus)
        elif how.startswith("broadcast already sent") and bus in sent:
            # read after this command's broadcast and still off: it did not take it
            how = "still off after this command's broadcast on %s (one a day)" % bus
        if how in ("broadcast", "written"):
            res["action"] = how
        else:
            res.update(action="none", reason=how)
        return res
