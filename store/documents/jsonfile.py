"""A TinyDB storage that a power cut cannot break, and helpers for whole documents.

TinyDB's own ``JSONStorage`` truncates the file and writes it in place: a
power cut in between leaves half a file, and the archive with it.  Here every
write goes to a temporary file in the same directory, which is flushed and
fsync'ed, then ``os.replace``'d over the target, and the directory is fsync'ed
so the rename itself survives.  After a power cut the file is either the old
or the new one, never a mix.  (``CachingMiddleware`` delays and batches writes
and so would give that up; it is not used.)

Reads are cached: the parsed document is kept together with the file's
identity (inode, size, mtime).  ``os.replace`` gives every write a new inode,
so a change by another process (the CLI while the agent runs) is noticed by a
single ``stat``.  The archive and the parameters change rarely, so every
change is written at once; there is no write-behind.

Every read and write holds a lock shared by all storages of the same path in
this process (the agent has several threads).  Between processes, writers
re-read the file under the lock just before they change it, which narrows the
window for a lost update to the instant of two simultaneous writes.

``AtomicJSONStorage`` is a plain TinyDB storage (``TinyDB(path,
storage=AtomicJSONStorage)`` works).  The archive and the parameters do not go
through TinyDB's ``Table`` API for changes, because it writes one table per
call: a meter change touches the ``meters`` table and the revision in
``_meta``, and both must land in one atomic write.  ``update`` does that: it
reads the whole TinyDB document, lets the caller change it and writes it back
in one piece.  The file stays a TinyDB document throughout.
"""

import copy
import json
import os
import tempfile
import threading

from tinydb import TinyDB
from tinydb.storages import Storage

from store.errors import StoreFileError

_LOCKS = {}
_LOCKS_GUARD = threading.Lock()


def path_lock(path):
    """The one re-entrant lock of ``path`` in this process."""
    key = os.path.realpath(os.fspath(path))
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = threading.RLock()
        return lock


def fsync_dir(directory):
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path, data):
    """Write ``data`` (bytes) to ``path``: temp file, flush, fsync, replace, fsync dir.

    On any failure the temporary file is removed and the old file is left as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)      # like the SQLite store: a new data directory
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)


def check_document(doc, path):
    """Raise ``StoreFileError`` unless ``doc`` has TinyDB's shape: {table: {doc_id: {...}}}."""
    if not isinstance(doc, dict):
        raise StoreFileError("%s is not a TinyDB document: it holds a JSON %s, expected an object "
                             "of tables" % (path, type(doc).__name__), path=path,
                             hint="restore it from a backup, or move it away to start empty")
    for table, docs in doc.items():
        if not isinstance(docs, dict):
            raise StoreFileError("%s is not a TinyDB document: table %r holds a JSON %s, expected "
                                 "an object of documents" % (path, table, type(docs).__name__),
                                 path=path, table=table,
                                 hint="restore it from a backup, or move it away to start empty")
        for doc_id, row in docs.items():
            if not doc_id.isdigit() or not isinstance(row, dict):
                raise StoreFileError("%s is not a TinyDB document: table %r, document %r is not "
                                     "an object under a numeric id" % (path, table, doc_id),
                                     path=path, table=table, key=doc_id,
                                     hint="restore it from a backup, or fix the entry")


class AtomicJSONStorage(Storage):
    """TinyDB storage: JSON in one file, replaced atomically on every write.

    ``read()`` gives ``None`` for a missing file (TinyDB: empty), a deep copy of
    the document otherwise (callers may change it freely); a file that is not
    JSON or not a TinyDB document raises ``StoreFileError`` naming the file.
    """

    def __init__(self, path, indent=1, **_ignored):
        # TinyDB passes its own keyword arguments (access_mode, ...) through
        self.path = os.fspath(path)
        self.indent = indent
        self.lock = path_lock(self.path)
        self._cache = None  # (identity, document)

    def _identity(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def identity(self):
        """The file's identity now (changes with every write), or None when it is missing."""
        with self.lock:
            return self._identity()

    def read(self):
        with self.lock:
            ident = self._identity()
            if ident is None:
                self._cache = None
                return None
            if self._cache is not None and self._cache[0] == ident:
                return copy.deepcopy(self._cache[1])
            try:
                with open(self.path, "rb") as f:
                    raw = f.read()
            except OSError as err:
                raise StoreFileError("cannot read %s: %s" % (self.path, err.strerror or err),
                                     path=self.path, hint="check the file's permissions") from err
            if not raw.strip():
                raise StoreFileError("%s is empty (%d bytes), not a TinyDB document" %
                                     (self.path, len(raw)), path=self.path,
                                     hint="restore it from a backup, or delete it to start empty")
            try:
                doc = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError) as err:
                raise StoreFileError("%s is not valid JSON: %s" % (self.path, err), path=self.path,
                                     hint="restore it from a backup, or fix it by hand") from err
            check_document(doc, self.path)
            self._cache = (ident, doc)
            return copy.deepcopy(doc)

    def write(self, data):
        check_document(data, self.path)
        text = json.dumps(data, ensure_ascii=False, indent=self.indent, sort_keys=True,
                          allow_nan=False)
        with self.lock:
            try:
                write_atomic(self.path, text.encode("utf-8") + b"\n")
            except OSError as err:
                raise StoreFileError("cannot write %s: %s; the previous contents are unchanged" %
                                     (self.path, err.strerror or err), path=self.path,
                                     hint="check free space and permissions") from err
            self._cache = (self._identity(), copy.deepcopy(data))

    def update(self, change):
        """Read the document, call ``change(doc)`` (it edits ``doc`` in place or returns a
        new one), write the result: one atomic write, under the lock.  Returns the
        document written.  Nothing is written when ``change`` raises."""
        with self.lock:
            doc = self.read() or {}
            result = change(doc)
            if result is not None:
                doc = result
            self.write(doc)
            return doc

    def close(self):
        self._cache = None


def table_rows(doc, table):
    """The documents of ``table`` in ``doc`` as a list of (doc_id int, row dict), by id."""
    docs = (doc or {}).get(table) or {}
    return sorted(((int(k), v) for k, v in docs.items()), key=lambda kv: kv[0])


def set_table(doc, table, rows):
    """Replace ``table`` in ``doc`` with ``rows`` under doc ids 1, 2, ... (TinyDB layout)."""
    doc[table] = dict((str(i), dict(row)) for i, row in enumerate(rows, 1))
    return doc


def open_tinydb(path):
    """A ``TinyDB`` on ``path`` with the atomic storage (for tools that want TinyDB's queries)."""
    return TinyDB(path, storage=AtomicJSONStorage)
