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
    """The system clock, with the agent's own correction.

    ``set(t)`` corrects the agent's time without touching the system clock
    (which needs root and moves every other program); the correction is
    kept in ``offset`` and persisted by the engine.
    """

    def __init__(self, tz_offset=SHANGHAI, offset=0.0):
        self.tz_offset = tz_offset
        self.offset = float(offset)

    def time(self):
        return _time.time() + self.offset

    def set(self, wall_time):
        self.offset = float(wall_time) - _time.time()

    def monotonic(self):
        return _time.monotonic()

    def sleep(self, seconds):
        if seconds > 0:
            _time.sleep(seconds)

    def wait(self, event, timeout=None):
        if event is None:
            self.sleep(timeout or 0)
            return False
        return event.wait(timeout)

    def notify(self):
        """Part of the virtual-clock protocol; nothing to do on the real clock."""

    def register(self):
        """Part of the virtual-clock protocol; nothing to do on the real clock."""

    def unregister(self):
        pass


class _Waiter:
    __slots__ = ("deadline", "event", "cond")

    def __init__(self, lock):
        self.deadline = None
        self.event = None
        self.cond = threading.Condition(lock)


class VirtualClock:
    """Time that moves when told to, or when every registered thread sleeps.

    ``time()`` and ``monotonic()`` advance together; ``set(t)`` moves the wall
    time only (a clock jump), like setting the RTC.  With ``auto=True`` a
    thread that calls ``register()`` is counted; when all registered threads
    are blocked in ``sleep``/``wait`` on this clock, time jumps to the
    earliest deadline.  Unregistered threads may sleep too: they wait until
    time passes their deadline (moved by others or by ``advance``).

    Each sleeping thread has its own condition, so a jump wakes only the
    threads whose time has come (a bus of workers would otherwise all wake
    at every step and queue on one lock).
    """

    def __init__(self, start=1_790_000_000.0, tz_offset=SHANGHAI, auto=False):
        self.tz_offset = tz_offset
        self._offset = float(start)   # wall time minus monotonic time
        self._mono = 0.0
        self._lock = threading.Lock()
        self._auto = auto
        self._registered = set()
        self._asleep = {}             # thread ident -> _Waiter of a sleeping thread
        self._waiters = {}            # thread ident -> its _Waiter (reused)

    # ---- reading
    def time(self):
        with self._lock:
            return self._offset + self._mono

    def monotonic(self):
        with self._lock:
            return self._mono

    # ---- moving
    def advance(self, seconds):
        """Move time forward by ``seconds`` (waking sleepers whose time came)."""
        with self._lock:
            self._mono += max(0.0, seconds)
            self._wake_due()

    def set(self, wall_time):
        """Jump the wall clock (a clock set); monotonic time does not move."""
        with self._lock:
            self._offset = float(wall_time) - self._mono

    # ---- threads taking part in auto-advance
    def register(self):
        with self._lock:
            self._registered.add(threading.get_ident())

    def unregister(self):
        with self._lock:
            me = threading.get_ident()
            self._registered.discard(me)
            self._asleep.pop(me, None)
            self._maybe_jump()

    def _wake_due(self):
        # lock held: wake the sleepers whose deadline passed or event is set
        for w in self._asleep.values():
            if (w.deadline is not None and w.deadline <= self._mono) or \
                    (w.event is not None and w.event.is_set()):
                w.cond.notify()

    def _maybe_jump(self):
        # lock held: if every registered thread sleeps, jump to the earliest deadline
        if not self._auto:
            return
        asleep = self._asleep
        threads = self._registered or asleep.keys()   # nobody registered: the sleepers
        pending = None
        for t in threads:
            w = asleep.get(t)
            if w is None or (w.event is not None and w.event.is_set()):
                return            # someone is awake, or about to wake
            if w.deadline is not None and (pending is None or w.deadline < pending):
                pending = w.deadline
        if pending is None:
            return
        if pending > self._mono:
            self._mono = pending
        self._wake_due()

    def sleep(self, seconds):
        self.wait(None, seconds)

    def wait(self, event, timeout=None):
        """Wait for ``event`` (may be None) or ``timeout`` virtual seconds."""
        me = threading.get_ident()
        with self._lock:
            w = self._waiters.get(me)
            if w is None:
                w = self._waiters[me] = _Waiter(self._lock)
            w.deadline = None if timeout is None else self._mono + max(0.0, timeout)
            w.event = event
            try:
                while True:
                    if event is not None and event.is_set():
                        return True
                    if w.deadline is not None and self._mono >= w.deadline:
                        return event.is_set() if event is not None else False
                    self._asleep[me] = w
                    self._maybe_jump()
                    if (w.deadline is not None and self._mono >= w.deadline) or \
                            (event is not None and event.is_set()):
                        continue
                    # events set by other threads come with notify(); a short
                    # real timeout also covers an event set without it
                    w.cond.wait(0.05 if event is not None else None)
            finally:
                self._asleep.pop(me, None)

    def notify(self):
        """Wake waiters whose event is set (call after setting such an Event)."""
        with self._lock:
            self._wake_due()

    def busy(self):
        """Mark the calling registered thread awake (e.g. when work arrives)."""
        with self._lock:
            self._asleep.pop(threading.get_ident(), None)


class ShiftedClock:
    """Another clock's time plus a settable offset; sleeping and monotonic time
    are the base clock's.  A concentrator whose clock is wrong, or is set,
    while the meters (on the base clock) keep true time."""

    def __init__(self, base, offset=0.0):
        self.base = base
        self.offset = float(offset)
        self.tz_offset = base.tz_offset

    def time(self):
        return self.base.time() + self.offset

    def set(self, wall_time):
        self.offset = float(wall_time) - self.base.time()

    def monotonic(self):
        return self.base.monotonic()

    def sleep(self, seconds):
        self.base.sleep(seconds)

    def wait(self, event, timeout=None):
        return self.base.wait(event, timeout)

    def notify(self):
        getattr(self.base, "notify", lambda: None)()

    def register(self):
        self.base.register()

    def unregister(self):
        self.base.unregister()

    def __getattr__(self, name):      # advance(), busy() of a virtual base
        return getattr(self.base, name)

