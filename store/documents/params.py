"""The parameters: typed, validated, stored atomically in a TinyDB file.

The keys, types, defaults and constraints are the declarative table in
``store/documents/params_table.py``.  Only values that differ from the default are
stored (table ``params``, one document ``{"key": ..., "value": ...}`` per
key), so a new default in a new version reaches every concentrator that did
not change it.

Values arrive as JSON types (MQTT ``params.set``) or as text (the CLI:
``"15"``, ``"true"``, ``"02:30"``, ``"a,b,c"``); each is coerced to its type
or refused with a message naming the key, the value and what is allowed.
``set_many`` checks every value first and writes all or nothing.

On load every stored value is checked again.  A value that is no longer
allowed is an error naming the file and the key (a broken file must not start
the agent quietly with other settings); ``tolerant=True`` (for the CLI, so it
can repair the file) uses the default instead and lists it in ``problems``.
A stored key this version does not know (written by a newer version) is kept
in the file, logged, and listed in ``unknown`` and ``problems``: never
dropped silently.

``revision`` increases with every change, for the engine to rebuild its plan.
Every change is reported to ``on_change(changes)`` with ``changes`` mapping
key -> (old, new), after the write and outside the lock; the engine logs them
and raises ``params_changed``.
"""

import copy
import difflib
import logging

from store.documents import params_table
from store.errors import ParamsError
from store.documents.jsonfile import AtomicJSONStorage, set_table, table_rows

log = logging.getLogger(__name__)


