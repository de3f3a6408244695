"""The archive (档案): meters.list, .add, .update, .remove, and the
console's meters.import / meters.export (the archive as CSV).

The Archive validates (ports, protocols, addresses, duplicates) and writes
all or nothing; its errors become ``bad_request`` (``unknown_meter`` for an
unknown id) with its message.  Every change raises ``meters_changed`` and is
written to the modification log, naming who asked.
"""

import io

from gateway.ops.args import bad, check_args, flag, from_store_error, id_list, missing
from protocols import registry
from store import StoreError, archive_csv, with_changes
from upstream.errors import CommandError


class MeterOps:
    """Mixin of gateway.ops.dispatch.Operations."""

    def _record_out(self, rec):
        rec = dict(rec)
        if rec.get("added") is not None:
            rec["added"] = self.iso(rec["added"])
        return rec

    def _records_arg(self, args):
        value = args.get("meters")
        if value is None:
            raise missing("meters", "a meter record or a list of them")
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(r, dict) for r in value):
            raise bad("meters", value, "a meter record (an object of fields) or a list of them")
        return value

    def _meters_changed(self, meta, changes=None, **ids):
        detail = dict((k, v) for k, v in ids.items() if v)
        if not detail:
            return
        now = self.clock.time()
        detail["by"] = self.who(meta)
        if changes:                     # {meter id: [old record, new record]}
            detail["changes"] = changes
        self.store.put_event(now, "meters_changed", "info", None,
                             dict((k, v) for k, v in detail.items() if k != "changes"))
        logged = dict(detail, user=(meta or {}).get("user"), where=(meta or {}).get("where"))
        self.store.log("modification", now, "archive changed by %s: %s" % (detail["by"], "; ".join(
            "%s %s" % (k, ", ".join(v)) for k, v in ids.items() if v)), logged)

    # ------------------------------------------------------------ meters
    def op_meters_list(self, args, meta):
        check_args("meters.list", args, ())
        return {"meters": [self._record_out(m) for m in self.archive.list()]}

    def op_meters_add(self, args, meta):
        args = check_args("meters.add", args, ("meters",))
        records = self._records_arg(args)
        try:
            added = self.archive.add(records, now=self.clock.time())
        except StoreError as err:
            raise from_store_error(err) from err
        self._meters_changed(meta, added=[r["id"] for r in added])
        return {"added": [self._record_out(r) for r in added]}

    def op_meters_update(self, args, meta):
        """``meters``: records of ``id`` and the fields to change (None removes a field)."""
        args = check_args("meters.update", args, ("meters",))
        records = self._records_arg(args)
        ids = []
        for n, r in enumerate(records):
            if not isinstance(r.get("id"), str) or not r["id"]:
                raise bad("meters[%d].id" % n, r.get("id"), "the id of the meter to change")
            ids.append(r["id"])
        dup = sorted(set(i for i in ids if ids.count(i) > 1))
        if dup:
            raise bad("meters", dup[0], "each meter once", "is listed twice")
        try:
            current = dict((i, self.archive.get(i)) for i in ids)
            full = dict((r["id"], with_changes(current[r["id"]], r)) for r in records)
            _, updated, _ = self.archive.batch(update=full)
        except StoreError as err:
            raise from_store_error(err) from err
        old_new = {}
        for r in updated:
            before, after = current[r["id"]], r
            keys = sorted(set(before) | set(after))
            old_new[r["id"]] = [dict((k, before.get(k)) for k in keys
                                     if before.get(k) != after.get(k)),
                                dict((k, after.get(k)) for k in keys
                                     if before.get(k) != after.get(k))]
        self._meters_changed(meta, old_new, updated=[r["id"] for r in updated])
        return {"updated": [self._record_out(r) for r in updated],
                "unchanged": [i for i in ids if i not in set(r["id"] for r in updated)]}

    def op_meters_remove(self, args, meta):
        args = check_args("meters.remove", args, ("meters",))
        ids = id_list(args, "meters", single=True)
        try:
            removed = self.archive.remove(ids)
        except StoreError as err:
            raise from_store_error(err) from err
        for q in self.engine.queues.values():
            for mid in removed:
                q.drop(mid)              # queued work of a meter that is gone
        self._meters_changed(meta, removed=removed)
        return {"removed": removed}

    # ------------------------------------------------------- CSV (console)
    def op_meters_import(self, args, meta):
        """``csv``: the text of an archive CSV file (store.archive_csv), imported
        all or nothing inside this process, so that the running agent's archive
        changes in one step; ``replace``: remove the meters not in it."""
        args = check_args("meters.import", args or {}, ("csv", "replace"))
        data = args.get("csv")
        if not isinstance(data, str):
            raise CommandError("bad_request", "csv must be the text of a CSV file",
                               detail={"field": "csv"})
        replace = flag(args, "replace")
        try:
            result = archive_csv.import_(self.archive, io.StringIO(data), replace=replace,
                                         now=self.clock.time(),
                                         secret_options=registry.SECRET_OPTIONS)
        except StoreError as err:
            raise CommandError("bad_request", str(err), detail={"field": "csv"}) from err
        for q in self.engine.queues.values():
            for mid in result.removed:
                q.drop(mid)              # queued work of a meter that is gone
        self._meters_changed(meta, added=result.added, updated=result.updated,
                             removed=result.removed)
        return {"added": result.added, "updated": result.updated, "removed": result.removed}

    def op_meters_export(self, args, meta):
        """The archive as CSV text (store.archive_csv): ``{"csv": ..., "meters": n}``;
        meter passwords (registry.SECRET_OPTIONS) only with ``secrets``, ``added``
        as the local date."""
        args = check_args("meters.export", args or {}, ("secrets",))
        secrets = flag(args, "secrets")
        buf = io.StringIO()
        n = archive_csv.export(self.archive, buf, secret_options=registry.SECRET_OPTIONS,
                               secrets=secrets, date_of=lambda ts: self.iso(ts)[:10])
        return {"csv": buf.getvalue(), "meters": n, "secrets": secrets}
