"""The operators and the roles made on the concentrator, kept with the archive.

One JSON document (``operators.json`` beside ``archive.json``, written
atomically like it: ``store.documents.jsonfile``)::

    operators: name, department, role, password (the hash line, never shown),
               state ("active" or "disabled"), areas, ports (data-level
               limits: empty = all), changed (epoch seconds)
    roles:     name, permissions (op names or groups), changed

Only the roles created on the concentrator are here; the built-in ones are
the gateway's (``gateway.auth.roles``).  The store knows nothing of hashing or
permissions: it keeps records, checks their form and refuses a duplicate
name.  ``public(record)`` is a record without its password hash: the only form
that leaves the gateway.
"""

import copy
import re

from store.documents.jsonfile import AtomicJSONStorage, set_table, table_rows
from store.errors import StoreError

NAME = re.compile(r"[A-Za-z0-9_.\-]{1,32}\Z")
STATES = ("active", "disabled")
FIELDS = ("name", "department", "role", "password", "state", "areas", "ports", "changed")


class OperatorError(StoreError):
    """An operator or role record that cannot be stored as given."""


def check_name(value, what="operator"):
    if not isinstance(value, str) or not NAME.match(value):
        raise OperatorError("%s name %r is not valid: 1 to 32 letters, digits, _ . -"
                            % (what, value))
    return value


def public(record):
    """The record without its password hash."""
    out = dict((k, copy.deepcopy(v)) for k, v in record.items() if k != "password")
    return out


class Operators:
    def __init__(self, path):
        self.path = path
        self.storage = AtomicJSONStorage(path)

    # ------------------------------------------------------------- reading
    def _doc(self):
        return self.storage.read() or {}

    def list(self):
        return [row for _, row in table_rows(self._doc(), "operators")]

    def get(self, name):
        for row in self.list():
            if row["name"] == name:
                return row
        return None

    def count(self):
        return len(self.list())

    def roles(self):
        """{name: record} of the roles made on the concentrator."""
        return dict((row["name"], row) for _, row in table_rows(self._doc(), "roles"))

    # ------------------------------------------------------------- writing
    def _change(self, table, fn):
        def change(doc):
            rows = [row for _, row in table_rows(doc, table)]
            set_table(doc, table, fn(rows))
        self.storage.update(change)

    def add(self, record):
        record = _checked(record)

        def fn(rows):
            if any(r["name"] == record["name"] for r in rows):
                raise OperatorError("operator %s exists already: change it with users update"
                                    % record["name"])
            return rows + [record]
        self._change("operators", fn)
        return record

    def replace(self, name, record):
        record = _checked(record)

        def fn(rows):
            if not any(r["name"] == name for r in rows):
                raise OperatorError("no operator %s (users list shows them)" % name)
            return [record if r["name"] == name else r for r in rows]
        self._change("operators", fn)
        return record

    def remove(self, name):
        def fn(rows):
            if not any(r["name"] == name for r in rows):
                raise OperatorError("no operator %s (users list shows them)" % name)
            return [r for r in rows if r["name"] != name]
        self._change("operators", fn)

    def set_role(self, name, permissions, changed):
        check_name(name, "role")
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise OperatorError("the permissions of role %s are a list of names" % name)
        record = {"name": name, "permissions": sorted(set(permissions)), "changed": int(changed)}

        def fn(rows):
            return [r for r in rows if r["name"] != name] + [record]
        self._change("roles", fn)
        return record

    def remove_role(self, name):
        def fn(rows):
            if not any(r["name"] == name for r in rows):
                raise OperatorError("no role %s made on this concentrator" % name)
            return [r for r in rows if r["name"] != name]
        self._change("roles", fn)

    def close(self):
        self.storage.close()


def _checked(record):
    record = dict(record)
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise OperatorError("operator field %s is not known: the fields are %s"
                            % (unknown[0], ", ".join(FIELDS)))
    check_name(record.get("name"))
    if record.get("state", "active") not in STATES:
        raise OperatorError("operator state is one of %s, not %r"
                            % (", ".join(STATES), record.get("state")))
    record.setdefault("state", "active")
    record.setdefault("department", "")
    record.setdefault("areas", [])
    record.setdefault("ports", [])
    for field in ("areas", "ports"):
        value = record[field]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise OperatorError("operator %s: %s is a list of names, not %r"
                                % (record["name"], field, value))
    if not isinstance(record.get("password"), str) or not record["password"]:
        raise OperatorError("operator %s has no password hash" % record["name"])
    return record
