"""``concentrator control``, ``recall`` and ``diag``: what the master station
can ask over MQTT, for the field engineer at the console.

They are the same ops (gateway.ops.table: ``control``, ``recall``, ``diag``)
through the control socket, or on the files where the op's row says
``offline`` (``recall`` and ``diag``); ``control`` works a meter on its bus and
needs the running agent.
"""

import click

from gateway.cli.args import ConsoleClock, confirm, parse
from gateway.cli.common import config_option, connect, fail
from gateway.cli.table import echo_json, echo_table, fields, json_option, value_text
from gateway.timefmt import table_time
from store import KINDS

ACTIONS = ("valve.open", "valve.close", "relay.open", "relay.close")
WHAT_IT_DOES = {"valve.close": "closes the valve: the supply stops",
                "relay.open": "opens the relay: the power is cut",
                "valve.open": "opens the valve", "relay.close": "closes the relay: power on"}


# ---------------------------------------------------------------- control
@click.command()
@click.argument("meter_id", metavar="METER")
@click.argument("action", type=click.Choice(ACTIONS), metavar="ACTION")
@click.option("--yes", "-y", is_flag=True, help="Do it without asking.")
@json_option
@config_option
def control(meter_id, action, yes, as_json, config_path):
    """Open or close a meter's valve or relay (needs the agent).

    ACTION is valve.open or valve.close (CJ/T188 water, gas and heat meters)
    or relay.open or relay.close (DL/T645-2007: open cuts the power).  Asks
    first unless --yes; exits 1 when the meter refused or did not answer.

    \b
    Examples:
      concentrator control m-0004 valve.close
      concentrator control m-0001 relay.close --yes --json
    """
    agent = connect(config_path, need_agent=True)
    if not agent.running:
        agent.call("control", {"meter": meter_id, "action": action})    # refused: not_running
    if not yes:
        confirm("%s on %s %s?" % (action, meter_id, WHAT_IT_DOES[action]), "nothing done")
    # a control whose read-back state is not the one asked fails in the agent (valve_fault)
    result = agent.call("control", {"meter": meter_id, "action": action},
                        hint="concentrator meters show %s shows its protocol; concentrator "
                        "events --meter %s its alarms" % (meter_id, meter_id))
    if as_json:
        echo_json(result)
    else:
        click.echo("%s %s: %s is now %s" % (meter_id, action, action.split(".")[0],
                                           result.get("state")))


# ----------------------------------------------------------------- recall
@click.command()
@click.argument("meter_ids", metavar="[METER...]", nargs=-1)
@click.option("--kind", required=True, type=click.Choice(KINDS), help="Which values.")
@click.option("--from", "start", required=True, metavar="T", help="From this time on.")
@click.option("--to", "end", required=True, metavar="T",
              help="Before this time (a date: up to the end of that day).")
@json_option
@config_option
def recall(meter_ids, kind, start, end, as_json, config_path):
    """Send stored values to the master station again (补召).

    The values of KIND in [--from, --to) of the METERs given (default all)
    are queued for the uplink again; they go up in their order as the link
    allows.  T is a date, a local time or ISO 8601 with its offset.  Works
    with the agent stopped too (they go when it runs).

    \b
    Examples:
      concentrator recall --kind daily --from 2026-11-01 --to 2026-11-07
      concentrator recall m-0001 m-0002 --kind hourly --from 2026-11-23 \\
          --to "2026-11-23 12:00"
    """
    agent = connect(config_path)
    clock = ConsoleClock(agent)
    args = {"kind": kind, "from": parse(start, "--from", clock),
            "to": parse(end, "--to", clock, end=True),
            "meters": list(dict.fromkeys(meter_ids)) or "all"}
    result = agent.call("recall", args, hint="concentrator recall --help shows the forms")
    agent.close()
    if as_json:
        echo_json(result)
        return
    n = result["records"]
    click.echo("%d %s value%s queued for the master station again (%s .. %s)" % (
        n, kind, "" if n == 1 else "s", table_time(args["from"]), table_time(args["to"])))


# ------------------------------------------------------------------- diag
def _diag_lines(d):
    clock = d.get("clock") or {}
    store = d.get("store") or {}
    health = d.get("health") or {}
    outbox = d.get("outbox")
    pairs = [("time", "%s  fw %s, %s meters" % (table_time(d.get("ts")), d.get("fw"),
                                                d.get("meters"))),
             ("clock", "drift %s, RTC offset %s, last correction %s" % (
                 "-" if clock.get("drift_ppm") is None else "%s ppm" % clock["drift_ppm"],
                 "-" if clock.get("rtc_offset_s") is None else "%s s" % clock["rtc_offset_s"],
                 "-" if not clock.get("last_correction") else "%s (%+.3f s)" % (
                     table_time(clock["last_correction"]["ts"]),
                     float(clock["last_correction"]["correction_s"])))),
             ("store", "integrity %s; %s" % (store.get("integrity", "-"), ", ".join(
                 "%s %s" % (k, v) for k, v in sorted((store.get("readings") or {}).items())))),
             ("outbox", value_text(outbox) if not isinstance(outbox, dict) else ", ".join(
                 "%s %s" % (k, value_text(v)) for k, v in sorted(outbox.items()))),
             ("conditions", "%d active%s" % (health.get("active", 0), "".join(
                 ", %s %d" % (k, v) for k, v in sorted((health.get("by_condition") or {})
                                                       .items()))))]
    if "uplink" in d:
        up = d["uplink"]
        pairs.append(("uplink", value_text(up) if not isinstance(up, dict) else ", ".join(
            "%s %s" % (k, value_text(v)) for k, v in sorted(up.items()))))
    return fields(pairs)


@click.command()
@json_option
@config_option
def diag(as_json, config_path):
    """The master station's diagnosis: ports, store, clock, health.

    Each port's counters and the meters on it, the store's integrity check
    and row counts, the clock, the uplink outbox and the meters' active
    conditions.  With the agent stopped it shows what the files hold.

    \b
    Examples:
      concentrator diag
      concentrator diag --json > diag.json
    """
    agent = connect(config_path)
    d = agent.call("diag")
    agent.close()
    if as_json:
        echo_json(d)
        return
    for line in _diag_lines(d):
        click.echo(line)
    ports = d.get("ports") or {}
    if ports:
        click.echo("")
        echo_table(("port", "meters", "requests", "replies", "timeouts", "queue", "last ok"),
                   [(name, p.get("meters"), p.get("requests"), p.get("replies"),
                     p.get("timeouts"), p.get("queue"), table_time(p.get("last_ok")))
                    for name, p in sorted(ports.items())], numeric=(1, 2, 3, 4, 5))
