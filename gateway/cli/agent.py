"""``concentrator read``, ``freeze`` and ``time``: work the running agent does.

Reading a meter, freezing and setting clocks go over the buses the agent
owns, so these need it running (``time`` alone shows the clock, which works
on the files too).  Work on many meters is one request per meter from a few
threads -- each its own control-socket connection -- so that a progress bar
can move and one slow meter does not hold up the others' results.
"""

import difflib
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import click

from gateway.cli.args import ConsoleClock, parse
from gateway.cli.common import config_option, connect, fail
from gateway.cli.table import echo_json, echo_table, fields, json_option
from gateway.console.server import ControlError
from gateway.timefmt import offset_of, offset_text, table_time
from protocols import registry
from protocols.core import quantities
from scheduler.plan import FROZEN

THREADS = 4


def _need_agent(agent, op, args=None):
    """Exit 1 saying ``op`` needs the agent, when it is not running."""
    if not agent.running:
        agent.call(op, args or {})         # refused: need_agent, with the hint


def _meter_ids(agent, given, every=False, skip=()):
    """The ids to work on: ``given`` -- meter ids, or addresses as on the
    nameplate (按地址选抄) of archived meters -- checked against the archive
    (exit 2 naming the unknown ones and what to do), or, with ``every``, all
    but protocols ``skip``."""
    records = agent.call("meters.list")["meters"]
    if every:
        return [m["id"] for m in records if m["protocol"] not in skip]
    known = set(m["id"] for m in records)
    by_address = {}
    for m in records:
        by_address.setdefault(m["address"], []).append(m["id"])
    ids, unknown = [], []
    for name in given:
        if name in known:
            ids.append(name)
        elif len(by_address.get(name, ())) == 1:
            ids.append(by_address[name][0])
        elif by_address.get(name):
            fail("address %s is meters %s" % (name, ", ".join(by_address[name])), code=2,
                 hint="name the meter by its id")
        else:
            unknown.append(name)
    if unknown:
        fail("no meter%s %s in the archive (neither an id nor an address there)" %
             ("s" if len(unknown) > 1 else "", ", ".join(unknown)), code=2,
             hint="concentrator meters list shows the archive; add a meter first to read it "
                  "through the agent (concentrator meters add -a ADDRESS -p PROTOCOL --port "
                  "PORT), or read it once directly on a port the agent does not own "
                  "(concentrator probe PORT --protocol P --address ADDRESS)")
    return list(dict.fromkeys(ids))


def per_meter(agent, op, ids, args, label):
    """{meter id: the op's result for it, or {"error": {code, message}}}; one
    request per meter from THREADS threads, a progress bar on stderr when
    there are several."""
    def one(mid):
        try:
            return agent.client.call(op, dict(args, meters=[mid]))["meters"][mid]
        except ControlError as err:
            return {"error": {"code": err.code, "message": err.message}}

    if len(ids) == 1:
        return {ids[0]: one(ids[0])}
    out = {}
    with ThreadPoolExecutor(THREADS) as pool, \
            click.progressbar(length=len(ids), label="%s %d meters" % (label, len(ids)),
                              file=sys.stderr) as bar:
        futures = dict((pool.submit(one, mid), mid) for mid in ids)
        for f in as_completed(futures):
            out[futures[f]] = f.result()
            bar.update(1)
    return dict((mid, out[mid]) for mid in ids)


def _error_text(err):
    return "%s: %s" % (err.get("code"), err.get("message"))


def _failed(results):
    return [mid for mid, r in results.items() if "error" in r]


# ------------------------------------------------------------------- read
@click.command()
@click.argument("meter_ids", metavar="METER...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Read every meter of the archive.")
@click.option("--item", "-i", "items", multiple=True, metavar="Q",
              help="Read this quantity, e.g. energy.active.import.total (repeatable; "
                   "default: the meter's real-time items).")
@json_option
@config_option
def read(meter_ids, every, items, as_json, config_path):
    """Read meters now (召测) through the running agent.

    The reads go ahead of the scheduled work.  Prints each meter's values
    with units, or what went wrong; exits 1 when any meter failed.

    \b
    Examples:
      concentrator read m-0001
      concentrator read m-0001 m-0002 --item energy.active.import.total
      concentrator read 000000000101      (an archived meter, by its address)
      concentrator read --all --json > now.json
    """
    if bool(meter_ids) == every:
        fail("give meter ids or --all (not both)" if every else "which meters? give their ids "
             "or --all", code=2, hint="concentrator meters list shows the ids")
    for q in items:
        if quantities.unit_of(q) is None:
            close = difflib.get_close_matches(q, quantities.names(), 3)
            fail("--item %s is not a quantity name" % q, code=2,
                 hint="did you mean %s?" % " or ".join(close) if close else
                 "names are like energy.active.import.total, voltage.a, volume.total")
    agent = connect(config_path, need_agent=True)
    _need_agent(agent, "read", {"meters": list(meter_ids) or "all"})
    ids = _meter_ids(agent, meter_ids, every)
    args = {"q": list(dict.fromkeys(items))} if items else {}
    results = per_meter(agent, "read", ids, args, "reading")
    failed = _failed(results)
    if as_json:
        echo_json({"meters": results})
    else:
        for mid, r in results.items():
            if "error" in r:
                for line in fields([(mid, "error: " + _error_text(r["error"]))]):
                    click.echo(line)
                continue
            click.echo(mid)
            echo_table(("quantity", "value", "unit"),
                       [(v["q"], v["value"], v["unit"]) for v in r["values"]],
                       numeric=(1,), header=False, indent="  ")
            if r.get("note"):
                click.echo(textwrap.fill(r["note"], 78, initial_indent="  note: ",
                                         subsequent_indent="        "))
        if len(ids) > 1:
            click.echo("%d of %d meters read%s" % (len(ids) - len(failed), len(ids),
                                                   "; failed: " + ", ".join(failed)
                                                   if failed else ""))
    if failed:
        raise SystemExit(1)


