"""The one clock every part asks for the time and for sleeping (principle 3).

It lives in ``drivers/`` because both the scheduler and the simulator import
``drivers/`` and the arrows forbid the simulator to import the scheduler.

* ``time()``: UTC epoch seconds (wall time; settable on the virtual clock).
* ``monotonic()``: seconds that never go back (timeouts, pacing).
* ``sleep(s)``: wait; on the virtual clock nobody waits for real.
* ``wait(event, timeout)``: wait for a ``threading.Event`` or the timeout.
* ``tz_offset``: the concentrator's local UTC offset in seconds (freeze
  boundaries are local; default Asia/Shanghai, UTC+8, which has no DST).

``VirtualClock`` moves only when told (``advance``, ``set``) or, with
``auto=True``, when every thread registered with it is asleep on it: then it
jumps to the earliest wake-up.  That is how the whole agent runs a month of
virtual time in minutes.
"""

import threading
import time as _time

SHANGHAI = 8 * 3600


class RealClock:
    """The system clock."""

    def __init__(self, tz_offset=SHANGHAI):
        self.tz_offset = tz_offset

    def time(self):
        return _time.time()

    def monotonic(self):
        return _time.monotonic()

    def sleep(self, seconds):
        if seconds > 0:
            _time.sleep(seconds)

    def wait(self, event, timeout=None):
        return event.wait(timeout)

    def register(self):
        """Part of the virtual-clock protocol; nothing to do on the real clock."""

    def unregister(self):
        pass


class VirtualClock:
    """Time that moves when told to, or when every registered thread sleeps.

    ``time()`` and ``monotonic()`` advance together; ``set(t)`` moves the wall
    time only (a clock jump), like setting the RTC.  With ``auto=True`` a
    thread that calls ``register()`` is counted; when all registered threads
    are blocked in ``sleep``/``wait`` on this clock, time jumps to the
    earliest deadline.  Unregistered threads may sleep too: they wait until
    time passes their deadline (moved by others or by ``advance``).
    """

    def __init__(self, start=1_790_000_000.0, tz_offset=SHANGHAI, auto=False):
        self.tz_offset = tz_offset
        self._offset = float(start)   # wall time minus monotonic time
        self._mono = 0.0
        self._cond = threading.Condition()
        self._auto = auto
        self._registered = set()
        self._asleep = {}             # thread ident -> deadline (monotonic)

    # ---- reading
    def time(self):
        with self._cond:
            return self._offset + self._mono

    def monotonic(self):
        with self._cond:
            return self._mono

    # ---- moving
    def advance(self, seconds):
        """Move time forward by ``seconds`` (waking sleepers whose time came)."""
        with self._cond:
            self._mono += max(0.0, seconds)
            self._cond.notify_all()

    def set(self, wall_time):
        """Jump the wall clock (a clock set); monotonic time does not move."""
        with self._cond:
            self._offset = float(wall_time) - self._mono
            self._cond.notify_all()

    # ---- threads taking part in auto-advance
    def register(self):
        with self._cond:
            self._registered.add(threading.get_ident())

    def unregister(self):
        with self._cond:
            self._registered.discard(threading.get_ident())
            self._asleep.pop(threading.get_ident(), None)
            self._maybe_jump()

    def _maybe_jump(self):
        # called with the lock held: if every registered thread sleeps, jump
        if not self._auto:
            return
        # with nobody registered, the sleepers themselves are everybody
        threads = self._registered or set(self._asleep)
        if not all(t in self._asleep for t in threads):
            return
        pending = [d for t, d in self._asleep.items() if t in threads and d is not None]
        if not pending:
            return
        target = min(pending)
        if target > self._mono:
            self._mono = target
        self._cond.notify_all()

    def sleep(self, seconds):
        self.wait(None, seconds)

    def wait(self, event, timeout=None):
        """Wait for ``event`` (may be None) or ``timeout`` virtual seconds."""
        me = threading.get_ident()
        with self._cond:
            deadline = None if timeout is None else self._mono + max(0.0, timeout)
            while True:
                if event is not None and event.is_set():
                    self._asleep.pop(me, None)
                    return True
                if deadline is not None and self._mono >= deadline:
                    self._asleep.pop(me, None)
                    return event.is_set() if event is not None else False
                self._asleep[me] = deadline
                self._maybe_jump()
                if deadline is not None and self._mono >= deadline:
                    continue
                # events set from other threads call notify() on this clock;
                # a short real timeout also covers events set without it
                self._cond.wait(0.05 if event is not None else None)

    def notify(self):
        """Wake waiters (call after setting an Event that a waiter watches)."""
        with self._cond:
            self._cond.notify_all()

    def busy(self):
        """Mark the calling registered thread awake (e.g. when work arrives)."""
        with self._cond:
            self._asleep.pop(threading.get_ident(), None)


def local_parts(clock_or_time, tz_offset=None):
    """(year, month, day, hour, minute, second, weekday 0=Monday) in local time."""
    if hasattr(clock_or_time, "time"):
        t = clock_or_time.time()
        off = clock_or_time.tz_offset if tz_offset is None else tz_offset
    else:
        t = clock_or_time
        off = SHANGHAI if tz_offset is None else tz_offset
    tm = _time.gmtime(int(t // 1) + off)
    return (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday)
