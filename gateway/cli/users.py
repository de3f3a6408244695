"""``concentrator login``, ``logout``, ``whoami`` and ``users ...``: operators,
roles and this terminal's session (gateway.auth; the agent checks everything).

Passwords are asked for on the terminal (never as arguments: they would show
in the shell's history and in ps); piped in, one a line.
"""

import click

from gateway.cli.common import config_option, connect, fail
from gateway.cli.table import echo_json, echo_table, fields, json_option
from gateway.console import session


def _password(prompt, confirm=False):
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)


def _list(value):
    return [v.strip() for v in value.split(",") if v.strip()] if value is not None else None


@click.command()
@click.argument("name")
@config_option
def login(name, config_path):
    """Open a session as operator NAME on this terminal.

    The password is asked for.  The session ends with concentrator logout, or
    after access.session_idle_min minutes unused; 5 failures in a row lock the
    operator out for 15 minutes (access.lockout_*).

    \b
    Examples:
      concentrator login alice
    """
    agent = connect(config_path, quiet=True)
    got = agent.call("login", {"name": name, "password": _password("password for %s" % name)},
                     hint="check the name (concentrator users list) and the password")
    agent.close()
    session.save(agent.cfg.concentrator["socket"], got["token"])
    click.echo("logged in as %s (role %s); the session ends after %d min unused"
               % (got["user"], got["role"], got["idle_min"]))


@click.command()
@config_option
def logout(config_path):
    """End this terminal's session.

    \b
    Example:
      concentrator logout
    """
    agent = connect(config_path, quiet=True)
    got = agent.call("logout")
    agent.close()
    session.forget(agent.cfg.concentrator["socket"])
    click.echo("logged out %s" % got["user"] if got.get("ended") else "no session was open")


@click.command()
@json_option
@config_option
def whoami(as_json, config_path):
    """Who this terminal's session is: operator, role, limits, from where.

    \b
    Example:
      concentrator whoami --json
    """
    agent = connect(config_path, quiet=True)
    me = agent.call("whoami")
    agent.close()
    if as_json:
        echo_json(me)
        return
    if not me.get("user"):
        click.echo("no session (concentrator login NAME); from %s" % me.get("where"))
        return
    for line in fields([("operator", me["user"]), ("role", me["role"]),
                        ("department", me["department"] or "-"),
                        ("areas", ", ".join(me["areas"]) or "all"),
                        ("ports", ", ".join(me["ports"]) or "all"),
                        ("may", ", ".join(me["permissions"])), ("from", me["where"])]):
        click.echo(line)


@click.group()
def users():
    """Operators and roles (权限管理).

    \b
    Examples:
      concentrator users init root              the first super administrator
      concentrator users add bob --role operator --department north
      concentrator users update bob --areas a1,a2
      concentrator users passwd                 your own password
      concentrator users roles set reader --permissions view,data
    """


@users.command()
@click.argument("name")
@click.option("--department", default="", help="The super administrator's department.")
@config_option
def init(name, department, config_path):
    """Create the first super administrator NAME (only while there is none).

    Run it on the board once, before anything else: there is no default
    password.

    \b
    Example:
      concentrator users init root --department ops
    """
    agent = connect(config_path, quiet=True)
    got = agent.call("users.init", {"name": name, "department": department,
                                    "password": _password("new password for %s" % name, True)})
    agent.close()
    click.echo("super administrator %s created: log in with concentrator login %s"
               % (got["user"]["name"], name))


@users.command("list")
@json_option
@config_option
def list_(as_json, config_path):
    """The operators you may manage (never their passwords).

    \b
    Example:
      concentrator users list --json
    """
    agent = connect(config_path, quiet=True)
    got = agent.call("users.list")["users"]
    agent.close()
    if as_json:
        echo_json({"users": got})
        return
    echo_table(("name", "role", "department", "state", "areas", "ports"),
               [(u["name"], u["role"], u.get("department") or "-", u["state"],
                 ", ".join(u.get("areas") or []) or "all", ", ".join(u.get("ports") or []) or "all")
                for u in got])


def _fields(role, department, state, areas, ports):
    out = {}
    for key, value in (("role", role), ("department", department), ("state", state)):
        if value is not None:
            out[key] = value
    for key, value in (("areas", _list(areas)), ("ports", _list(ports))):
        if value is not None:
            out[key] = value
    return out


