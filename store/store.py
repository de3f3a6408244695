"""The local store: one SQLite file (readings, events, logs, outbox, state)."""

from store.batches import Batches
from store.db import Database
from store.journal import Journal
from store.maintenance import Maintenance
from store.outbox import Outbox
from store.readings import Readings


class Store(Database, Readings, Journal, Outbox, Batches, Maintenance):
    """See the mixins: store.readings, store.journal, store.outbox, store.batches,
    store.maintenance."""

    def __init__(self, path, synchronous="full"):
        Database.__init__(self, path, synchronous)
        self._init_ids()
