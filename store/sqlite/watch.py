"""What the store takes on flash, its byte budget and a full disk.

``usage()``: the file and its WAL as they lie on flash (what the budget
counts), pages in use and free pages.

``watch_budget(bytes, callback)``: after every commit the store compares
what it takes on flash (two ``stat`` calls) with the budget and calls
``callback()`` once when it is over, until the next budget pass
(``fit_budget``) -- the engine runs that pass on its scheduler thread.

A full disk (``SQLITE_FULL``) makes a write raise ``StoreFullError`` and
calls the ``on_full(full, error)`` listeners after each such write
(``full`` True) and after the first that succeeds again (False): the engine
reports it once, reminds at a bounded rate and says when space is back.
"""

import logging
import os

log = logging.getLogger(__name__)


class Watch:
    """Mixin of store.Store (needs Database, which calls ``_set_full`` and
    ``_check_budget`` from ``write()``)."""

    def on_full(self, callback):
        """Call ``callback(full, error)`` after each write that failed on a full
        disk (``full`` True, the StoreFullError) and after the first one that
        succeeds again (False, None); in the writing thread, no lock held.
        Returns a function that removes it."""
        self._full_listeners.append(callback)

        def remove():
            if callback in self._full_listeners:
                self._full_listeners.remove(callback)
        return remove

    def _set_full(self, error):
        with self._lock:
            if self.full is None and error is None:
                return
            self.full = error
        for callback in list(self._full_listeners):
            try:
                callback(error is not None, error)
            except Exception:
                log.exception("store on_full listener %r failed", callback)

    def watch_budget(self, budget_bytes, callback):
        """After commits, call ``callback()`` once the store takes more than
        ``budget_bytes`` on flash (file and WAL), and not again until the next
        ``fit_budget``; ``budget_bytes`` None stops watching."""
        self._budget = None if budget_bytes is None else (int(budget_bytes), callback)
        self._over_signalled = False

    def _check_budget(self):
        watch = self._budget
        if watch is None or self._over_signalled:
            return
        if self.flash_bytes() > watch[0]:
            self._over_signalled = True
            try:
                watch[1]()
            except Exception:
                log.exception("store budget callback %r failed", watch[1])

    # -------------------------------------------------------------- size
    def usage(self):
        """``bytes``: what the store takes on flash (the file and its WAL, what
        the budget counts); ``used_bytes`` of pages in use, ``free_bytes`` of
        free pages (reused before the file grows), ``file_bytes``, ``wal_bytes``."""
        c = self.connect()
        page = c.execute("PRAGMA page_size").fetchone()[0]
        pages = c.execute("PRAGMA page_count").fetchone()[0]
        free = c.execute("PRAGMA freelist_count").fetchone()[0]
        db, wal = self._sizes()
        return {"bytes": db + wal, "used_bytes": (pages - free) * page, "file_bytes": db,
                "free_bytes": free * page, "wal_bytes": wal, "page_size": page}

    def used_bytes(self):
        """Bytes of the pages in use (not free)."""
        c = self.connect()
        pages = c.execute("PRAGMA page_count").fetchone()[0]
        free = c.execute("PRAGMA freelist_count").fetchone()[0]
        return (pages - free) * c.execute("PRAGMA page_size").fetchone()[0]

    def flash_bytes(self):
        """What the store takes on the file system: the file and its WAL."""
        return sum(self._sizes())

    def _sizes(self):
        out = []
        for name in (self.path, self.path + "-wal"):
            try:
                out.append(os.path.getsize(name))
            except OSError:
                out.append(0)
        return out