FIELD_OPTIONS = (
    click.option("--role", help="A role (concentrator users roles list)."),
    click.option("--department", help="The operator's department."),
    click.option("--state", type=click.Choice(["active", "disabled"])),
    click.option("--areas", metavar="A,B", help="Only meters of these areas (empty: all)."),
    click.option("--ports", metavar="P,Q", help="Only meters on these ports (empty: all)."),
)


def _field_options(f):
    for option in reversed(FIELD_OPTIONS):
        f = option(f)
    return f


@users.command()
@click.argument("name")
@_field_options
@config_option
def add(name, role, department, state, areas, ports, config_path):
    """Add operator NAME; their first password is asked for.

    \b
    Example:
      concentrator users add bob --role operator --department north --areas a1
    """
    if not role:
        fail("give the role with --role (concentrator users roles list)", code=2)
    args = dict(_fields(role, department, state, areas, ports), name=name,
                password=_password("password for %s" % name, True))
    agent = connect(config_path, quiet=True)
    agent.call("users.add", args)
    agent.close()
    click.echo("operator %s added" % name)


@users.command()
@click.argument("name")
@_field_options
@click.option("--password", "reset_password", is_flag=True,
              help="Set a new password for NAME (asked for).")
@config_option
def update(name, role, department, state, areas, ports, reset_password, config_path):
    """Change operator NAME's role, department, state, limits or password.

    \b
    Example:
      concentrator users update bob --state disabled
    """
    args = dict(_fields(role, department, state, areas, ports), name=name)
    if reset_password:
        args["password"] = _password("new password for %s" % name, True)
    agent = connect(config_path, quiet=True)
    got = agent.call("users.update", args)["user"]
    agent.close()
    click.echo("operator %s: role %s, department %s, %s" % (got["name"], got["role"],
                                                           got.get("department") or "-",
                                                           got["state"]))


@users.command()
@click.argument("name")
@config_option
def remove(name, config_path):
    """Remove operator NAME.

    \b
    Example:
      concentrator users remove bob
    """
    agent = connect(config_path, quiet=True)
    agent.call("users.remove", {"name": name})
    agent.close()
    click.echo("operator %s removed" % name)


@users.command()
@config_option
def passwd(config_path):
    """Change your own password (the old one first).

    \b
    Example:
      concentrator users passwd
    """
    agent = connect(config_path, quiet=True)
    got = agent.call("users.passwd", {"old": _password("old password"),
                                      "new": _password("new password", True)})
    agent.close()
    click.echo("password of %s changed" % got["user"])


@users.group()
def roles():
    """Roles: list, set (create or change), remove.

    \b
    Example:
      concentrator users roles list
    """


@roles.command("list")
@json_option
@config_option
def roles_list(as_json, config_path):
    """Every role and its permissions (groups or op names).

    \b
    Example:
      concentrator users roles list
    """
    agent = connect(config_path, quiet=True)
    got = agent.call("roles.list")
    agent.close()
    if as_json:
        echo_json(got)
        return
    echo_table(("role", "built in", "permissions"),
               [(r["name"], "yes" if r["builtin"] else "no", ", ".join(r["permissions"]))
                for r in got["roles"]])


@roles.command("set")
@click.argument("name")
@click.option("--permissions", required=True, metavar="P,Q",
              help="Groups (data, archive, parameters, control, clock, users, maintenance, "
                   "view) or op names.")
@config_option
def roles_set(name, permissions, config_path):
    """Create role NAME or change its permissions.

    \b
    Example:
      concentrator users roles set reader --permissions view,data
    """
    agent = connect(config_path, quiet=True)
    got = agent.call("roles.set", {"name": name, "permissions": _list(permissions)})["role"]
    agent.close()
    click.echo("role %s: %s" % (got["name"], ", ".join(got["permissions"])))


@roles.command("remove")
@click.argument("name")
@config_option
def roles_remove(name, config_path):
    """Remove role NAME (no operator may have it).

    \b
    Example:
      concentrator users roles remove reader
    """
    agent = connect(config_path, quiet=True)
    agent.call("roles.remove", {"name": name})
    agent.close()
    click.echo("role %s removed" % name)
