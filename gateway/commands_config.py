"""Commands on the archive and the parameters: meters.*, params.*.

The Archive and Params validate (ports, protocols, addresses, duplicates;
parameter types and ranges) and write all or nothing; their errors become
``bad_request`` (``unknown_meter`` for an unknown id) with their message.
Every change raises ``meters_changed`` / ``params_changed`` and is written to
the modification log, naming who asked.
"""

from gateway.commands_args import bad, check_args, from_store_error, id_list, missing
from store import with_changes
from store import StoreError

# parameters whose values are secrets: shown as "***" in events and logs
SECRET_MARKS = ("key", "password", "secret", "token")


def _secret(key):
    last = key.rsplit(".", 1)[-1]
    return any(last == m or last.endswith("_" + m) for m in SECRET_MARKS)


class ConfigCommands:
    """Mixin of gateway.commands.Handlers."""

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

    def _meters_changed(self, meta, **ids):
        detail = dict((k, v) for k, v in ids.items() if v)
        if not detail:
            return
        now = self.clock.time()
        detail["by"] = self.who(meta)
        self.store.put_event(now, "meters_changed", "info", None, detail)
        self.store.log("modification", now, "archive changed by %s: %s" % (detail["by"], "; ".join(
            "%s %s" % (k, ", ".join(v)) for k, v in ids.items() if v)), detail)

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
        self._meters_changed(meta, updated=[r["id"] for r in updated])
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

    # ------------------------------------------------------------ params
    def op_params_get(self, args, meta):
        """``keys`` (a list) or ``prefix`` ("plan." or "plan"); neither: all."""
        args = check_args("params.get", args, ("keys", "prefix"))
        keys, prefix = args.get("keys"), args.get("prefix")
        if keys is not None and prefix is not None:
            raise bad("prefix", prefix, "either keys or prefix, not both", "is given with keys")
        if keys is not None and (not isinstance(keys, list) or not keys or
                                 not all(isinstance(k, str) for k in keys)):
            raise bad("keys", keys, "a list of parameter names such as [\"plan.hourly\"]")
        if prefix is not None and not isinstance(prefix, str):
            raise bad("prefix", prefix, "a name prefix such as \"plan.\"")
        try:
            return {"params": self.params.get_many(keys if keys is not None else prefix or "")}
        except StoreError as err:
            raise from_store_error(err) from err

    def op_params_set(self, args, meta):
        """``values``: {key: value}, all checked before any is stored; the
        pairs may also be the args themselves.  Result: the changes."""
        args = args if args is not None else {}
        if not isinstance(args, dict):
            raise bad("args", args, "an object of named arguments", "is not an object")
        values = args["values"] if set(args) == {"values"} else args
        if not isinstance(values, dict) or not values:
            raise bad("values", values, "an object of parameter names and values, "
                      "e.g. {\"plan.hourly\": false}")
        try:
            changes = self.params.set_many(values)
        except StoreError as err:
            raise from_store_error(err) from err
        self._params_changed(meta, changes)
        shown = self._shown_param
        return {"changed": dict((k, {"old": shown(k, o), "new": shown(k, n)})
                                for k, (o, n) in sorted(changes.items()))}

    @staticmethod
    def _shown_param(key, value):
        return "***" if _secret(key) and value not in (None, "") else value

    def _params_changed(self, meta, changes):
        if not changes:
            return
        now = self.clock.time()
        by = self.who(meta)
        shown = self._shown_param
        detail = {"by": by, "changes": dict((k, [shown(k, o), shown(k, n)])
                                            for k, (o, n) in changes.items())}
        self.store.put_event(now, "params_changed", "info", None, detail)
        self.store.log("modification", now, "parameters changed by %s: %s"
                       % (by, ", ".join(sorted(changes))), detail)
