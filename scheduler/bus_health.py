"""Bus health: a whole bus that completes nothing, raised once per episode.

``BUS_UNUSABLE_AFTER`` jobs in a row on one bus without a single completed
transaction (noise on the line, the line gone, every meter silent) ->
``bus_unusable`` (critical, with the bus, the jobs and the last error); the
next job that completes one -> ``bus_usable_again``.  Meanwhile the bus is
polled as ever.  The episodes are kept in the store (``health.buses``), so a
restart does not raise one twice.
"""

import threading

STATE_KEY = "health.buses"
BUS_UNUSABLE_AFTER = 10           # jobs in a row on a bus without one completed transaction


class BusHealth:
    """Episode tracking for every bus; thread-safe (each bus's worker calls it)."""

    def __init__(self, store, clock, unusable_after=BUS_UNUSABLE_AFTER):
        self.store = store
        self.clock = clock
        self.unusable_after = unusable_after
        self._lock = threading.Lock()
        self.unusable = store.get_state(STATE_KEY, {})   # bus -> detail of its bus_unusable
        self.failures = {}                               # bus -> jobs in a row without a reply

    def done(self, bus, completed, error=None):
        """A job on ``bus`` ended; ``completed``: a transaction got its reply."""
        with self._lock:
            if completed:
                self.failures[bus] = 0
                if self.unusable.pop(bus, None) is None:
                    return
                event, severity, detail = "bus_usable_again", "info", {"bus": bus}
            else:
                n = self.failures.get(bus, 0) + 1
                self.failures[bus] = n
                if n < self.unusable_after or bus in self.unusable:
                    return
                event, severity = "bus_unusable", "critical"
                detail = self.unusable[bus] = {"bus": bus, "jobs": n,
                                               "error": str(error)[:200] if error else None}
            self.store.set_state(STATE_KEY, self.unusable)
        self.store.put_event(self.clock.time(), event, severity, None, detail)

    def unusable_buses(self):
        with self._lock:
            return sorted(self.unusable)
