"""The archive (档案): the meters the concentrator reads, kept in a TinyDB file.

``Archive`` holds the validated records in memory and writes every change at
once, atomically (``store/documents/jsonfile.py``): the file is the ``meters`` table and
a ``_meta`` table with the revision and the id counter.  A change of several
meters (a list add, a CSV import) is checked as a whole and written in one
piece, or not at all.

Loading validates every stored record: a broken archive stops the agent with
a message naming the file and the record instead of starting it with fewer
meters.  A file changed by another process (the CLI) is noticed by its
identity and loaded again before the next operation.

``revision`` increases with every change and survives restarts; the engine
compares it to notice changes.  ``on_change(kind, ids)`` (kind: "added",
"updated", "removed") is called after each write, outside the lock; it is
where the engine logs the change and raises ``meters_changed``.

Generated ids are ``m-0001``, ``m-0002``, ... from a persisted counter that
never goes back, so a new meter never takes the id (and the stored history)
of a removed one.
"""

import logging
import re

from store.documents import archive_record as rec
from store.errors import ArchiveError, UnknownMeterError
from store.documents.jsonfile import AtomicJSONStorage, set_table, table_rows

log = logging.getLogger(__name__)
_SEQ_ID = re.compile(r"m-([0-9]+)\Z")


class Archive:
    """The meters in ``path``.

    ``rules``: a ``MeterRules`` with the protocol rows (the registry's, given
    by ``gateway/``), the configured port names, the radio module's port and
    the names the installation knows for name options; ``quantity_unit``: the quantity-name validator, kept for
    per-meter reading items (no current field uses it); ``clock``: gives
    ``time()`` for the ``added`` stamp when ``add`` is not given ``now``.
    """

    def __init__(self, path, rules, quantity_unit=None, on_change=None, clock=None):
        self.path = str(path)
        self.rules = rules
        self.quantity_unit = quantity_unit
        self.on_change = on_change
        self.clock = clock
        self._storage = AtomicJSONStorage(self.path)
        self._lock = self._storage.lock
        self._ident = object()  # never equal: the first access loads
        self._meters = {}
        self._revision = 0
        self._next_seq = 1
        self._fresh()

    # ----------------------------------------------------------------- loading

    def _fresh(self):
        with self._lock:
            ident = self._storage.identity()
            if ident != self._ident:
                self._load()
                self._ident = ident

    def _load(self):
        doc = self._storage.read() or {}
        meters = {}
        for doc_id, row in table_rows(doc, "meters"):
            where = "%s: meters document %d" % (self.path, doc_id)
            try:
                if "id" not in row:
                    raise ArchiveError("the id is missing")
                record = rec.normalise(row, self.rules)
            except ArchiveError as err:
                raise ArchiveError("%s: %s" % (where, err.message), path=self.path, table="meters",
                                   key=row.get("id"), field=err.field, value=err.value,
                                   allowed=err.allowed,
                                   hint="fix or remove that record, or restore a backup") from err
            if record["id"] in meters:
                raise ArchiveError("%s: meter id %s appears twice" % (where, record["id"]),
                                   path=self.path, table="meters", key=record["id"],
                                   hint="remove one of them, or restore a backup")
            meters[record["id"]] = record
        try:
            self._check_addresses(meters)
        except ArchiveError as err:
            raise ArchiveError("%s: %s" % (self.path, err.message), path=self.path, table="meters",
                               key=err.key, hint="fix the file, or restore a backup") from err
        meta = dict(table_rows(doc, "_meta")).get(1, {})
        self._meters = meters
        self._revision = int(meta.get("revision", 0))
        self._next_seq = max([int(meta.get("next_seq", 1))] +
                             [self._seq_of(i) + 1 for i in meters])

    @staticmethod
    def _seq_of(meter_id):
        m = _SEQ_ID.match(meter_id)
        return int(m.group(1)) if m else 0

    # ----------------------------------------------------------------- reading

    @property
    def revision(self):
        """Increases with every change (persisted)."""
        self._fresh()
        return self._revision

    def count(self):
        self._fresh()
        return len(self._meters)

    def list(self, port=None, protocol=None, kind=None):
        """The meters (copies), sorted by id, optionally only those of one port/protocol/kind."""
        with self._lock:
            self._fresh()
            return [_copy(m) for _, m in sorted(self._meters.items())
                    if (port is None or m["port"] == port)
                    and (protocol is None or m["protocol"] == protocol)
                    and (kind is None or m["kind"] == kind)]

    def ids(self):
        with self._lock:
            self._fresh()
            return sorted(self._meters)

    def get(self, meter_id):
        """One meter (a copy); ``UnknownMeterError`` when there is none."""
        with self._lock:
            self._fresh()
            if meter_id not in self._meters:
                raise _unknown([meter_id])
            return _copy(self._meters[meter_id])

    def validate(self, record):
        """The stored form of ``record`` (fields only; no duplicate checks against the archive)."""
        return rec.normalise(record, self.rules)

    # ---------------------------------------------------------------- changing

    def add(self, records, now=None):
        """Add one record or a list (all or nothing); returns the added records."""
        many = isinstance(records, (list, tuple))
        added, _, _ = self.batch(add=records if many else [records], now=now)
        return added

    def update(self, meter_id, changes):
        """Change fields of one meter; returns the new record.

        Fields in ``changes`` replace the old ones, None removes an optional
        field; ``limits`` and ``options`` are merged key by key (None removes a key).
        """
        if not isinstance(changes, dict):
            raise ArchiveError("meter %s: changes must be an object of fields: use %s"
                               % (meter_id, ", ".join(rec.FIELDS)), key=meter_id)
        with self._lock:
            self._fresh()
            if meter_id not in self._meters:
                raise _unknown([meter_id])
            new = rec.with_changes(_copy(self._meters[meter_id]), changes)
            result = self._batch([], {meter_id: new}, [], None)
        self._notify_all(result)
        return _copy(result[1][0]) if result[1] else self.get(meter_id)

    def remove(self, ids):
        """Remove meters by id (all or nothing); returns the removed ids."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        return self.batch(remove=ids)[2]

    def batch(self, add=(), update=None, remove=(), now=None):
        """Add, replace and remove meters in one atomic change, checked as a whole.

        ``update`` maps ids to complete records (replacing the old ones; a
        missing ``added`` is kept).  Returns (added records, updated records,
        removed ids); records that did not change are not counted as updated.
        """
        with self._lock:
            result = self._batch(add, update or {}, remove, now)
        self._notify_all(result)
        added, updated, removed = result
        return [_copy(r) for r in added], [_copy(r) for r in updated], list(removed)

    def _batch(self, add, update, remove, now):
        with self._lock:
            self._fresh()
            meters = dict(self._meters)
            unknown = [i for i in list(remove) + list(update) if i not in meters]
            if unknown:
                raise _unknown(unknown)
            both = sorted(set(remove) & set(update))
            if both:
                raise ArchiveError("meter %s is both updated and removed: do one or the other"
                                   % both[0], key=both[0])
            removed = []
            for meter_id in remove:
                if meter_id in meters:
                    del meters[meter_id]
                    removed.append(meter_id)
            updated = []
            for meter_id, record in update.items():
                new = self._replace(meter_id, record)
                if new != meters[meter_id]:
                    meters[meter_id] = new
                    updated.append(new)
            seq = self._next_seq
            added = []
            for n, record in enumerate(add, 1):
                try:
                    new = rec.normalise(record, self.rules)
                except ArchiveError as err:
                    if len(add) == 1:
                        raise
                    # "meter (new): ..." alone does not say which of 500 records
                    raise type(err)("record %d of %d: %s" % (n, len(add), err.message),
                                    key=err.key, field=err.field, value=err.value,
                                    allowed=err.allowed) from err
                if "id" not in new:
                    while "m-%04d" % seq in meters:
                        seq += 1
                    new = dict(new, id="m-%04d" % seq)
                if new["id"] in meters:
                    raise ArchiveError("meter %s exists already: update it, or give the new meter "
                                       "another id" % new["id"], key=new["id"], field="id")
                seq = max(seq, self._seq_of(new["id"]) + 1)
                if "added" not in new:
                    new["added"] = self._now(now, new["id"])
                meters[new["id"]] = new
                added.append(new)
            self._check_addresses(meters)
            if not (added or updated or removed):
                return [], [], []
            self._write(meters, seq)
            return added, updated, removed

    def _replace(self, meter_id, record):
        new = rec.normalise(record, self.rules)
        if new.get("id", meter_id) != meter_id:
            raise ArchiveError("meter %s: the id cannot be changed to %r: add a new meter and "
                               "remove this one" % (meter_id, new["id"]), key=meter_id, field="id")
        old = self._meters[meter_id]
        if "added" in new and new["added"] != old.get("added", new["added"]):
            raise ArchiveError("meter %s: added is set by the archive when the meter is added "
                               "and cannot be changed" % meter_id, key=meter_id, field="added")
        new["id"] = meter_id
        if "added" in old:
            new["added"] = old["added"]
        return new

    def _now(self, now, meter_id):
        if now is None and self.clock is not None:
            now = self.clock.time()
        if now is None:
            raise ArchiveError("meter %s: no time for its 'added' stamp: pass now= (epoch seconds) "
                               "or give the Archive a clock" % meter_id, key=meter_id,
                               field="added")
        return int(now)

    def _check_addresses(self, meters):
        seen = {}
        for meter_id in sorted(meters):
            m = meters[meter_id]
            key = rec.address_key(m, self.rules)
            if key in seen:
                raise ArchiveError(
                    "meters %s and %s have the same address %s on port %s (%s): give each meter "
                    "its own address or port" % (seen[key], meter_id, key[2], key[0], key[1]),
                    key=meter_id, field="address", value=key[2])
            seen[key] = meter_id

    def _write(self, meters, next_seq):
        revision = self._revision + 1

        def change(doc):
            set_table(doc, "meters", [meters[i] for i in sorted(meters)])
            set_table(doc, "_meta", [{"revision": revision, "next_seq": next_seq}])

        self._storage.update(change)
        self._meters = meters
        self._revision = revision
        self._next_seq = next_seq
        self._ident = self._storage.identity()

    def _notify_all(self, result):
        added, updated, removed = result
        if self.on_change is None:
            return
        for kind, ids in (("added", [r["id"] for r in added]),
                          ("updated", [r["id"] for r in updated]), ("removed", list(removed))):
            if not ids:
                continue
            try:
                self.on_change(kind, ids)
            except Exception:  # the change is stored; a failing listener must not undo it
                log.exception("archive on_change(%s, %s) failed", kind, ids)


def _copy(record):
    return rec.ordered(record)


def _unknown(ids):
    ids = list(dict.fromkeys(ids))
    if len(ids) == 1:
        return UnknownMeterError("no meter %s" % ids[0], key=ids[0],
                                 hint="`concentrator meters list` shows the archive")
    return UnknownMeterError("no meters %s" % ", ".join(ids), key=ids[0],
                             hint="`concentrator meters list` shows the archive; "
                             "nothing was changed")
