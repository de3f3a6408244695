"""The SQLite file: connections, pragmas chosen for flash, schema and migrations.

* WAL journal: readers never block the writer; a killed process loses no
  committed transaction and leaves a consistent file.
* ``synchronous=FULL`` by default: a commit survives a power cut, which
  concentrator boards see often (``store.synchronous = "normal"`` trades
  that for fewer flash writes).
* ``auto_vacuum=INCREMENTAL``: pages freed by pruning go back to the file
  system only when pruning asks for it, in bounded steps.  A file made
  without it (by an early version) is converted once when it is opened
  (``VACUUM``: it needs as much free space again as the file takes; when
  that fails the file works on but cannot shrink, and the log says so).
* ``journal_size_limit`` caps the WAL file left behind after a checkpoint.
* Reading tables are keyed by one integer that puts time first (see
  ``store.sqlite.codec``), so inserts append at the end of the B-tree and pages fill
  completely: no index besides the key, no JSON per reading.

One connection per thread (``threading.local``), closed when its thread
ends: the console serves each request, and MQTT each slow command, on a
thread of its own, so a connection kept after its thread would leak two
descriptors (the file and its WAL) per request.  Writes take ``BEGIN
IMMEDIATE`` so two writers queue instead of deadlocking.

``on_commit(callback)``: listeners called after each COMMIT that added
outbox rows (records to go upstream), in the committing thread, after the
write lock is released -- the uplink's forwarder sleeps until then instead
of polling.

A full disk (``SQLITE_FULL``) makes a write raise ``StoreFullError`` (one
exception with the file and the fix, the transaction rolled back); what
follows from it, and from the byte budget, is in ``store.sqlite.watch``.
"""

import logging
import os
import sqlite3
import threading
import weakref
from contextlib import contextmanager

from store.errors import StoreError

log = logging.getLogger(__name__)

KINDS = ("realtime", "hourly", "daily", "monthly")

SCHEMA = [
    # version 1
    """
    CREATE TABLE meters (id INTEGER PRIMARY KEY, mid TEXT NOT NULL UNIQUE);
    CREATE TABLE quantities (id INTEGER PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL,
                             vtype INTEGER NOT NULL, UNIQUE (name, unit));
    CREATE TABLE texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    CREATE TABLE r_realtime (key INTEGER PRIMARY KEY, value INTEGER, flags INTEGER, dt INTEGER);
    CREATE TABLE r_hourly (key INTEGER PRIMARY KEY, value INTEGER, flags INTEGER, dt INTEGER);
    CREATE TABLE r_daily (key INTEGER PRIMARY KEY, value INTEGER, flags INTEGER, dt INTEGER);
    CREATE TABLE r_monthly (key INTEGER PRIMARY KEY, value INTEGER, flags INTEGER, dt INTEGER);
    CREATE TABLE events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL,
                         severity TEXT NOT NULL, meter TEXT, detail TEXT);
    CREATE TABLE logs (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, category INTEGER NOT NULL,
                       message TEXT NOT NULL, detail TEXT);
    CREATE INDEX logs_by_category ON logs (category, ts);
    CREATE TABLE outbox (id INTEGER PRIMARY KEY, stream INTEGER NOT NULL, ref INTEGER NOT NULL);
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
    CREATE TABLE gaps (meter_id INTEGER NOT NULL, kind INTEGER NOT NULL, ts INTEGER NOT NULL,
                       attempts INTEGER NOT NULL, failed INTEGER NOT NULL,
                       PRIMARY KEY (meter_id, kind, ts)) WITHOUT ROWID;
    """,
    # version 2: the uplink's batches (store-and-forward) and command replies
    """
    ALTER TABLE outbox ADD COLUMN seq INTEGER;
    CREATE INDEX outbox_by_seq ON outbox (seq) WHERE seq IS NOT NULL;
    CREATE TABLE batches (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL,
                          records INTEGER NOT NULL, created INTEGER NOT NULL);
    CREATE TABLE commands (id TEXT PRIMARY KEY, ts INTEGER NOT NULL, digest TEXT NOT NULL,
                           reply TEXT) WITHOUT ROWID;
    """,
]

VERSION = len(SCHEMA)


class SchemaError(StoreError):
    """The file belongs to a newer version of the product, or is not ours."""


class StoreFullError(StoreError):
    """A write failed because the file system holding the store is full
    (SQLITE_FULL); the transaction was rolled back."""


def _is_full(err):
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code == sqlite3.SQLITE_FULL
    return "database or disk is full" in str(err)


class _Connection:
    """One thread's connection, closed when the thread ends (its thread-local
    data, the one strong reference, goes then) or when the store closes."""

    __slots__ = ("conn", "owner", "stale", "__weakref__")

    def __init__(self, conn):
        self.conn = conn
        self.owner = threading.current_thread()
        self.stale = False          # the store was closed: the owner closes it at its next use

    def __del__(self):
        try:
            self.conn.close()
        except sqlite3.Error:
            pass


