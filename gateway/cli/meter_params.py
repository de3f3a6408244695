"""``concentrator meter-params``: parameters kept in the meters themselves."""

import click

from gateway.cli.common import config_option, connect, fail
from gateway.cli.table import echo_json, echo_table, json_option


@click.command("meter-params")
@click.argument("meter", metavar="METER")
@click.argument("assignments", metavar="[NAME=VALUE...]", nargs=-1)
@click.option("--password", metavar="P",
              help="The meter's password (DL/T645: 6 hex digits); default: the archive's "
                   "options.password.")
@json_option
@config_option
def meter_params(meter, assignments, password, as_json, config_path):
    """Show or write the parameters kept in a meter (needs the agent).

    With no NAME=VALUE, shows them as the meter reads them now.  A write
    reads the old value, writes the new one with the meter's password and
    reads it back; the modification log keeps old and new.  DL/T645-2007:
    settlement.day.1..3 (DDThh), freeze.daily.time (hh:mm),
    freeze.hourly.interval (15, 30, 60); CJ/T188: settlement.day,
    reading.day (1..28).

    \b
    Examples:
      concentrator meter-params m-0001
      concentrator meter-params m-0001 settlement.day.1=15T00 --password 000000
      concentrator meter-params 00000000000301 settlement.day=20
    """
    values = {}
    for a in assignments:
        name, eq, value = a.partition("=")
        if not eq or not name or not value:
            fail("%r is not NAME=VALUE" % a, code=2,
                 hint="e.g. settlement.day.1=15T00; without any, the values are shown")
        values[name] = value
    agent = connect(config_path, need_agent=True)
    if not values:
        result = agent.call("meter.params.get", {"meter": meter})
        if as_json:
            echo_json(result)
            return
        click.echo(result["meter"])
        echo_table(("parameter", "value"), sorted((n, v) for n, v in result["params"].items()),
                   header=False, indent="  ")
        return
    args = {"meter": meter, "params": values}
    if password is not None:
        args["password"] = password
    result = agent.call("meter.params.set", args)
    if as_json:
        echo_json(result)
        return
    click.echo(result["meter"])
    echo_table(("parameter", "old", "new"), sorted(
        (n, c["old"], c["new"]) for n, c in result["params"].items()), indent="  ")
