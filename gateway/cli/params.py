"""``concentrator params get/set``: the parameters (reading plan, retention,
thresholds, uplink tuning), validated by the agent's ``params.*`` ops.

Values are given as text, as on the LCD: ``15``, ``true``, ``02:30``,
``a,b,c`` for lists; the parameters table (store.params_table) coerces and
checks them, all before any is stored.  Defaults and descriptions come from
that same table.
"""

import click

from gateway.cli.args import assignment
from gateway.cli.common import config_option, connect
from gateway.cli.table import echo_json, fields, json_option, table, value_text
from store import params_table

MARK = "*"


@click.group()
def params():
    """Show and change parameters (validated).

    \b
    Examples:
      concentrator params get plan.
      concentrator params get time.tz_offset_min
      concentrator params set plan.realtime_interval_min=30 plan.hourly=false
    """


def _describe(key, value):
    row = params_table.BY_KEY.get(key)
    out = {"key": key, "value": value}
    if row is not None:
        out.update(default=row.default, is_default=value == row.default, type=row.type,
                   allowed=params_table.allowed(row), description=row.description)
    return out


def _shown(value):
    if value == "":
        return '""'
    return "(none)" if value == [] else value_text(value)


@params.command()
@click.argument("names", metavar="[KEY|PREFIX]...", nargs=-1)
@json_option
@config_option
def get(names, as_json, config_path):
    """Show parameters: value, whether it is the default, and what it does.

    A PREFIX such as plan. (or plan) shows that group; nothing shows all.
    One key shows its default and the values it takes.

    \b
    Examples:
      concentrator params get
      concentrator params get plan. retention.
      concentrator params get clock.check_time --json
    """
    agent = connect(config_path)
    values = {}
    for name in names or ("",):
        values.update(agent.call("params.get", {"prefix": name} if name else {},
                                 hint="concentrator params get lists every key")["params"])
    agent.close()
    rows = [_describe(k, v) for k, v in values.items()]
    if as_json:
        echo_json({"params": rows})
        return
    if len(names) == 1 and len(rows) == 1 and rows[0]["key"] == names[0]:
        r = rows[0]
        for line in fields([("key", r["key"]), ("value", _shown(r["value"])),
                            ("default", _shown(r.get("default")) +
                             (" (in use)" if r.get("is_default") else "")),
                            ("takes", r.get("allowed", "-")),
                            ("what", r.get("description", "-"))]):
            click.echo(line)
        return
    cells = [(r["key"], _shown(r["value"]), "" if r.get("is_default", True) else MARK,
              r.get("description", "")) for r in rows]
    lines = table(("key", "value", "set", "description"), cells, keep=(0,))
    for line in lines:
        click.echo(line)
    cut_values = sum(1 for c, line in zip(cells, lines[1:]) if c[1] not in line)
    if any(c[2] for c in cells):
        click.echo("%s: set, differs from the default" % MARK)
    if cut_values:
        click.echo("%d value%s cut (~): concentrator params get KEY shows one in full"
                   % (cut_values, " is" if cut_values == 1 else "s are"))


@params.command("set")
@click.argument("assignments", metavar="KEY=VALUE...", nargs=-1, required=True)
@json_option
@config_option
def set_(assignments, as_json, config_path):
    """Change parameters; all are checked before any is stored.

    Lists are written a,b,c (KEY= for an empty one).  The change is logged
    and raises params_changed, naming who made it.

    \b
    Examples:
      concentrator params set plan.realtime_interval_min=30
      concentrator params set clock.check_time=03:15 clock.correct_meters=true
      concentrator params set plan.broadcast_freeze=daily,monthly
    """
    values = dict(assignment(token) for token in assignments)
    agent = connect(config_path)
    result = agent.call("params.set", {"values": values},
                        hint="nothing was set; concentrator params get KEY shows what KEY takes")
    agent.close()
    if as_json:
        echo_json(result)
        return
    changed = result["changed"]
    if not changed:
        click.echo("nothing changed: %s already %s so" % (
            ", ".join(values), "is" if len(values) == 1 else "are"))
        return
    for line in fields([(k, "%s -> %s" % (_shown(c["old"]), _shown(c["new"])))
                        for k, c in changed.items()]):
        click.echo(line)
    if result.get("restart_needed"):
        click.echo("applies after a restart: %s" % ", ".join(result["restart_needed"]))
        click.echo("  systemctl restart concentrator")
