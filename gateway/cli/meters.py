"""``concentrator meters``: the archive (档案), the meters the concentrator reads.

Through the running agent's control socket, or with the agent stopped on the
archive file itself (gateway.console.client.AgentLink).  The archive
validates every record (port, protocol, address, duplicates); its refusals
exit 2 with its message.  CSV import and export are the console ops
``meters.import`` and ``meters.export`` (store.archive_csv): the import is all
or nothing, its errors name the line.
"""

import click

from gateway.cli.args import assignment, chosen_limit, confirm, limit_options, pairs
from gateway.cli.common import config_option, connect, fail
from gateway.cli.meters_csv import export, import_
from gateway.cli.table import echo_json, echo_table, fields, footer, json_option, value_text
from protocols import registry
from store import FIELDS

LIST_COLUMNS = ("id", "address", "protocol", "port", "kind", "area", "name")
EDITABLE = tuple(f for f in FIELDS if f not in ("id", "added"))


@click.group()
def meters():
    """The archive (档案): list, add, update, remove, import, export.

    \b
    Examples:
      concentrator meters list --port bus1
      concentrator meters show m-0001
      concentrator meters add -a 000012345678 -p dlt645-2007 --port bus1
      concentrator meters update m-0001 --name "门卫" --area B2
      concentrator meters import meters.csv
      concentrator meters export meters.csv --bom
    """


def _archive(agent):
    return agent.call("meters.list")["meters"]


def _one(records, meter_id):
    for m in records:
        if m["id"] == meter_id:
            return m
    fail("no meter %s in the archive" % meter_id, code=2,
         hint="concentrator meters list shows the meters and their ids")


def _summary(m):
    return "%s %s on %s" % (m["address"], m["protocol"], m["port"])


# ------------------------------------------------------------------- list
@meters.command("list")
@click.option("--port", help="Only the meters on this port (e.g. bus1, radio).")
@click.option("--protocol", type=click.Choice(registry.meter_protocols()), help="Only meters of this protocol.")
@limit_options(None, "meters", which="the first ")
@json_option
@config_option
def list_(port, protocol, limit, show_all, as_json, config_path):
    """List the meters of the archive, sorted by id.

    \b
    Examples:
      concentrator meters list
      concentrator meters list --port bus2 --protocol cjt188
      concentrator meters list --json > archive.json
    """
    limit = chosen_limit(limit, show_all, None)
    agent = connect(config_path)
    records = _archive(agent)
    agent.close()
    chosen = [m for m in records if (port is None or m["port"] == port)
              and (protocol is None or m["protocol"] == protocol)]
    shown = chosen[:limit] if limit else chosen
    if as_json:
        echo_json({"meters": shown, "total": len(records), "matching": len(chosen)})
        return
    filters = " ".join(o for o in ("--port %s" % port if port else "",
                                   "--protocol %s" % protocol if protocol else "") if o)
    if not chosen:
        click.echo("no meters%s (%d in the archive)" % (" match " + filters if filters else "",
                                                         len(records)))
        return
    echo_table(LIST_COLUMNS, [[m.get(c) or "" for c in LIST_COLUMNS] for m in shown],
               keep=(0, 1))
    if len(shown) < len(chosen):
        click.echo(footer(len(shown), len(chosen), "meters", "--all shows every one"))
    elif filters:
        click.echo("%d of %d meters match %s" % (len(chosen), len(records), filters))
    else:
        click.echo("%d meter%s" % (len(chosen), "" if len(chosen) == 1 else "s"))


# ------------------------------------------------------------------- show
@meters.command()
@click.argument("meter_id", metavar="ID")
@json_option
@config_option
def show(meter_id, as_json, config_path):
    """Show every field of one meter.

    \b
    Examples:
      concentrator meters show m-0001
      concentrator meters show m-0001 --json
    """
    agent = connect(config_path)
    m = _one(_archive(agent), meter_id)
    agent.close()
    if as_json:
        echo_json(m)
        return
    order = [f for f in FIELDS if f in m] + sorted(f for f in m if f not in FIELDS)
    for line in fields([(f, value_text(m[f]) if m[f] not in ("", {}) else "-")
                        for f in order]):
        click.echo(line)


# -------------------------------------------------------------------- add
def record_options(f):
    """The fields of a meter record as options (add and update)."""
    for opt in reversed([
        click.option("--address", "-a", help="The address printed on the meter (DL/T645: 12 "
                     "digits)."),
        click.option("--protocol", "-p", type=click.Choice(registry.meter_protocols()),
                     help="What the meter speaks."),
        click.option("--port", help="The port it is on (e.g. bus1); --radio: the radio's."),
        click.option("--kind", type=click.Choice(registry.KINDS),
                     help="What it measures (when the protocol allows several)."),
        click.option("--area", help="Where it is (building, floor)."),
        click.option("--tariff", help="Its tariff name."),
        click.option("--name", help="A name for people (up to 64 characters)."),
        click.option("--limits", metavar="K=V;K=V",
                     help="Alarm limits, e.g. power_max_kw=10;zero_days=3."),
        click.option("--options", metavar="K=V;K=V",
                     help="Protocol options, e.g. password=000000 or profile=dtsu666."),
    ]):
        f = opt(f)
    return f


