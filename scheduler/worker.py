"""One worker thread per bus: it alone talks on its line (principle 4).

A serial bus worker owns a ``drivers.port.Port``; the radio worker owns a
``drivers.radio.RadioModule`` and reaches each radio meter through a
``RadioChannel``.  Jobs come from the bus's priority queue; meter sessions
(``drivers.meters``, chosen by the registry) are made per meter from the
archive record, its options passed as the session's keyword arguments, and
kept until the archive changes.

Progress (the watchdog's question, ``progressing``): a worker is idle on an
empty queue, or its port finished or started a transaction within a bound.
A bus that fails is making progress; one stuck in a transaction is not.
After each job the engine's bus health hears whether the bus completed a
transaction in it (``bus_unusable`` when none did for a while).
"""

import logging
import threading

from drivers.errors import DriverError
from drivers.port import Port
from drivers.radio import RadioChannel, RadioModule
from drivers.meters import make_session, session_options
from store import StoreFullError

log = logging.getLogger(__name__)


class Worker(threading.Thread):
    def __init__(self, engine, name, bus, queue):
        super().__init__(name="bus-%s" % name, daemon=True)
        self.engine = engine
        self.bus_name = name
        self.bus = bus
        self.queue = queue
        self.stopping = False
        self.current = None
        self.readers = {}
        self.revision = None
        self.radio_ready = False
        self.port = bus if isinstance(bus, Port) else getattr(bus, "port", None)
        self.busy_since = None        # clock.monotonic() when the job on the bus began

    def stop(self):
        """Stop after the job on the bus; its transaction is cut short (interrupt)."""
        self.stopping = True
        if self.port is not None:
            self.port.interrupt()
        self.queue.ready.set()
        self.engine.clock.notify()

    def progressing(self, now, bound):
        """Idle, or a transaction finished or began within ``bound`` seconds of ``now``."""
        since = self.busy_since
        if since is None:
            return True
        if self.port is not None:
            since = max(since, self.port.progress)
        return now - since < bound

    def _replies(self):
        return self.port.counters.port.replies if self.port is not None else 0

    def start(self):
        if self.port is not None:
            self.port.resume()        # a port interrupted by an earlier stop
        super().start()

    def run(self):
        clock = self.engine.clock
        clock.register()
        try:
            while not self.stopping:
                job = self.queue.get()
                if job is None:
                    clock.wait(self.queue.ready, None if hasattr(clock, "advance") else 1.0)
                    continue
                self.current = job
                self.busy_since = clock.monotonic()
                replies = self._replies()
                try:
                    self._execute(job)
                except StoreFullError as err:  # the engine's store watch reports it, once
                    job.finish(error=err)
                except Exception as err:       # a bug must not kill the bus: log it, go on
                    log.exception("job %r failed: %s", job, err)
                    job.finish(error=err)
                finally:
                    self.current = None
                    if job.meter is not None and not self.stopping:
                        self.engine.bus_health.done(self.bus_name,
                                                    self._replies() > replies, job.error)
                    self.engine.job_done(job)
                    self.busy_since = None
        finally:
            clock.unregister()

    def _execute(self, job):
        if job.meter is None:
            job.fn(self)                    # a bus-wide action (broadcast)
            job.finish()
            return
        reader = self.reader_for(job.meter)
        if reader is None:
            job.finish(error="radio module not ready")
            return
        self.engine.acquirer.run(job, reader)

    def reader_for(self, meter):
        rev = self.engine.archive_revision()
        if rev != self.revision:
            self.readers = {}
            self.revision = rev
            self.radio_ready = False
        if isinstance(self.bus, RadioModule) and not self.radio_ready:
            if not self.setup_radio():
                return None
        r = self.readers.get(meter["id"])
        if r is None:
            line = self.bus
            if isinstance(self.bus, RadioModule):
                line = RadioChannel(self.bus, meter["address"], meter["protocol"])
            r = make_session(line, meter["protocol"], meter["address"], kind=meter.get("kind"),
                             **session_options(meter))
            self.readers[meter["id"]] = r
        return r

    def setup_radio(self):
        """Module init and node table = the archive's radio meters."""
        e = self.engine
        wanted = dict((m["address"], m["protocol"]) for m in e.archive_meters()
                      if e.bus_of(m) == self.bus_name)
        try:
            self.bus.init()
            added, deleted = self.bus.sync_nodes(wanted)
        except DriverError as err:
            log.warning("radio module on %s not ready: %s", self.bus_name, err)
            return False
        if added or deleted:
            e.store.log("operation", e.clock.time(), "radio node table: %d added, %d deleted" %
                        (len(added), len(deleted)), {"added": added, "deleted": deleted})
        self.radio_ready = True
        return True