# ----------------------------------------------------------------- freeze
@click.command()
@click.option("--kind", required=True, type=click.Choice(FROZEN), help="Which freeze.")
@json_option
@config_option
def freeze(kind, as_json, config_path):
    """Freeze now (broadcast freeze, then read); needs the agent.

    DL/T645-2007 buses get the broadcast freeze; then every meter's values of
    that kind are read: a DL/T645-2007 meter's instant-freeze record (src
    meter, at the broadcast instant), the others' current values (src read).
    They are stored as real-time readings and go upstream; nothing is stored
    as an hourly/daily/monthly value.

    \b
    Examples:
      concentrator freeze --kind daily
      concentrator freeze --kind hourly --json
    """
    agent = connect(config_path, need_agent=True)
    result = agent.call("freeze", {"kind": kind})
    if as_json:
        echo_json(result)
    else:
        click.echo("freeze %s: broadcast on %s; %d meter read%s queued" % (
            kind, ", ".join(result["broadcast"]) or "no bus", result["meters"],
            "" if result["meters"] == 1 else "s") +
            ("" if not result.get("instant") else ", %d of the instant freeze record" %
             result["instant"]))
        for bus, message in sorted((result.get("failed") or {}).items()):
            for line in fields([("broadcast on %s failed:" % bus, message)]):
                click.echo(line)
    if result.get("failed"):
        raise SystemExit(1)


# ------------------------------------------------------------------- time
@click.command("time")
@click.argument("meter_ids", metavar="[METER...]", nargs=-1)
@click.option("--set", "set_to", metavar="T",
              help="Set the concentrator clock (needs the agent).")
@click.option("--sync-meters", is_flag=True,
              help="Check the meters' clocks and correct them within the protocols' limits "
                   "(the METERs given, or all; needs the agent).")
@json_option
@config_option
def time_(meter_ids, set_to, sync_meters, as_json, config_path):
    """Show or set the concentrator clock; sync the meters' clocks.

    T is a local time ("2026-11-23 08:00:00", the concentrator's offset) or
    ISO 8601 with its offset, or now: the time of the machine the console
    runs on (a PC's clock kept by NTP, say).

    \b
    Examples:
      concentrator time
      concentrator time --set "2026-11-23 08:00:00"
      concentrator time --set now          this machine's time
      concentrator time --sync-meters
      concentrator time --sync-meters m-0001 m-0004
    """
    if meter_ids and not sync_meters:
        fail("meter ids are for --sync-meters", code=2,
             hint="concentrator time --sync-meters %s" % " ".join(meter_ids))
    agent = connect(config_path, need_agent=bool(set_to or sync_meters))
    if not (set_to or sync_meters):
        _show_time(agent.call("time.get"), as_json)
        agent.close()
        return
    doc = {}
    if set_to:
        _need_agent(agent, "time.set", {"ts": set_to})
        clock = ConsoleClock(agent)
        if set_to.strip().lower() == "now":     # this machine's time, not the agent's own
            ts = clock.iso(time.time())
        else:
            ts = parse(set_to, "--set", clock)
        doc["set"] = dict(agent.call("time.set", {"ts": ts}), ts=ts)
        if not as_json:
            click.echo("clock set to %s %s (correction %+.3f s)" % (
                table_time(ts), offset_text(offset_of(ts)), doc["set"]["correction_s"]))
    failed = []
    if sync_meters:
        _need_agent(agent, "time.sync_meters")
        ids = _meter_ids(agent, meter_ids, not meter_ids, skip=[p.name for p in registry.PROTOCOLS if not p.clock])
        doc["meters"] = per_meter(agent, "time.sync_meters", ids, {}, "checking")
        failed = _failed(doc["meters"])
        if not as_json:
            _show_sync(doc["meters"], failed)
    if as_json:
        echo_json(doc)
    if failed:
        raise SystemExit(1)


def _show_time(t, as_json):
    if as_json:
        echo_json(t)
        return
    last = t.get("last_correction")
    for line in fields([
            ("concentrator clock", "%s %s" % (table_time(t["ts"]),
                                              offset_text(t["tz_offset_min"]))),
            ("drift", "-" if t.get("drift_ppm") is None else "%s ppm" % t["drift_ppm"]),
            ("RTC offset", "-" if t.get("rtc_offset_s") is None else "%s s" % t["rtc_offset_s"]),
            ("last correction", "-" if not last else "%s (%+.3f s)" % (
                table_time(last["ts"]), float(last["correction_s"])))]):
        click.echo(line)


def _show_sync(results, failed):
    rows = []
    for mid, r in results.items():
        if "error" in r:
            rows.append((mid, "-", "", "error", r["error"].get("code")))
        else:
            dev = r.get("deviation_s")
            rows.append((mid, table_time(r.get("clock")), "" if dev is None else "%+d" % dev,
                         r.get("action", "-"), r.get("reason") or ""))
    echo_table(("meter", "meter clock", "off s", "action", "note"), rows, numeric=(2,))
    for line in fields([(mid, results[mid]["error"].get("message", "")) for mid in failed]):
        click.echo(line)
    if len(results) > 1:
        click.echo("%d of %d meters checked%s" % (len(results) - len(failed), len(results),
                                                  "; failed: " + ", ".join(failed)
                                                  if failed else ""))
