"""Keeping time: the concentrator's clock and the meters' clocks.

Concentrator: ``set_time`` (from the master station's ``time.set``, the
console, or NTP via ``clock.ntp_server``) moves the clock, logs ``clock_set``
with the correction, and keeps the history of corrections so that the drift
(ppm) and the board's RTC against the system clock stay visible (status).

Meters: every day at ``clock.check_time`` each meter's clock is read and
compared; beyond ``clock.deviation_threshold_s`` (default 60 s) the meter
gets ``meter_clock_deviation`` (once per episode); meters whose protocol
keeps no clock (registry ``clock``) are not checked.  With
``clock.correct_meters`` on, meters of a protocol with broadcast time sync
(registry ``broadcast_time``: DL/T645) within the broadcast limit
(``clock.broadcast_limit_s``, at most the standard's 5 minutes) are corrected
by one broadcast time sync per bus and day (radio meters: the module's
broadcast, 1376.2 AFN 05H F3), never within 5 minutes of midnight or of
the hour (DL/T645 day-change freezing); otherwise the meter
session's ``set_clock`` writes it where ``clock_writable()`` allows (a
DL/T645 write needs the archive's password; CJ/T188 writes A015; M-Bus and
Modbus meters are only reported).
"""

import logging
import socket
import struct

from drivers import meters
from drivers.errors import NotSupportedError
from protocols import registry
from scheduler import jobs

log = logging.getLogger(__name__)
NTP_EPOCH = 2208988800          # 1900-01-01 -> 1970-01-01
DRIFT_MIN_SPAN_S = 6 * 3600     # drift is shown once measured over at least 6 hours
DRIFT_STEP_S = 300              # a bigger correction is a new setting, not drift


def safe_for_time_sync(cal, ts):
    """False within 5 minutes of the hour or of midnight (local)."""
    _, _, _, h, m, s = cal.local(ts)
    seconds_in_hour = m * 60 + s
    return 300 <= seconds_in_hour <= 3600 - 300


def sntp_offset(server, clock, timeout=2.0):
    """Server time minus our time, in seconds, from one SNTP (RFC 4330) query."""
    host, _, port = server.partition(":")
    addr = (host, int(port or 123))
    packet = b"\x1b" + 47 * b"\0"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        t0 = clock.time()
        s.sendto(packet, addr)
        data, _ = s.recvfrom(512)
        t3 = clock.time()
    if len(data) < 48:
        raise OSError("short SNTP reply from %s" % server)
    secs, frac = struct.unpack("!II", data[40:48])
    server_time = secs - NTP_EPOCH + frac / 2 ** 32
    return server_time - (t0 + t3) / 2


def rtc_offset(clock):
    """The board RTC minus the system clock, in seconds, or None without an RTC."""
    try:
        with open("/sys/class/rtc/rtc0/since_epoch") as f:
            return int(f.read().strip()) - int(clock.time())
    except (OSError, ValueError):
        return None


