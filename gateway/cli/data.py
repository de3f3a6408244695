"""``concentrator data``, ``events`` and ``logs``: what the store holds.

All three work with the agent stopped (on the store file).  Tables show the
newest rows (``--limit N``, ``--all``) oldest first, times in the
concentrator's local time with the offset in the header; ``--json`` and
``--format csv`` keep every value exact.
"""

import csv
import io

import click

from gateway.cli.args import ConsoleClock, chosen_limit, console_range, limit_options, parse
from gateway.cli.common import config_option, connect
from gateway.cli.table import WIDTH, cut, echo_json, echo_table, footer, json_option, value_text
from gateway.ops.data import DATA_MAX_ROWS
from gateway.timefmt import offset_of, offset_text, parse_iso, table_time
from store import KINDS, LOG_CATEGORIES

TABLE_ROWS = 20
MAX_PAGES = 50            # events/logs: 1000 rows a query, at most this many queries
MORE = "--limit N or --all shows more"


def _time_header(rows):
    return "time %s" % offset_text(offset_of(rows[0]["ts"])) if rows else "time"


def _newest(rows, limit):
    return rows[-limit:] if limit else rows


def _end(shown_n, total, noun, truncated=False):
    if shown_n < total:
        click.echo(footer(shown_n, total, noun, MORE, "the newest"))
    if truncated:
        click.echo("more than %d %s in that range: narrow --from/--to for the newest"
                   % (total, noun))


# ------------------------------------------------------------------- data
@click.command()
@click.argument("meter")
@click.option("--kind", type=click.Choice(KINDS), default="daily", show_default=True,
              help="Which values: real-time reads or frozen hourly/daily/monthly ones.")
@click.option("--from", "start", metavar="T", help="From this time on (default: the oldest).")
@click.option("--to", "end", metavar="T",
              help="Before this time (a date: up to the end of that day).")
@click.option("--item", "-i", "--q", "quantities", multiple=True, metavar="Q",
              help="Only this quantity, e.g. energy.active.import.total (repeatable; "
                   "as for read; --q is the old name).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output form; csv and json give every row unless --limit.")
@limit_options(TABLE_ROWS, "values")
@json_option
@config_option
def data(meter, kind, start, end, quantities, fmt, limit, show_all, as_json, config_path):
    """Show the stored values of one meter.

    T is a date (2026-11-23), a local time ("2026-11-23 08:00", the
    concentrator's offset) or ISO 8601 with its offset.

    \b
    Examples:
      concentrator data m-0001
      concentrator data m-0001 --kind hourly --from 2026-11-23 --to 2026-11-23
      concentrator data m-0004 --kind realtime --item volume.total --all
      concentrator data m-0001 --kind monthly --format csv > m-0001.csv
    """
    fmt = "json" if as_json else fmt
    limit = chosen_limit(limit, show_all, TABLE_ROWS if fmt == "table" else None)
    agent = connect(config_path)
    clock = ConsoleClock(agent)
    args = {"meter": meter, "kind": kind, "limit": limit or DATA_MAX_ROWS, "newest": bool(limit)}
    if start:
        args["from"] = parse(start, "--from", clock)
    if end:
        args["to"] = parse(end, "--to", clock, end=True)
    if quantities:
        args["q"] = list(quantities)
    result = agent.call("data", args)
    agent.close()
    rows = result["values"]
    if fmt == "json":
        echo_json({"meter": meter, "kind": kind, "values": rows, "shown": len(rows),
                   "truncated": result["truncated"]})
        return
    if fmt == "csv":
        _csv(rows)
        return
    if not rows:
        click.echo("no %s values of %s%s" % (kind, meter, " in that range" if start or end
                                              else " stored"))
        return
    echo_table((_time_header(rows), "quantity", "value", "unit", "src"),
               [(table_time(r["ts"]), r["q"], r["value"], r["unit"],
                 r["src"] + ("*" if r.get("clock_off") else "")) for r in rows],
               numeric=(2,))
    if any(r.get("clock_off") for r in rows):
        click.echo(cut("* frozen by the meter's clock while it was out of tolerance", WIDTH))
    if result["truncated"] and limit:
        click.echo(cut("%d values shown (the newest); %s" % (len(rows), MORE), WIDTH))
    elif result["truncated"]:
        click.echo(cut("more than %d values in that range: narrow --from/--to" % len(rows), WIDTH))


def _csv(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("meter", "kind", "q", "ts", "value", "unit", "src", "read_ts"))
    for r in rows:
        w.writerow((r["meter"], r["kind"], r["q"], r["ts"],
                    "" if r["value"] is None else value_text(r["value"]), r["unit"], r["src"],
                    r.get("read_ts") or ""))
    click.echo(out.getvalue(), nl=False)


