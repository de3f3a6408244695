"""The one dispatcher of the operations: every call is checked and logged here, once.

``Operations`` implements the interface of ``upstream/handlers.py`` for the
uplink, the console (the control socket and the offline mode) and the LCD.
What it knows about an op it reads from its row in ``gateway.ops.table``.
``call`` runs the op's handler and returns a JSON-able result (meter values
stay ``Decimal``: the uplink writes exact JSON; timestamps are ISO 8601 with
the concentrator's UTC offset), or raises ``CommandError`` with a code of
mqtt.md and a message naming the field, what was given and what is allowed;
anything else a handler raises is a bug and becomes ``internal`` here (and
nowhere else).  Before the handler runs, ``auth`` (gateway.auth's Authority)
checks the principal of ``meta`` against the op's ``permission`` and the
meters it names; a refusal is ``unauthorized``.  Each call that changes
something is written to the ``operation`` log once (who, from where, the op,
its arguments without passwords, ok or the error code); one that only reads
(``reads``) only when ``log.queries`` asks; a refusal and a bug always.  An
``Operations`` made without ``auth`` checks nothing: only tests and tools
that embed the ops make one; the agent and the console always give one.

The handlers are methods ``op_<name>`` of the mixins, grouped by subject:
``system`` (ping, time, diag, reset, status), ``bus`` (read, control, freeze,
time.sync_meters: jobs on the buses), ``meters``, ``params``, ``journal``
(events, logs, recall), ``data``, ``upgrade`` (upgrade.*, and the
uplink's chunk messages: ``file_chunk``), ``lcd`` (the panel, for the console)
and ``users`` (login, logout, whoami, users.*, roles.*).

An ``Operations`` made with ``console=False`` (MQTT's) offers only the ops
that are not ``console_only``; ``console()`` gives the console's, which
offers all of them.
"""

import copy
import logging

from gateway.ops.bus import BusOps
from gateway.ops.data import DataOps
from gateway.ops.journal import JournalOps
from gateway.ops.lcd import LcdOps
from gateway.ops.meter_params import MeterParamOps
from gateway.ops.meters import MeterOps
from gateway.ops.params import ParamsOps
from gateway.ops.system import SystemOps
from gateway.ops.table import BY_NAME, OPS
from gateway.ops.upgrade import UpgradeOps
from gateway.ops.users import UserOps
from gateway.timefmt import iso
from upstream.errors import CommandError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120           # seconds a bus job may take (engine clock)


class Operations(SystemOps, BusOps, MeterOps, ParamsOps, JournalOps, DataOps, UpgradeOps,
                 LcdOps, MeterParamOps, UserOps):
    """``started``: the agent's start time (epoch seconds of ``clock``);
    ``uplink_status()``: the uplink's state for ``diag``; ``on_restart()``:
    schedules a restart of the agent (it must return at once: the reply goes
    out first); ``info()``: a dict merged into ``status`` (cid, uplink state,
    whether the agent is running); ``upgrade``: the
    ``gateway.upgrade.ops.UpgradeContext`` of the upgrade ops (None: they
    answer ``not_supported``)."""

    def __init__(self, engine, store, archive, params, clock, version, started,
                 uplink_status=None, on_restart=None, timeout=DEFAULT_TIMEOUT,
                 info=lambda: {}, console=False, upgrade=None, auth=None):
        self.engine = engine
        self.store = store
        self.archive = archive
        self.params = params
        self.clock = clock
        self.version = version
        self.uplink_status = uplink_status
        self.on_restart = on_restart
        self.timeout = timeout
        self.info = info
        self.is_console = console
        self.upgrade = upgrade
        self.auth = auth
        # uptime from monotonic time: a clock set must not move it
        self._uptime0 = clock.time() - started
        self._mono0 = clock.monotonic()

    def console(self, info=None):
        """The same ops for the console: the console-only ones too."""
        other = copy.copy(self)
        other.is_console = True
        if info is not None:
            other.info = info
        return other

    # ---------------------------------------------------------- interface
    def _row(self, op):
        row = BY_NAME.get(op) if isinstance(op, str) else None
        if row is None or (row.console_only and not self.is_console):
            return None
        return row

    def ops(self):
        return set(row.name for row in OPS if self.is_console or not row.console_only)

    def needs_signature(self, op):
        row = self._row(op)
        return bool(row and row.control)

    def slow(self, op, args=None):
        """May take longer than 2 s (the table's ``slow`` column)."""
        row = self._row(op)
        if row is None:
            return False
        return bool(row.slow(args) if callable(row.slow) else row.slow)

    def call(self, op, args, meta=None):
        meta = meta or {}
        row = self._row(op)
        try:
            if row is None:
                raise CommandError("unknown_op", "op %s is not known; use one of %s"
                                   % (_shown_op(op), ", ".join(sorted(self.ops()))))
            if self.auth is not None:
                meta = self.auth.identify(meta)
                self.auth.check(row, args, meta)
            result = getattr(self, row.handler)(args, meta)
        except CommandError as err:
            self._log_call(row, op, meta, err.code, args)
            raise
        except Exception as err:       # a bug: answer "internal", keep the agent going
            log.exception("command %s failed", op)
            self._log_call(row, op, meta, "internal", args)
            raise CommandError("internal", "%s failed: %s" % (op, err)) from err
        self._log_call(row, op, meta, None, args)
        return result

    # ------------------------------------------------------------ helpers
    def iso(self, ts):
        """``ts`` as ISO 8601 with the concentrator's offset (time.tz_offset_min)."""
        return iso(ts, self.params.get("time.tz_offset_min"))

    @staticmethod
    def who(meta):
        """The principal's name as the logs show it: ``console:alice``, ``mqtt:master``."""
        meta = meta or {}
        source = str(meta.get("source") or "unknown")
        return "%s:%s" % (source, meta["user"]) if meta.get("user") else source

    def _log_call(self, row, op, meta, code, args=None):
        meta = meta or {}
        if code not in ("unauthorized", "internal"):      # a refusal or a bug: always
            if row is not None and not row.logged:
                return
            if row is not None and row.reads and not self.params.get("log.queries"):
                return
        detail = {"op": op, "source": meta.get("source"), "ok": code is None,
                  "where": meta.get("where") or meta.get("source")}
        for k in ("id", "user"):
            if meta.get(k) is not None:
                detail[k] = meta[k]
        if isinstance(args, dict) and args:
            detail["args"] = scrubbed(args)
        if code is not None:
            detail["code"] = code
        try:
            self.store.log("operation", self.clock.time(), "command %s from %s: %s" % (
                _shown_op(op), self.who(meta), "ok" if code is None else code), detail)
        except Exception:              # the store failing must not turn a reply into another
            log.exception("cannot log command %s", op)


SECRET_ARGS = ("password", "old", "new", "token", "csv")
MAX_LOGGED_ARG = 200            # characters of one argument's JSON kept in the log


def scrubbed(args):
    """The args as the operation log keeps them: passwords never, long values cut."""
    from gateway.ops.params import _secret
    out = {}
    for k, v in args.items():
        if k in SECRET_ARGS or _secret(k):
            v = "***" if k != "csv" else "(%d characters)" % len(str(v))
        elif k == "values" and isinstance(v, dict):
            v = dict((pk, "***" if _secret(pk) else pv) for pk, pv in v.items())
        text = repr(v)
        out[k] = v if len(text) <= MAX_LOGGED_ARG else text[:MAX_LOGGED_ARG] + "..."
    return out


def _shown_op(op):
    return repr(op)[:40] if not isinstance(op, str) else op[:40]
