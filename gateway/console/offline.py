"""The console without a running agent: the same ops, on the files.

With the agent stopped, the console opens the store, the archive and the
parameters itself and dispatches the ops whose row in ``gateway.ops.table``
says ``offline`` through the same ``Operations`` the agent uses (an engine is
built but never started: no bus is opened, no scheduler runs).  Ops that need
the buses or the agent's clock are refused with ``not_running``.  The clock
shown is the system clock plus the correction the agent persisted
(``clock.offset``).
"""

import os

from drivers.clock import RealClock
from gateway import __version__
from gateway.auth.authority import Authority
from gateway.console.server import ControlError
from gateway.ops.dispatch import Operations
from gateway.ops.table import BY_NAME
from protocols.core import quantities
from scheduler.engine import Engine
from store import Archive
from store import Operators
from store import Params
from store import Store

CLOCK_OFFSET_KEY = "clock.offset"


class Offline:
    """``call(op, args, meta)`` like the control socket, on the files of ``config``."""

    def __init__(self, config):
        self.cfg = config
        data_dir = config.concentrator["data_dir"]
        try:
            os.makedirs(data_dir, exist_ok=True)     # commissioning before the first start
        except OSError as err:
            raise ControlError("not_running", "the agent is not running and its data directory "
                               "%s cannot be made (%s): check concentrator.data_dir in %s, or "
                               "run as root" % (data_dir, err.strerror, config.path))
        self.params = Params(config.data_file("params.json"), quantity_unit=quantities.unit_of,
                             tolerant=True)
        self.store = Store(config.data_file("store.db"))
        self.clock = RealClock(tz_offset=int(self.params.get("time.tz_offset_min")) * 60,
                               offset=float(self.store.get_state(CLOCK_OFFSET_KEY, 0.0) or 0.0))
        self.archive = Archive(config.data_file("archive.json"), config.meter_rules(),
                               clock=self.clock)
        self.engine = Engine(self.clock, self.store, self.archive, self.params, {}, None)
        self.operators = Operators(config.data_file("operators.json"))
        self.auth = Authority(self.operators, self.store, self.params, self.clock, self.archive)
        self.ops = Operations(self.engine, self.store, self.archive, self.params, self.clock,
                              __version__, self.clock.time(), console=True,
                              info=lambda: {"cid": self.params.get("terminal.address")
                                            or config.id, "agent": "not running"},
                              auth=self.auth)
        self.ops.lcd_config = config.lcd        # `concentrator lcd`: a panel over these ops
        self.ops.lcd_call = self.call

    def call(self, op, args=None, meta=None):
        if not works_offline(op):
            raise ControlError("not_running", "%s needs the running agent (it works on the "
                               "buses or the agent's clock): start it with systemctl start "
                               "concentrator" % op)
        return self.ops.call(op, args or {},
                             meta or {"source": "console", "where": "console (agent stopped)"})

    def close(self):
        self.store.close()


def works_offline(op):
    """The op's ``offline`` column; an unknown op is refused as today's
    ``not_running`` too (the running agent would name the ops it knows)."""
    row = BY_NAME.get(op) if isinstance(op, str) else None
    return bool(row and row.offline)