def _given(address, protocol, port, kind, area, tariff, name, limits, options):
    record = dict((k, v) for k, v in (("address", address), ("protocol", protocol),
                                      ("port", port), ("kind", kind), ("area", area),
                                      ("tariff", tariff), ("name", name)) if v is not None)
    if limits is not None:
        record["limits"] = pairs(limits, "--limits")
    if options is not None:
        record["options"] = pairs(options, "--options")
    return record


@meters.command()
@record_options
@click.option("--radio", is_flag=True, help="It is reached over the radio module.")
@click.option("--id", "meter_id", help="Its id (default: the next m-NNNN).")
@json_option
@config_option
def add(address, protocol, port, kind, area, tariff, name, limits, options, radio, meter_id,
        as_json, config_path):
    """Add one meter to the archive; port, protocol and address are checked.

    \b
    Examples:
      concentrator meters add -a 000012345678 -p dlt645-2007 --port bus1
      concentrator meters add -a 00000000000301 -p cjt188 --kind water \\
          --port bus2 --name "3-201" --area B3
      concentrator meters add -a 000000000601 -p dlt645-2007 --radio --name 2-101
    """
    record = _given(address, protocol, port, kind, area, tariff, name, limits, options)
    for field in ("limits", "options"):
        if field in record:
            record[field] = dict((k, v) for k, v in record[field].items() if v is not None)
    if radio:
        record["radio"] = True
    if meter_id:
        record["id"] = meter_id
    agent = connect(config_path)
    added = agent.call("meters.add", {"meters": record}, hint="nothing was added; "
                       "concentrator meters add --help lists the fields")["added"]
    agent.close()
    if as_json:
        echo_json({"added": added})
        return
    for m in added:
        click.echo("added %s: %s" % (m["id"], _summary(m)))


# ----------------------------------------------------------------- update
@meters.command()
@click.argument("meter_id", metavar="ID")
@record_options
@click.option("--radio/--no-radio", default=None, help="Reached over the radio module or not.")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE",
              help="Set any field (repeatable); an empty VALUE removes the field.")
@json_option
@config_option
def update(meter_id, address, protocol, port, kind, area, tariff, name, limits, options, radio,
           assignments, as_json, config_path):
    """Change fields of one meter; the others stay.

    --limits and --options change only the keys given (key= removes one).

    \b
    Examples:
      concentrator meters update m-0001 --name "门卫" --area B2
      concentrator meters update m-0004 --port bus3
      concentrator meters update m-0001 --set tariff= --limits power_max_kw=12
    """
    changes = _given(address, protocol, port, kind, area, tariff, name, limits, options)
    if radio is not None:
        changes["radio"] = radio
    for token in assignments:
        field, value = assignment(token, "FIELD=VALUE")
        if field not in EDITABLE:
            fail("--set %s: %s is not a field that can be changed" % (token, field), code=2,
                 hint="use one of %s" % ", ".join(EDITABLE))
        if field in ("limits", "options"):
            changes[field] = pairs(value, "--set %s=" % field)
        else:
            changes[field] = value if value != "" else None
    if not changes:
        fail("nothing to change for %s" % meter_id, code=2,
             hint="give the fields to change, e.g. --name N or --set area=B2")
    agent = connect(config_path)
    before = _one(_archive(agent), meter_id)
    changes["id"] = meter_id
    result = agent.call("meters.update", {"meters": [changes]},
                        hint="nothing was changed; concentrator meters show %s shows the meter"
                        % meter_id)
    agent.close()
    if as_json:
        echo_json(result)
        return
    if not result["updated"]:
        click.echo("%s unchanged (it has these values already)" % meter_id)
        return
    after = result["updated"][0]
    click.echo("updated %s:" % meter_id)
    diff = [(f, "%s -> %s" % (value_text(before.get(f)), value_text(after.get(f))))
            for f in FIELDS if f != "added" and before.get(f) != after.get(f)]
    for line in fields(diff, width=78):
        click.echo("  " + line)


# ----------------------------------------------------------------- remove
@meters.command()
@click.argument("meter_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@config_option
def remove(meter_ids, yes, as_json, config_path):
    """Remove meters from the archive; their stored values are kept.

    Asks before removing unless --yes is given.

    \b
    Examples:
      concentrator meters remove m-0007
      concentrator meters remove m-0007 m-0008 --yes
    """
    agent = connect(config_path)
    records = _archive(agent)
    known = set(m["id"] for m in records)
    unknown = [i for i in meter_ids if i not in known]
    if unknown:
        fail("no meter%s %s in the archive" % ("s" if len(unknown) > 1 else "",
                                              ", ".join(unknown)), code=2,
             hint="concentrator meters list shows the meters and their ids")
    ids = list(dict.fromkeys(meter_ids))
    if not yes:
        confirm("remove %d meter%s (%s)? Their stored values are kept."
                 % (len(ids), "" if len(ids) == 1 else "s", ", ".join(ids)), "nothing removed")
    removed = agent.call("meters.remove", {"meters": ids})["removed"]
    agent.close()
    if as_json:
        echo_json({"removed": removed})
        return
    click.echo("removed %s" % ", ".join(removed))


meters.add_command(import_)
meters.add_command(export)
