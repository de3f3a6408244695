"""The agent's side of the upgrade (docs/upgrade.md, Integration): the boot
check when systemd does not run it, the ``upgrade`` events, the probation
milestones, the deadline check, the clock, and the context of the ops.

The signals, all pushed (nothing polls):

``started``        the agent is up (``Agent.start`` done: buses, scheduler,
                   uplink and control socket run).
``reading_round``  a complete reading round: every meter that was in the
                   archive at the start (and still is) had a scheduled read
                   (real-time, freeze or catch-up job) finished by its bus
                   worker, and at least one of them went well (an empty
                   archive: at once).  Told by ``Engine.job_listeners``.
                   With ``plan.realtime_interval_min`` = 0 the round waits
                   for the next freeze (the next hour's boundary).
``batch_acked``    the first batch acknowledged upstream (the broker's PUBACK
                   or the master station's ``ack``, as ``uplink.ack`` says):
                   ``Forwarder.on_acked``.

``check()`` runs with the agent's loop (at most every ``CHECK_S`` seconds);
when the deadline passed the probation asks for a rollback and
``on_failed()`` stops the agent with exit code ``EXIT_RESTART``, so that
systemd restarts it into the boot check, which switches back.
"""

import logging
import os

from gateway.upgrade import bootcopy
from gateway.upgrade import install as inst
from scheduler.jobs import CATCHUP, FREEZE, PERIODIC

log = logging.getLogger(__name__)

CHECK_S = 30                    # seconds between two probation checks (monotonic)
EXIT_RESTART = 3                # the agent's exit code to be restarted into the boot check
SCHEDULED = (PERIODIC, FREEZE, CATCHUP)
SEVERITY = {"rolled_back": "warning", "refused": "warning"}


def milestones(upgrade_cfg, uplink_enabled):
    """The probation milestones that apply, from the [upgrade] table."""
    out = ["started"]
    if upgrade_cfg["probation_reading_round"]:
        out.append("reading_round")
    if upgrade_cfg["probation_batch_acked"] and uplink_enabled:
        out.append("batch_acked")
    return tuple(out)


def under_systemd():
    """systemd sets INVOCATION_ID for every service it runs (ExecStartPre did the check)."""
    return bool(os.environ.get("INVOCATION_ID"))


class ReadingRound:
    """Waits for every meter of ``meter_ids`` to have a scheduled read finished
    (one at least without failure); then calls ``done()`` once."""

    def __init__(self, meter_ids, done):
        self.wanted = set(meter_ids)
        self.seen = set()
        self.ok = not self.wanted
        self.done = done
        self.fired = False

    def job(self, job, still=None):
        if self.fired or job.meter is None or job.priority not in SCHEDULED:
            return
        self.seen.add(job.meter.get("id"))
        self.ok = self.ok or job.failure is None
        wanted = self.wanted if still is None else self.wanted & set(still())
        if self.ok and wanted <= self.seen:
            self.fired = True
            self.done()


class UpgradeHooks:
    """Made by the agent when [upgrade] names a prefix.  ``raise_event(ts,
    detail, severity)`` stores an ``upgrade`` event; ``on_failed()`` stops
    the agent with a non-zero exit."""

    def __init__(self, cfg, clock, raise_event, on_failed):
        self.cfg = cfg
        self.u = cfg.upgrade
        self.prefix = self.u["prefix"]
        self.clock = clock
        self.raise_event = raise_event
        self.on_failed = on_failed
        self.required = milestones(self.u, cfg.uplink.enabled)
        self.probation = inst.Probation(self.prefix, clock)
        self.round = None
        self.acked = False
        self._checked = None
        self.boot = None

    # ------------------------------------------------------------ start
    def boot_check(self):
        """Before anything starts -- before the store is opened, which a
        rollback may put back -- the boot check, unless systemd's
        ExecStartPre ran it.  Then the agent calls ``raise_pending``."""
        if under_systemd():
            return None
        try:
            self.boot = inst.boot_check(self.prefix, self.clock)
            log.info("upgrade boot check: %s", self.boot)
        except Exception:              # never keep the agent from starting
            log.exception("upgrade boot check failed")
        return self.boot

    def raise_pending(self):
        """An ``upgrade`` event for each event the state holds; then cleared."""
        events = inst.pending_events(self.prefix)
        for ev in events:
            detail = dict((k, v) for k, v in ev.items() if k not in ("id", "ts"))
            self.raise_event(ev.get("ts") or self.clock.time(), detail,
                             SEVERITY.get(ev.get("result"), "info"))
        if events:
            inst.clear_events(self.prefix, events[-1]["id"])
        return len(events)

    def context(self, on_restart, store_path):
        """The ``UpgradeContext`` of the ``upgrade.*`` ops."""
        from gateway.upgrade.ops import UpgradeContext

        def refused(detail):
            self.raise_event(self.clock.time(), detail, SEVERITY["refused"])

        def installed():            # the boot check's copy of the release that installed
            try:
                bootcopy.write(self.prefix)
            except OSError:
                log.exception("upgrade: cannot write the boot check's copy")
            on_restart()
        return UpgradeContext(self.cfg.data_file("upgrade"), self.prefix, self.u["trusted_keys"],
                              self.clock, on_restart=installed, on_event=refused,
                              store_path=store_path if self.u["store_copy"] else None,
                              probation_s=self.u["probation_s"],
                              max_attempts=self.u["max_attempts"], required=self.required)

    # ------------------------------------------------------- milestones
    @property
    def on_probation(self):
        return self.probation.active

    def watch(self, engine, forwarder):
        """Listen for the milestones (only while a version is on probation)."""
        if not self.on_probation:
            return False
        ids = [m["id"] for m in engine.archive_meters()]
        self.round = ReadingRound(ids, lambda: self.milestone("reading_round"))
        engine.job_listeners.append(
            lambda job: self.round.job(job, lambda: [m["id"] for m in engine.archive_meters()]))
        if forwarder is not None:
            forwarder.on_acked = self._acked
        engine.timekeeping.on_set = self.probation.clock_set
        return True

    def _acked(self, seq):
        if not self.acked:
            self.acked = True
            self.milestone("batch_acked")

    def milestone(self, name):
        try:
            ev = self.probation.milestone(name)
        except Exception:
            log.exception("upgrade: milestone %s not recorded", name)
            return None
        log.info("upgrade probation: %s%s", name, " -> confirmed" if ev else "")
        if ev:
            self.raise_pending()
        return ev

    def check(self, now_mono):
        """With the agent's loop: the deadline (at most every CHECK_S)."""
        if self._checked is not None and now_mono - self._checked < CHECK_S:
            return False
        self._checked = now_mono
        try:
            failed = self.on_probation and self.probation.check()
        except Exception:
            log.exception("upgrade probation check failed")
            return False
        if failed:
            log.error("upgrade: the new version did not pass its probation in time: "
                      "restarting into the boot check, which rolls back")
            self.on_failed()
        return failed