class Params:
    """The parameters in ``path``; ``table``: the rows (default ``params_table.ALL``)."""

    def __init__(self, path, on_change=None, quantity_unit=None, table=None, tolerant=False):
        self.path = str(path)
        self.on_change = on_change
        self.quantity_unit = quantity_unit
        self.tolerant = tolerant
        self.rows = tuple(table if table is not None else params_table.ALL)
        self._by_key = dict((p.key, p) for p in self.rows)
        self._storage = AtomicJSONStorage(self.path)
        self._lock = self._storage.lock
        self._ident = object()
        self._values = {}   # key -> stored (non-default) value
        self._invalid = {}  # key -> stored value refused on a tolerant load
        self.unknown = {}   # stored keys this version does not know
        self.problems = []  # ParamsError per stored entry that was not used
        self._revision = 0  # in memory: +1 per change and per reload of a changed file
        self._fresh()

    # ----------------------------------------------------------------- loading

    def _fresh(self):
        with self._lock:
            ident = self._storage.identity()
            if ident != self._ident:
                self._load()
                self._ident = ident

    def _load(self):
        values, unknown, invalid, problems = {}, {}, {}, []
        for doc_id, row in table_rows(self._storage.read(), "params"):
            key = row.get("key")
            if not isinstance(key, str) or "value" not in row:
                raise ParamsError("%s: params document %d is not {key, value}"
                                  % (self.path, doc_id),
                                  path=self.path, table="params",
                                  hint="fix or remove that entry, or restore a backup")
            if key not in self._by_key:
                unknown[key] = row["value"]
                problems.append(ParamsError(
                    "%s: stored parameter %s is unknown to this version (kept, not used)"
                    % (self.path, key), path=self.path, table="params", key=key,
                    value=row["value"], hint="a newer version wrote it; `params reset %s` "
                    "removes it" % key))
                continue
            try:
                value = self._coerce(key, row["value"])
            except ParamsError as err:
                err = ParamsError("%s: stored %s" % (self.path, err.message), path=self.path,
                                  table="params", key=key, value=row["value"], allowed=err.allowed,
                                  hint="set it again, or reset it to the default")
                if not self.tolerant:
                    raise err
                problems.append(err)
                invalid[key] = row["value"]
                continue
            if value != self._by_key[key].default:
                values[key] = value
        for p in problems:
            log.warning("%s", p)
        self._values, self.unknown, self.problems = values, unknown, problems
        self._invalid = invalid
        self._revision += 1

    # ----------------------------------------------------------------- reading

    @property
    def revision(self):
        """Increases with every change (here or, noticed on the next access, by another process)."""
        self._fresh()
        return self._revision

    def keys(self):
        return [p.key for p in self.rows]

    def get(self, key):
        """The value of ``key`` (its default when unset)."""
        with self._lock:
            self._fresh()
            self._row(key)
            return copy.deepcopy(self._values.get(key, self._by_key[key].default))

    def get_many(self, keys=""):
        """{key: value} for a prefix ("plan." or "plan"; "" for all) or a list of keys."""
        with self._lock:
            self._fresh()
            if isinstance(keys, str):
                stem = keys.rstrip(".") + "."
                chosen = [k for k in self._by_key if keys == "" or k == keys or k.startswith(stem)]
                if not chosen:
                    self._row(keys)  # raises, with close matches
            else:
                chosen = list(keys)
                for key in chosen:
                    self._row(key)
            return dict((k, copy.deepcopy(self._values.get(k, self._by_key[k].default)))
                        for k in chosen)

    def describe(self, keys=""):
        """Rows for ``params get``: key, value, default, type, allowed, description."""
        values = self.get_many(keys)
        return [{"key": k, "value": v, "default": copy.deepcopy(self._by_key[k].default),
                 "type": self._by_key[k].type, "allowed": params_table.allowed(self._by_key[k]),
                 "description": self._by_key[k].description} for k, v in values.items()]

    # ---------------------------------------------------------------- changing

    def set(self, key, value):
        """Set one value; returns the changes {key: (old, new)} (empty when unchanged)."""
        return self.set_many({key: value})

    def set_many(self, values):
        """Set several values, all checked before any is stored; returns the changes."""
        if not isinstance(values, dict):
            raise ParamsError("parameters to set must be an object of key: value pairs")
        with self._lock:
            self._fresh()
            new, errors = {}, []
            for key, value in values.items():
                try:
                    self._row(key)
                    new[key] = self._coerce(key, value)
                except ParamsError as err:
                    errors.append(err)
            if errors:
                if len(errors) == 1:
                    raise errors[0]
                raise ParamsError("%d parameters refused, none set: %s" % (
                    len(errors), "; ".join(e.message for e in errors)), errors=errors,
                    key=errors[0].key)
            changes = self._apply(new, ())
        self._notify(changes)
        return changes

    def reset(self, keys=None):
        """Back to the defaults (all, or ``keys``; an unknown stored key is removed).

        Returns the changes.  A full reset keeps unknown keys of a newer version.
        """
        with self._lock:
            self._fresh()
            keys = list(self._values) if keys is None else ([keys] if isinstance(keys, str)
                                                            else list(keys))
            drop = [k for k in keys if k in self.unknown]
            for key in keys:
                if key not in drop:
                    self._row(key)
            changes = self._apply(dict((k, self._by_key[k].default) for k in keys
                                       if k not in drop), drop)
        self._notify(changes)
        return changes

    # ---------------------------------------------------------------- internals

    def _row(self, key):
        if isinstance(key, str) and key in self._by_key:
            return self._by_key[key]
        close = difflib.get_close_matches(str(key), list(self._by_key), n=4, cutoff=0.6)
        if close:
            hint = "did you mean %s?" % " or ".join(close)
        else:
            groups = sorted(set(k.split(".")[0] + ".*" for k in self._by_key))
            hint = "parameters are %s; `concentrator params get` lists them" % ", ".join(groups)
        raise ParamsError("unknown parameter %r" % (key,), key=key, allowed=close, hint=hint)

    def _coerce(self, key, value):
        row = self._by_key[key]
        try:
            return params_table.coerce(row, value, self.quantity_unit)
        except ValueError as err:
            allowed = params_table.allowed(row)
            why = str(err)
            detail = "" if why in ("out of range", "not allowed") or why == allowed else why + "; "
            raise ParamsError("%s = %r is not allowed: %suse %s" % (key, value, detail, allowed),
                              key=key, value=value, allowed=allowed) from None

    def _apply(self, new, drop):
        changes = {}
        values = dict(self._values)
        for key, value in new.items():
            old = values.get(key, self._invalid.get(key, self._by_key[key].default))
            if value != old:
                changes[key] = (copy.deepcopy(old), copy.deepcopy(value))
            if value == self._by_key[key].default:
                values.pop(key, None)
            else:
                values[key] = value
        unknown = dict(self.unknown)
        for key in drop:
            changes[key] = (unknown.pop(key), None)
        if not changes:
            return changes
        rows = [{"key": k, "value": v} for k, v in sorted(list(values.items()) +
                                                          list(unknown.items()))]
        self._storage.update(lambda doc: set_table(doc, "params", rows))
        # a tolerant load's refused values are not written back: they go with any write
        self._values, self.unknown, self._invalid = values, unknown, {}
        self.problems = [p for p in self.problems if p.key in unknown]
        self._ident = self._storage.identity()
        self._revision += 1
        return changes

    def _notify(self, changes):
        if changes and self.on_change is not None:
            try:
                self.on_change(changes)
            except Exception:  # stored already; a failing listener must not undo it
                log.exception("params on_change failed for %s", sorted(changes))