class Database:
    """Connections to one SQLite file, migrated to the current schema."""

    def __init__(self, path, synchronous="full"):
        self.path = str(path)
        if synchronous not in ("full", "normal"):
            raise ValueError("store.synchronous is full or normal, not %r" % synchronous)
        self.synchronous = synchronous
        self._local = threading.local()
        self._all = weakref.WeakSet()     # of _Connection: what close() must close
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._commit_listeners = []
        self._full_listeners = []
        self.full = None              # the error of the first failed write while the disk is full
        self.full_failures = 0        # writes failed on a full disk, ever (a counter)
        self._budget = None           # (bytes, callback) of watch_budget
        self._over_signalled = False
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        self._migrate()

    # ----------------------------------------------------------- connections
    def connect(self):
        held = getattr(self._local, "conn", None)
        if held is not None and held.stale:
            try:
                held.conn.close()
            except sqlite3.Error:
                pass
            held = None
        if held is None:
            c = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                check_same_thread=False)
            c.execute("PRAGMA busy_timeout = 30000")
            c.execute("PRAGMA synchronous = %s" % self.synchronous.upper())
            c.execute("PRAGMA foreign_keys = OFF")
            c.execute("PRAGMA journal_size_limit = 4194304")
            c.execute("PRAGMA cache_size = -2000")   # 2 MB per connection: small boards
            held = self._local.conn = _Connection(c)
            with self._lock:
                self._all.add(held)
        return held.conn

    @contextmanager
    def write(self):
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error).

        Writers of this process queue on a Python lock: SQLite's own busy
        handler would make a second writer sleep in milliseconds steps.
        """
        c = self.connect()
        try:
            with self._write_lock:
                self._local.queued = False
                c.execute("BEGIN IMMEDIATE")
                try:
                    yield c
                    c.execute("COMMIT")
                except BaseException:
                    self._local.queued = False
                    if c.in_transaction:      # SQLite may have rolled back already
                        c.execute("ROLLBACK")
                    raise
                queued, self._local.queued = self._local.queued, False
        except sqlite3.OperationalError as err:
            if not _is_full(err):
                raise
            full = StoreFullError(
                "%s: the file system is full (%s): nothing can be stored until space is freed "
                "(remove other files there, or lower store.budget_mb)" % (self.path, err),
                path=self.path)
            self.full_failures += 1
            self._set_full(full)
            raise full from err
        if self.full is not None:
            self._set_full(None)
        if queued:
            self._committed()
        if self._budget is not None:
            self._check_budget()

    # ------------------------------------------------------ notification
    def on_commit(self, callback):
        """Call ``callback()`` after every commit that added outbox rows;
        returns a function that removes it again."""
        self._commit_listeners.append(callback)

        def remove():
            if callback in self._commit_listeners:
                self._commit_listeners.remove(callback)
        return remove

    def _queued(self):
        """Inside ``write()``: this transaction adds outbox rows."""
        self._local.queued = True

    def _committed(self):
        for callback in list(self._commit_listeners):
            try:
                callback()
            except Exception:      # the commit stands; a failing listener must not undo it
                log.exception("store on_commit listener %r failed", callback)

    def close(self):
        """Close the connections of this thread and of threads that have ended.
        A connection another live thread holds is never closed under it (SQLite
        would free what that thread is stepping through): it closes when that
        thread ends or at its next use, which opens a fresh one."""
        me = threading.current_thread()
        with self._lock:
            for held in list(self._all):
                held.stale = True
                if held.owner is me or not held.owner.is_alive():
                    try:
                        held.conn.close()
                    except sqlite3.Error:
                        pass
                    self._all.discard(held)

    def open_connections(self):
        """How many connections of this store are open (one per thread that used it)."""
        return len(self._all)

    # ------------------------------------------------------------- schema
    def _migrate(self):
        c = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            fresh = c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            if fresh:
                # must precede the first table: page layout for incremental vacuum
                c.execute("PRAGMA auto_vacuum = INCREMENTAL")
                c.execute("PRAGMA page_size = 4096")
            mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise SchemaError("%s: cannot use WAL journal (%s): is it on a network or "
                                  "read-only file system?" % (self.path, mode))
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version > VERSION:
                raise SchemaError("%s has schema version %d, this program knows %d: upgrade the "
                                  "program or restore a backup" % (self.path, version, VERSION))
            if not fresh and version == 0:
                raise SchemaError("%s is not a concentrator store (no schema version): move it "
                                  "away (the agent then starts an empty store) or restore a "
                                  "backup" % self.path, path=self.path)
            if not fresh and c.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                self._convert(c)
            for v in range(version, VERSION):
                c.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _statements(SCHEMA[v]):
                        c.execute(statement)
                    c.execute("PRAGMA user_version = %d" % (v + 1))
                    c.execute("COMMIT")
                except BaseException:
                    c.execute("ROLLBACK")
                    raise
        except sqlite3.DatabaseError as err:
            raise SchemaError("%s: %s (not a SQLite store, or damaged: move it away to start "
                              "an empty store, or restore a backup)" % (self.path, err),
                              path=self.path) from err
        finally:
            c.close()

    def _convert(self, c):
        """A file made without incremental vacuum (an early version): convert
        it once, so that pruning can give pages back to the file system."""
        log.info("%s: converting to incremental vacuum (once)", self.path)
        try:
            c.execute("PRAGMA auto_vacuum = INCREMENTAL")
            c.execute("VACUUM")
        except sqlite3.OperationalError as err:
            log.warning("%s: cannot convert to incremental vacuum (%s): the store works, but "
                        "its file will not shrink after pruning until this succeeds at a later "
                        "start (it needs as much free space as the file takes)", self.path, err)

    def integrity_check(self):
        """PRAGMA integrity_check's first line: "ok", or the first problem (slow: reads every page)."""
        return self.connect().execute("PRAGMA integrity_check").fetchone()[0]

    def quick_check(self):
        """PRAGMA quick_check's text: "ok", or the problems found, one a line (no index checks)."""
        rows = self.connect().execute("PRAGMA quick_check").fetchall()
        return "\n".join(r[0] for r in rows)


def _statements(script):
    return [s.strip() for s in script.split(";") if s.strip()]
