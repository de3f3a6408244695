"""The table of operations is the only source of what an op is: MQTT, the
console and the offline mode all follow its columns."""

import pytest

from gateway.console.offline import Offline
from gateway.console.server import ControlError
from gateway.ops.dispatch import Operations
from gateway.ops.table import BY_NAME, OPS
from upstream import handlers as interface

# the groups a role grants, and "session": everyone's (login, logout, whoami)
PERMISSIONS = {"data", "archive", "parameters", "control", "clock", "users", "maintenance",
               "session"}


def test_every_op_has_exactly_one_row_and_a_handler():
    names = [op.name for op in OPS]
    assert len(names) == len(set(names)) == len(BY_NAME)
    for op in OPS:
        assert callable(getattr(Operations, op.handler)), op.name
        assert op.permission in PERMISSIONS, op.name
        assert op.slow in (True, False) or callable(op.slow), op.name
    handlers = set(n for n in dir(Operations) if n.startswith("op_"))
    assert handlers == set(op.handler for op in OPS)          # no handler outside the table


def test_mqtt_gets_the_ops_that_are_not_console_only(gw):
    mqtt, console = gw.h, gw.h.console()
    assert mqtt.ops() == set(op.name for op in OPS if not op.console_only)
    assert console.ops() == set(BY_NAME)
    for op in OPS:
        if op.console_only:
            assert gw.error(op.name, {}, h=mqtt).code == "unknown_op"
    assert gw.call("status", h=console)["fw"] == "1.2.3"


def test_signatures_and_slowness_follow_the_columns(gw):
    for h in (gw.h, gw.h.console()):
        for op in OPS:
            if op.name in h.ops():
                assert h.needs_signature(op.name) == op.control, op.name
                if not callable(op.slow):
                    assert h.slow(op.name) == op.slow, op.name
    assert not gw.h.needs_signature("status") and not gw.h.needs_signature("reboot")
    assert not hasattr(interface, "CONTROL_OPS")


class Recorder:
    def __init__(self):
        self.called = []

    def call(self, op, args, meta):
        self.called.append(op)
        return {}


def test_offline_mode_follows_the_offline_column():
    offline = Offline.__new__(Offline)              # no files: only the gate is under test
    offline.ops = Recorder()
    for op in OPS:
        if op.offline:
            offline.call(op.name)
        else:
            with pytest.raises(ControlError) as info:
                offline.call(op.name)
            assert info.value.code == "not_running" and op.name in info.value.message
    assert offline.ops.called == [op.name for op in OPS if op.offline]
    with pytest.raises(ControlError):
        offline.call("reboot")