# ---------------------------------------------------------- events, logs
def _query_all(agent, op, args, key):
    """Every row of ``op`` in the range: the ops answer at most 1000 rows at
    once (``truncated``), then we ask again from the last one's time.
    Returns (rows, whether some are still missing)."""
    rows, seen = [], set()
    for _ in range(MAX_PAGES):
        got = agent.call(op, args)
        new = [r for r in got[key] if r["id"] not in seen]
        rows.extend(new)
        seen.update(r["id"] for r in new)
        if not got["truncated"]:
            return rows, False
        if not new:             # 1000 rows in one second: cannot page further
            break
        args = dict(args, **{"from": got[key][-1]["ts"]})
    return rows, True


@click.command()
@click.option("--from", "start", metavar="T", help="From this time on (default: 24 h ago).")
@click.option("--to", "end", metavar="T",
              help="Before this time (default: now; a date: up to the end of that day).")
@click.option("--type", "etype", metavar="TYPE", help="Only this type, e.g. meter_offline.")
@click.option("--meter", metavar="ID", help="Only the events of this meter.")
@limit_options(TABLE_ROWS, "events")
@json_option
@config_option
def events(start, end, etype, meter, limit, show_all, as_json, config_path):
    """Show stored events and alarms (the last 24 hours by default).

    \b
    Examples:
      concentrator events
      concentrator events --type meter_offline --from 2026-11-01 --all
      concentrator events --meter m-0005 --json
    """
    limit = chosen_limit(limit, show_all, TABLE_ROWS)
    agent = connect(config_path)
    start_iso, end_iso = console_range(start, end, ConsoleClock(agent))
    args = {"from": start_iso, "to": end_iso}
    if etype:
        args["type"] = etype
    if meter:
        args["meter"] = meter
    rows, missing = _query_all(agent, "events.query", args, "events")
    agent.close()
    chosen = _newest(rows, limit)
    if as_json:
        echo_json({"from": start_iso, "to": end_iso, "events": chosen, "shown": len(chosen),
                   "total": len(rows), "truncated": missing})
        return
    if not rows:
        click.echo("no events from %s to %s (%s)" % (table_time(start_iso), table_time(end_iso),
                                                     offset_text(offset_of(end_iso))))
        return
    echo_table((_time_header(chosen), "type", "severity", "meter", "detail"),
               [(table_time(e["ts"]), e["type"], e["severity"], e["meter"] or "-",
                 value_text(e["detail"]) if e["detail"] else "-") for e in chosen])
    _end(len(chosen), len(rows), "events", missing)


@click.command()
@click.option("--category", "categories", multiple=True, type=click.Choice(LOG_CATEGORIES),
              help="Only this log (repeatable; default: all five).")
@click.option("--from", "start", metavar="T", help="From this time on (default: 24 h ago).")
@click.option("--to", "end", metavar="T",
              help="Before this time (default: now; a date: up to the end of that day).")
@click.option("--operator", metavar="NAME", help="Only the entries of this operator.")
@limit_options(TABLE_ROWS, "log entries")
@json_option
@config_option
def logs(categories, start, end, operator, limit, show_all, as_json, config_path):
    """Show the concentrator's logs (the last 24 hours by default).

    The categories are acquisition, statistics, modification (archive and
    parameter changes, operators and roles), operation (commands that change
    something, starts and stops) and login (logins, logouts, expiries,
    failures, lockouts).  Each entry says who and from where.

    \b
    Examples:
      concentrator logs
      concentrator logs --category modification --from 2026-11-01 --all
      concentrator logs --category operation --category login --json
      concentrator logs --category login --operator alice
    """
    limit = chosen_limit(limit, show_all, TABLE_ROWS)
    agent = connect(config_path)
    start_iso, end_iso = console_range(start, end, ConsoleClock(agent))
    rows, missing = [], False
    for cat in categories or LOG_CATEGORIES:
        query = {"category": cat, "from": start_iso, "to": end_iso}
        if operator:
            query["operator"] = operator
        got, more = _query_all(agent, "logs.query", query, "logs")
        rows.extend(got)
        missing = missing or more
    agent.close()
    rows.sort(key=lambda r: (parse_iso(r["ts"]), r["id"]))
    chosen = _newest(rows, limit)
    if as_json:
        echo_json({"from": start_iso, "to": end_iso, "logs": chosen, "shown": len(chosen),
                   "total": len(rows), "truncated": missing})
        return
    if not rows:
        click.echo("no log entries from %s to %s (%s)" % (
            table_time(start_iso), table_time(end_iso), offset_text(offset_of(end_iso))))
        return
    if len(categories) == 1:
        echo_table((_time_header(chosen), "message"),
                   [(table_time(r["ts"]), r["message"]) for r in chosen])
    else:
        echo_table((_time_header(chosen), "category", "message"),
                   [(table_time(r["ts"]), r["category"], r["message"]) for r in chosen])
    _end(len(chosen), len(rows), "log entries", missing)
