"""A meter's own clock, and the freeze boundaries it keeps by that clock.

``MeterClock`` is a piecewise-linear function of true time ``t`` (UTC epoch
seconds from the bench's Clock)::

    meter_time(t) = t + offset + drift_ppm * (t - t_set) / 1e6

Each ``set_time`` (a time sync, a clock write) or ``set_drift`` (the
clock-drift fault) starts a new segment at the true instant it happened and
keeps the old ones, so the meter's reading at any past instant stays known.
``reached(B)`` is the first true instant at which the meter's clock showed
``B`` or later: when the meter took a freeze at boundary ``B``.  A clock set
that jumps over ``B`` freezes at the jump; one that jumps back does not
freeze ``B`` a second time.

Meter times are epoch seconds too; the meter shows them in local time with
the bench clock's ``tz_offset`` (``local_iso``).  Boundaries follow
spec/architecture.md "Freezing": hourly at :00, daily at 00:00, monthly on
the settlement day at the settlement hour (default the 1st, 00:00).
"""

import calendar
import datetime

HOUR = 3600
DAY = 86400
KINDS = ("hourly", "daily", "monthly")
_EPOCH = datetime.datetime(1970, 1, 1)


class MeterClock:
    """Piecewise meter time as a function of true time (see module docstring)."""

    def __init__(self, t0, offset=0.0, drift_ppm=0.0):
        t0 = float(t0)
        self._segs = [(t0, t0 + float(offset), float(drift_ppm))]

    def _seg(self, t):
        segs = self._segs
        for k in range(len(segs) - 1, -1, -1):
            if segs[k][0] <= t:
                return segs[k]
        return segs[0]

    def time(self, t):
        start, base, ppm = self._seg(t)
        return base + (t - start) * (1.0 + ppm / 1e6)

    @property
    def drift_ppm(self):
        return self._segs[-1][2]

    def _append(self, t, base, ppm):
        t = max(t, self._segs[0][0])      # nothing happens to the clock before install
        # a set in the "past" of a later scheduled segment replaces it
        self._segs = [s for s in self._segs if s[0] < t] or [self._segs[0]]
        if self._segs[-1][0] == t:
            self._segs[-1] = (t, base, ppm)
        else:
            self._segs.append((t, base, ppm))

    def set_time(self, new, t):
        """The meter's clock is set to ``new`` at true time ``t`` (drift goes on)."""
        self._append(float(t), float(new), self._seg(t)[2])

    def set_drift(self, ppm, t):
        """From true time ``t`` on the clock runs ``ppm`` parts per million fast."""
        self._append(float(t), self.time(t), float(ppm))

    def reached(self, target):
        """First true instant with meter_time >= ``target``, or None if never."""
        segs = self._segs
        for k in range(len(segs)):
            start, base, ppm = segs[k]
            if base >= target:
                return start
            rate = 1.0 + ppm / 1e6
            if rate <= 0:
                continue
            t = start + (target - base) / rate
            if k + 1 == len(segs) or t < segs[k + 1][0]:
                return t
        return None


# ------------------------------------------------------------ calendar ---

def local_datetime(epoch, tz_offset):
    """Naive local datetime (whole seconds) of an epoch time."""
    return _EPOCH + datetime.timedelta(seconds=int(epoch // 1) + tz_offset)


def epoch_of_local(dt, tz_offset):
    """Epoch seconds of a naive local datetime."""
    return calendar.timegm(dt.timetuple()) - tz_offset


def local_iso(epoch, tz_offset, minutes=False):
    dt = local_datetime(epoch, tz_offset)
    return dt.strftime("%Y-%m-%dT%H:%M:00" if minutes else "%Y-%m-%dT%H:%M:%S")


def parse_local_iso(text, tz_offset):
    """``YYYY-MM-DDThh:mm[:ss]`` (local) to epoch seconds."""
    dt = datetime.datetime.fromisoformat(str(text))
    return epoch_of_local(dt, tz_offset)


def _month_back(y, m, k):
    idx = y * 12 + (m - 1) - k
    return idx // 12, idx % 12 + 1


class Boundaries:
    """Freeze boundaries of one meter: hourly, daily, monthly (settlement)."""

    def __init__(self, tz_offset, settle_day=1, settle_hour=0):
        if not 1 <= settle_day <= 28 or not 0 <= settle_hour <= 23:
            raise ValueError("settlement day is 1..28 and hour 0..23")
        self.tz = int(tz_offset)
        self.settle_day = settle_day
        self.settle_hour = settle_hour

    def latest(self, kind, mt):
        """The most recent boundary of ``kind`` at or before meter time ``mt``."""
        if kind == "hourly":
            return ((int(mt // 1) + self.tz) // HOUR) * HOUR - self.tz
        if kind == "daily":
            return ((int(mt // 1) + self.tz) // DAY) * DAY - self.tz
        if kind == "monthly":
            dt = local_datetime(mt, self.tz)
            b = self._month(dt.year, dt.month, 0)
            return b if b <= mt else self._month(dt.year, dt.month, 1)
        raise ValueError("boundary kind is hourly, daily or monthly, got %r" % (kind,))

    def _month(self, y, m, back):
        y, m = _month_back(y, m, back)
        return epoch_of_local(datetime.datetime(y, m, self.settle_day, self.settle_hour), self.tz)

    def nth(self, kind, n, mt):
        """The ``n``-th most recent boundary (n = 1 the latest) at meter time ``mt``."""
        last = self.latest(kind, mt)
        if kind == "hourly":
            return last - (n - 1) * HOUR
        if kind == "daily":
            return last - (n - 1) * DAY
        dt = local_datetime(last, self.tz)
        return self._month(dt.year, dt.month, n - 1)

    def index(self, kind, boundary, mt):
        """n such that ``nth(kind, n, mt) == boundary``; None when ``boundary``
        is not a boundary of ``kind`` or lies after ``mt``."""
        last = self.latest(kind, mt)
        b = int(boundary // 1)
        if b != boundary or b > last:
            return None
        if kind in ("hourly", "daily"):
            step = HOUR if kind == "hourly" else DAY
            if (last - b) % step:
                return None
            return (last - b) // step + 1
        dt = local_datetime(b, self.tz)
        if (dt.day, dt.hour, dt.minute, dt.second) != (self.settle_day, self.settle_hour, 0, 0):
            return None
        ldt = local_datetime(last, self.tz)
        return (ldt.year * 12 + ldt.month) - (dt.year * 12 + dt.month) + 1
