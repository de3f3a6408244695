"""Parameters kept in the meters themselves (表计参数): settlement days and freeze times.

``meter.params.get`` reads them, ``meter.params.set`` writes them where the
meter's protocol allows (the registry's ``params``: DL/T645-2007 settlement
days 04000B01..03, hourly freeze interval 04001202, daily freeze time
04001203, written with 14H and the password; CJ/T188 settlement day A011 and
reading day A012).  Each write is one on-demand job on the meter's bus that
reads the old value, writes the new one and reads it back; the modification
log gets the old and the new value (never the password).
"""

import re

from gateway.ops.args import bad, check_args, missing, text
from protocols import registry
from protocols.core.errors import CodecError
from upstream.errors import CommandError

PASSWORD = re.compile(r"[0-9A-Fa-f]{6}\Z")


class MeterParamOps:
    """Mixin of gateway.ops.dispatch.Operations (needs BusOps)."""

    def _param_meter(self, args):
        name = text(args, "meter", "a meter id such as \"m-0001\" or its address", required=True)
        found = self._by_id_or_address([name])[name]
        if isinstance(found, CommandError):
            raise found
        module = registry.meter_params(found["protocol"])
        if module is None:
            able = [p.title for p in registry.PROTOCOLS if p.params]
            raise CommandError("not_supported", "meter %s is %s: its meters take no parameter "
                               "writes (%s meters do)" % (found["id"], found["protocol"],
                                                         " and ".join(able)))
        return found, module

    def op_meter_params_get(self, args, meta):
        """The meter's parameters as it shows them now."""
        args = check_args("meter.params.get", args, ("meter",))
        meter, module = self._param_meter(args)

        def read_all(session):
            return dict((n, session.read_param(n)) for n in module.names())
        values = self._run_on_meter(meter, read_all, "reading the parameters")
        return {"meter": meter["id"], "params": values,
                "allowed": dict((n, module.allowed(n)) for n in module.names())}

    def op_meter_params_set(self, args, meta):
        """Write parameters into the meter; result: old and new value of each."""
        args = check_args("meter.params.set", args, ("meter", "params", "password"))
        meter, module = self._param_meter(args)
        wanted = args.get("params")
        if wanted is None:
            raise missing("params", "an object of parameter and value, e.g. "
                                    "{\"%s\": ...}; names: %s" % (module.names()[0],
                                                                 ", ".join(module.names())))
        if not isinstance(wanted, dict) or not wanted:
            raise bad("params", wanted, "an object of parameter and value; names: " +
                      ", ".join(module.names()))
        values = {}
        for name, value in wanted.items():
            try:
                values[name] = module.check(name, value)
            except CodecError as err:
                raise CommandError("bad_request", "params.%s: %s; use %s" % (
                    name, shown(value), module.allowed(name) if name in module.names()
                    else "one of " + ", ".join(module.names())), detail={"field": name}) \
                    from err
        password = self._param_password(meter, args)

        done = {}                       # what was written, logged even if a later write fails

        def write_all(session):
            saved = getattr(session, "password", None)
            if password is not None:
                session.password = password
            try:
                for name, value in values.items():
                    old = session.read_param(name)
                    session.write_param(name, value)
                    done[name] = {"old": old, "new": value}
                    done[name]["new"] = session.read_param(name)
                return done
            finally:
                if password is not None:
                    session.password = saved
        try:
            self._run_on_meter(meter, write_all, "writing the parameters")
        finally:
            if done:
                self._log_meter_params(meta, meter, dict(done))
        return {"meter": meter["id"], "params": done}

    def _log_meter_params(self, meta, meter, changed):
        detail = {"by": self.who(meta), "meter": meter["id"],
                  "changes": dict((n, [str(c["old"]), str(c["new"])])
                                  for n, c in changed.items())}
        self.store.log("modification", self.clock.time(), "meter %s parameters written by %s: %s"
                       % (meter["id"], detail["by"], ", ".join(
                           "%s %s -> %s" % (n, c["old"], c["new"])
                           for n, c in sorted(changed.items()))), detail)

    def _param_password(self, meter, args):
        """The password for a DL/T645 write: the command's, else the archive's."""
        given = args.get("password")
        needs = registry.get(meter["protocol"]).option_names()
        if "password" not in needs:
            if given is not None:
                raise bad("password", "***", "no password: %s meters take none" %
                          meter["protocol"], "is not taken")
            return None
        if given is not None and (not isinstance(given, str) or not PASSWORD.match(given)):
            raise bad("password", "***", "the meter's password, 6 hex digits")
        if given is None and not (meter.get("options") or {}).get("password"):
            raise CommandError("bad_request", "meter %s has no password in the archive "
                               "(options.password): give password, the meter's 6 hex digits"
                               % meter["id"], detail={"field": "password"})
        return given


def shown(value):
    return repr(value)[:40]
