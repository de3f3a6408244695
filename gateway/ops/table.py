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
    users, maintenance; ``session`` is everyone's (login, logout, whoami).
    ``Operations.call`` checks it before the op runs, on every face
    (``gateway.auth``): a role grants groups or single ops.
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
    each call may be written to the operation log; ``status``, ``data`` and
    ``lcd.screen`` never are (the console and the panel poll them).
``meters``
    the argument naming the meters the op touches (``meter``, ``meters``:
    ids or records), or ``all`` when it touches every meter: an operator
    limited to areas or ports is refused the others (``gateway.auth``).
``reads``
    only looks, changes nothing: a viewer may run it (the ``view`` group,
    but for the users group), and it is written to the operation log only
    when ``log.queries`` asks for it.  A refusal is always written.
"""

from collections import namedtuple

from gateway.ops.args import time_range
from upstream.errors import CommandError

RECALL_FAST_DAYS = 7            # a recall of a longer range may take more than 2 s

Op = namedtuple("Op", "name handler permission slow control offline console_only logged reads "
                "meters", defaults=(False, False, False, False, True, False, None))


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
    Op("ping",             "op_ping",             "maintenance", offline=True, reads=True),
    Op("read",             "op_read",             "data",        slow=True, meters="meters"),
    Op("recall",           "op_recall",           "data",        slow=recall_is_slow, offline=True,
       meters="meters"),
    Op("time.get",         "op_time_get",         "clock",       offline=True, reads=True),
    Op("time.set",         "op_time_set",         "clock"),
    Op("time.sync_meters", "op_time_sync_meters", "clock",       slow=True, meters="meters"),
    Op("freeze",           "op_freeze",           "data",        slow=True, meters="all"),
    Op("meters.list",      "op_meters_list",      "archive",     offline=True, reads=True,
       meters="all"),
    Op("meters.add",       "op_meters_add",       "archive",     offline=True, meters="meters"),
    Op("meters.update",    "op_meters_update",    "archive",     offline=True, meters="meters"),
    Op("meters.remove",    "op_meters_remove",    "archive",     offline=True, meters="meters"),
    Op("meters.import",    "op_meters_import",    "archive",     offline=True, console_only=True,
       meters="all"),
    Op("meters.export",    "op_meters_export",    "archive",     offline=True, console_only=True,
       reads=True, meters="all"),
    Op("params.get",       "op_params_get",       "parameters",  offline=True, reads=True),
    Op("params.set",       "op_params_set",       "parameters",  control=True, offline=True),
    Op("control",          "op_control",          "control",     slow=True, control=True,
       meters="meter"),
    Op("meter.params.get", "op_meter_params_get", "parameters",  slow=True, reads=True,
       meters="meter"),
    Op("meter.params.set", "op_meter_params_set", "parameters",  slow=True, control=True,
       meters="meter"),
    Op("events.query",     "op_events_query",     "data",        offline=True, reads=True,
       meters="meter"),
    Op("logs.query",       "op_logs_query",       "maintenance", offline=True, reads=True),
    Op("diag",             "op_diag",             "maintenance", offline=True, reads=True),
    Op("reset",            "op_reset",            "maintenance", slow=reset_is_slow, control=True),
    Op("status",           "op_status",           "maintenance", offline=True, console_only=True,
       logged=False, reads=True),
    Op("data",             "op_data",             "data",        offline=True, console_only=True,
       logged=False, reads=True, meters="meter"),
    Op("upgrade.begin",    "op_upgrade_begin",    "maintenance"),
    Op("upgrade.status",   "op_upgrade_status",   "maintenance", reads=True),
    Op("upgrade.apply",    "op_upgrade_apply",    "maintenance", slow=True, control=True),
    Op("upgrade.abort",    "op_upgrade_abort",    "maintenance"),
    Op("lcd.keys",         "op_lcd_keys",         "maintenance", offline=True, console_only=True),
    Op("lcd.screen",       "op_lcd_screen",       "data",        offline=True, console_only=True,
       logged=False, reads=True),
    # operators and roles (gateway.ops.users, gateway.auth)
    Op("login",            "op_login",            "session",     offline=True, console_only=True),
    Op("logout",           "op_logout",           "session",     offline=True, console_only=True),
    Op("whoami",           "op_whoami",           "session",     offline=True, console_only=True,
       reads=True),
    Op("users.init",       "op_users_init",       "session",     offline=True, console_only=True),
    Op("users.passwd",     "op_users_passwd",     "session",     offline=True, console_only=True),
    Op("users.list",       "op_users_list",       "users",       offline=True, reads=True),
    Op("users.add",        "op_users_add",        "users",       control=True, offline=True),
    Op("users.update",     "op_users_update",     "users",       control=True, offline=True),
    Op("users.remove",     "op_users_remove",     "users",       control=True, offline=True),
    Op("roles.list",       "op_roles_list",       "users",       offline=True, reads=True),
    Op("roles.set",        "op_roles_set",        "users",       control=True, offline=True),
    Op("roles.remove",     "op_roles_remove",     "users",       control=True, offline=True),
)

BY_NAME = dict((op.name, op) for op in OPS)
