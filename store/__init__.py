"""Local store: SQLite for readings, events, logs and the outbox; TinyDB for archive and parameters."""
