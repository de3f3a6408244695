"""The parameters: params.get, params.set.

Params validates (types, ranges) and writes all or nothing; its errors
become ``bad_request`` with its message.  Every change raises
``params_changed`` and is written to the modification log, naming who asked;
secret values are shown as "***" there.
"""

from gateway.ops.args import bad, check_args, from_store_error
from store import StoreError, params_table

# parameters whose values are secrets: shown as "***" in events and logs
SECRET_MARKS = ("key", "password", "secret", "token")


def _secret(key):
    last = key.rsplit(".", 1)[-1]
    return any(last == m or last.endswith("_" + m) for m in SECRET_MARKS)


class ParamsOps:
    """Mixin of gateway.ops.dispatch.Operations."""

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
        pairs may also be the args themselves.  Result: the changes, and
        ``restart_needed`` (the changed keys the agent takes only when it
        starts, params_table.RESTART) when there are any."""
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
        result = {"changed": dict((k, {"old": shown(k, o), "new": shown(k, n)})
                                  for k, (o, n) in sorted(changes.items()))}
        restart = sorted(k for k in changes if params_table.needs_restart(k))
        if restart:
            result["restart_needed"] = restart
        return result

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
                       % (by, ", ".join(sorted(changes))),
                       dict(detail, user=(meta or {}).get("user"), where=(meta or {}).get("where")))
