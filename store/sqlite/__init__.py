"""The SQLite half of the store: one file for readings, events, logs, state,
catch-up gaps and the uplink outbox; ``store.sqlite.store.Store`` composes
the mixins (db, readings, journal, outbox, batches, gaps, maintenance) and
``codec`` packs a reading into two integers."""
