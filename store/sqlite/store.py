"""The local store: one SQLite file (readings, events, logs, outbox, state)."""

from store.sqlite.batches import Batches
from store.sqlite.db import Database
from store.sqlite.journal import Journal
from store.sqlite.maintenance import Maintenance
from store.sqlite.outbox import Outbox
from store.sqlite.readings import Readings


class Store(Database, Readings, Journal, Outbox, Batches, Maintenance):
    """See the mixins: store.readings, store.journal, store.outbox, store.batches,
    store.maintenance."""

    def __init__(self, path, synchronous="full"):
        Database.__init__(self, path, synchronous)
        self._init_ids()
