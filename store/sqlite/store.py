"""The SQLite store: one file for readings, events, logs, state, catch-up gaps and the
uplink outbox and batches, as one class made of the mixins of ``store.sqlite``."""

from store.sqlite.batches import Batches
from store.sqlite.db import Database
from store.sqlite.gaps import Gaps
from store.sqlite.journal import Journal
from store.sqlite.maintenance import Maintenance
from store.sqlite.outbox import Outbox
from store.sqlite.readings import Readings
from store.sqlite.watch import Watch


class Store(Database, Watch, Readings, Journal, Outbox, Batches, Gaps, Maintenance):
    """See the mixins: db, watch, readings, journal, outbox, batches, gaps
    and maintenance in store.sqlite."""

    def __init__(self, path, synchronous="full"):
        Database.__init__(self, path, synchronous)
        self._init_ids()
