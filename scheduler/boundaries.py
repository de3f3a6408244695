"""Freeze boundaries in the concentrator's local time (architecture: Freezing).

* hourly: every hour at :00
* daily: every day at 00:00
* monthly: the settlement day (default the 1st) at the settlement hour (00:00)

All in a fixed UTC offset (``time.tz_offset_min``, default +480, Asia/Shanghai).
Zones with daylight saving are not supported: a boundary must be one instant.
Timestamps are UTC epoch seconds; boundaries are returned as such.
"""

import calendar
import time

KINDS = ("hourly", "daily", "monthly")
PERIOD = {"hourly": 3600, "daily": 86400}


class Calendar:
    """Boundary arithmetic for one zone offset and settlement day/hour."""

    def __init__(self, tz_offset_s=8 * 3600, settlement_day=1, settlement_hour=0):
        self.tz = int(tz_offset_s)
        self.day = int(settlement_day)
        self.hour = int(settlement_hour)

    def local(self, ts):
        """(year, month, day, hour, minute, second) of ``ts`` in local time."""
        tm = time.gmtime(int(ts) + self.tz)
        return tm[0:6]

    def iso(self, ts):
        """Local ISO text, as a meter shows it: 2026-11-23T00:00:00."""
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(ts) + self.tz))

    def utc(self, y, mo, d, h=0, mi=0, s=0):
        return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - self.tz

    def floor(self, kind, ts):
        """The latest boundary of ``kind`` at or before ``ts``."""
        ts = int(ts)
        if kind == "hourly":
            return ts - (ts + self.tz) % 3600
        if kind == "daily":
            return ts - (ts + self.tz) % 86400
        if kind == "monthly":
            y, mo, d, h, _, _ = self.local(ts)
            b = self.utc(y, mo, self.day, self.hour)
            if b > ts:
                y, mo = (y - 1, 12) if mo == 1 else (y, mo - 1)
                b = self.utc(y, mo, self.day, self.hour)
            return b
        raise ValueError("boundary kind is hourly, daily or monthly, not %r" % kind)

    def next(self, kind, ts):
        """The first boundary strictly after ``ts``."""
        if kind in PERIOD:
            return self.floor(kind, ts) + PERIOD[kind]
        y, mo, _, _, _, _ = self.local(self.floor(kind, ts))
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        return self.utc(y, mo, self.day, self.hour)

    def previous(self, kind, boundary):
        """The boundary before ``boundary`` (itself a boundary)."""
        if kind in PERIOD:
            return boundary - PERIOD[kind]
        return self.floor(kind, boundary - 1)

    def between(self, kind, start, end):
        """Boundaries b with start <= b < end, oldest first."""
        out = []
        b = self.floor(kind, end - 1) if end > start else None
        while b is not None and b >= start:
            out.append(b)
            b = self.previous(kind, b)
        out.reverse()
        return out

    def steps(self, kind, older, newer):
        """How many boundaries ``newer`` is after ``older`` (0 when equal)."""
        if kind in PERIOD:
            return (newer - older) // PERIOD[kind]
        y1, m1 = self.local(older)[0:2]
        y2, m2 = self.local(newer)[0:2]
        return (y2 - y1) * 12 + (m2 - m1)
