"""The one table of operations: every fact about an op, in its row.

MQTT (``upstream.commands``), the console (the control socket and the
offline mode) and the LCD all call the ops through ``gateway.ops.dispatch.
Operations``, which reads everything it needs to know about an op here:

``name``
    the op as mqtt.md and the console name it.
``handler``
    the method of ``Operations`` that runs it (``op_<name>``).
``permission``
    the group a role grants: data, archive, parameters, control, clock,
    users, maintenance.  Nothing checks it yet (operators and roles come
    later); it is here so that they find every op already placed.
``slow``
    may take longer than 2 s, so MQTT answers ``accepted`` first: True,
    False, or a function of the args (``recall`` of a long range, ``reset``
    of the data).
``control``
    changes the concentrator or a meter: needs a signature, or
    ``uplink.allow_unsigned_control`` (mqtt.md, Command authentication).
``offline``
    works with the agent stopped (touches the files only, never a bus or the
    agent's clock); the others are refused ``not_running`` then.
``console_only``
    not an MQTT op: the master station gets data pushed and status by
    heartbeat, and sends meter records, not spreadsheets.
``logged``
    each call is written to the operation log; ``status`` and ``data`` are
    not (the console polls them; they change nothing).
"""

from collections import namedtuple

from gateway.ops.args import time_range
from upstream.errors import CommandError

RECALL_FAST_DAYS = 7            # a recall of a longer range may take more than 2 s

Op = namedtuple("Op", "name handler permission slow control offline console_only logged",
                defaults=(False, False, False, False, True))


def recall_is_slow(args):
    """A recall of more than RECALL_FAST_DAYS, or of a range not given."""
    try:
        start, end = time_range(args if isinstance(args, dict) else {})
    except CommandError:
        return True
    return end - start > RECALL_FAST_DAYS * 86400


def reset_is_slow(args):
    """Wiping the store takes a while; a restart or a params reset does not."""
    return isinstance(args, dict) and args.get("what") == "data"


OPS = (
    # name                handler                 permission     other columns
    Op("ping",             "op_ping",             "maintenance", offline=True),
    Op("read",             "op_read",             "data",        slow=True),
    Op("recall",           "op_recall",           "data",        slow=recall_is_slow, offline=True),
    Op("time.get",         "op_time_get",         "clock",       offline=True),
    Op("time.set",         "op_time_set",         "clock"),
    Op("time.sync_meters", "op_time_sync_meters", "clock",       slow=True),
    Op("freeze",           "op_freeze",           "data",        slow=True),
    Op("meters.list",      "op_meters_list",      "archive",     offline=True),
    Op("meters.add",       "op_meters_add",       "archive",     offline=True),
    Op("meters.update",    "op_meters_update",    "archive",     offline=True),
    Op("meters.remove",    "op_meters_remove",    "archive",     offline=True),
    Op("meters.import",    "op_meters_import",    "archive",     offline=True, console_only=True),
    Op("meters.export",    "op_meters_export",    "archive",     offline=True, console_only=True),
    Op("params.get",       "op_params_get",       "parameters",  offline=True),
    Op("params.set",       "op_params_set",       "parameters",  control=True, offline=True),
    Op("control",          "op_control",          "control",     slow=True, control=True),
    Op("meter.params.get", "op_meter_params_get", "parameters",  slow=True),
    Op("meter.params.set", "op_meter_params_set", "parameters",  slow=True, control=True),
    Op("events.query",     "op_events_query",     "data",        offline=True),
    Op("logs.query",       "op_logs_query",       "maintenance", offline=True),
    Op("diag",             "op_diag",             "maintenance", offline=True),
    Op("reset",            "op_reset",            "maintenance", slow=reset_is_slow, control=True),
    Op("status",           "op_status",           "maintenance", offline=True, console_only=True,
       logged=False),
    Op("data",             "op_data",             "data",        offline=True, console_only=True,
       logged=False),
    Op("upgrade.begin",    "op_upgrade_begin",    "maintenance"),
    Op("upgrade.status",   "op_upgrade_status",   "maintenance"),
    Op("upgrade.apply",    "op_upgrade_apply",    "maintenance", slow=True, control=True),
    Op("upgrade.abort",    "op_upgrade_abort",    "maintenance"),
    Op("lcd.keys",         "op_lcd_keys",         "maintenance", offline=True, console_only=True),
    Op("lcd.screen",       "op_lcd_screen",       "data",        offline=True, console_only=True,
       logged=False),
)

BY_NAME = dict((op.name, op) for op in OPS)