class Timekeeping:
    def __init__(self, engine):
        self.engine = engine
        self.corrections = engine.store.get_state("clock.corrections", [])
        self.synced_today = {}     # bus name -> local date of the last broadcast
        self.on_set = None         # fn(delta) after every set_time (the agent's probation)

    # ------------------------------------------------------ concentrator
    def set_time(self, ts, source="command"):
        e = self.engine
        before = e.clock.time()
        e.clock.set(float(ts))
        delta = float(ts) - before
        self.corrections.append([int(ts), round(delta, 3)])
        del self.corrections[:-20]
        e.store.set_state("clock.corrections", self.corrections)
        e.store.put_event(ts, "clock_set", "info", None,
                          {"source": source, "correction_s": round(delta, 3)})
        e.store.log("modification", ts, "clock set by %s: %+.3f s" % (source, delta))
        if self.on_set is not None:
            try:
                self.on_set(delta)
            except Exception:
                log.exception("clock set listener failed")
        return delta

    def drift_ppm(self):
        """Drift estimated from the corrections: seconds gained per second, x 1e6.

        A correction beyond DRIFT_STEP_S is a step (the clock was set, not
        corrected for drift): the measurement starts again there.  None until
        the corrections since then span DRIFT_MIN_SPAN_S: a few seconds over a
        few minutes are a wrong setting put right, not drift."""
        c = self.corrections
        start = 0
        for i, (_, d) in enumerate(c):
            if abs(d) > DRIFT_STEP_S:
                start = i
        c = c[start:]
        if len(c) < 2 or c[-1][0] - c[0][0] < DRIFT_MIN_SPAN_S:
            return None
        gained = -sum(d for _, d in c[1:])
        return round(gained / (c[-1][0] - c[0][0]) * 1e6, 2)

    def status(self):
        return {"time": int(self.engine.clock.time()), "drift_ppm": self.drift_ppm(),
                "rtc_offset_s": rtc_offset(self.engine.clock),
                "last_correction": self.corrections[-1] if self.corrections else None}

    def ntp(self):
        server = self.engine.params.get("clock.ntp_server")
        if not server:
            return None
        try:
            offset = sntp_offset(server, self.engine.clock)
        except OSError as err:
            log.warning("NTP query to %s failed: %s", server, err)
            return None
        if abs(offset) >= 1.0:
            self.set_time(self.engine.clock.time() + offset, source="ntp %s" % server)
        return offset

    # ------------------------------------------------------------ meters
    def plan_checks(self):
        e = self.engine
        for meter in e.archive_meters():
            if not registry.get(meter["protocol"]).clock:
                continue          # e.g. energy meters over Modbus: no clock we can read
            e.enqueue(jobs.Job(jobs.CLOCK, "clock", meter, kind="clock",
                               boundary=int(e.clock.time()) // 86400))

    def check_meter(self, job, reader):
        """Read one meter's clock, report and (when allowed) correct it."""
        e = self.engine
        meter = job.meter
        shown = reader.read_clock()
        if not shown:
            raise NotSupportedError("the meter reports no clock")
        cal = e.plan.calendar
        now = e.clock.time()
        y, mo, d = int(shown[0:4]), int(shown[5:7]), int(shown[8:10])
        h, mi, s = int(shown[11:13]), int(shown[14:16]), int(shown[17:19] or 0)
        deviation = cal.utc(y, mo, d, h, mi, s) - now
        threshold = int(e.params.get("clock.deviation_threshold_s"))
        off = e.health.clock_deviation(meter["id"], deviation, threshold)
        result = {"meter": meter["id"], "clock": shown, "deviation_s": round(deviation)}
        if off and e.params.get("clock.correct_meters"):
            result["corrected"] = self.correct(meter, reader, deviation)
        return result

    def correct(self, meter, reader, deviation):
        """Correct one meter's clock within its protocol's limits; says what was done."""
        e = self.engine
        cal = e.plan.calendar
        now = e.clock.time()
        if not safe_for_time_sync(cal, now):
            return "postponed: within 5 minutes of the hour or midnight"
        parts = cal.local(now)
        row = registry.get(meter["protocol"])
        limit = min(300, int(e.params.get("clock.broadcast_limit_s")))
        if row.broadcast_time and abs(deviation) <= limit:
            # a radio meter's session line broadcasts through the module (05H F3)
            bus = e.bus_of(meter)
            today = cal.iso(now)[:10]
            if self.synced_today.get(bus) == today:
                return "broadcast already sent today on %s" % bus
            self.synced_today[bus] = today
            meters.broadcast_time(reader.port, row.name, parts)
            e.store.log("operation", now, "broadcast time sync on %s" % bus)
            return "broadcast"
        why = reader.clock_writable()
        if why is None:
            reader.set_clock(parts)
            return "written"
        if row.broadcast_time:
            return "%s: beyond the %d s broadcast limit" % (why, limit)
        return why
