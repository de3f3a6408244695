"""Roles and what they grant.

A permission is an op of ``gateway.ops.table`` (``"meters.add"``) or a group
of them: the table's ``permission`` column (data, archive, parameters,
control, clock, users, maintenance), and ``view``: every op whose row says
``reads`` (it only looks) outside the users group.  Every op has a
permission, so a new op is placed the day its row is written.  The group
``session`` (login, logout, whoami, one's own password) is everyone's.

Built-in roles (they cannot be removed; ``super`` cannot be changed):

``super``            everything, and manages every operator.
``dept_admin``       everything but maintenance; manages the operators of their own department.
``operator``         view, data, archive, parameters, control, clock.
``viewer``           view: looks, changes nothing (浏览用户).
``master_station``   everything: the master station over MQTT (``access.master_role``).
"""

from gateway.ops.table import OPS

GROUPS = ("data", "archive", "parameters", "control", "clock", "users", "maintenance")
VIEW = "view"
EVERYONE = "session"
BUILTIN = {
    "super": GROUPS + (VIEW,),
    "dept_admin": ("data", "archive", "parameters", "control", "clock", "users", VIEW),
    "operator": ("data", "archive", "parameters", "control", "clock", VIEW),
    "viewer": (VIEW,),
    "master_station": GROUPS + (VIEW,),
}
FIXED = ("super",)              # built-in roles whose permissions cannot be changed
# what the console may do without a session when access.anonymous_view allows it
ANONYMOUS_VIEW = ("status", "data", "events.query")


def names():
    return GROUPS + (VIEW,) + tuple(op.name for op in OPS if op.permission != EVERYONE)


def unknown(permissions):
    """The permissions of a list that are neither a group nor an op."""
    known = set(names())
    return [p for p in permissions if p not in known]


def grants(permissions, row):
    """Whether a role with ``permissions`` may run the op of ``row``."""
    if row.permission == EVERYONE:
        return True
    perms = set(permissions)
    if row.name in perms or row.permission in perms:
        return True
    return VIEW in perms and is_view(row)


def is_view(row):
    return bool(row.reads) and row.permission != "users"


def missing(row):
    """The permission a refusal names: the op's group (or the op itself)."""
    return row.permission
