"""``concentrator status``: the concentrator on one 80x24 screen.

The numbers are the ``status`` op's (gateway.status.summary: the same
counters the LCD, ``diag`` and the MQTT heartbeat show).  With the agent
stopped the op works on the files: meters, store and backlog are there, the
port counters and the uplink live in the agent and are not.
"""

import click

from gateway.cli.common import config_option, connect
from gateway.cli.table import cut, echo_json, echo_table, fields, json_option, value_text
from gateway.timefmt import offset_of, offset_text, table_time

PORT_COLUMNS = ("port", "requests", "replies", "timeouts", "success", "queue", "last error")


def _size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1024.0


def _duration(seconds):
    seconds = int(seconds)
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return ("%dd %02d:%02d:%02d" % (d, h, m, s)) if d else "%d:%02d:%02d" % (h, m, s)


def _uplink(st):
    up = st.get("uplink")
    if up is None:
        return "not known (the agent is not running)"
    if up.get("enabled") is False:
        return "disabled in the configuration"
    if "error" in up and "up" not in up:
        return "status failed: %s" % up["error"]
    if up.get("up"):
        text = "connected"
        if up.get("connected_s") is not None:
            text += " for %s" % _duration(up["connected_s"])
    else:
        text = "down" + (": %s" % up["last_error"] if up.get("last_error") else "")
    return text + "; %s reconnect%s, %s batches sent, %s in flight" % (
        up.get("reconnects", 0), "" if up.get("reconnects") == 1 else "s",
        up.get("batches_sent", 0), up.get("inflight", 0))


def _lines(st):
    clock = st.get("clock") or {}
    offset = offset_text(offset_of(clock["time"])) if clock.get("time") else ""
    last = clock.get("last_correction")
    store = st["store"]
    meters = st["meters"]
    backlog = st.get("backlog") or {}
    head = "concentrator %s  fw %s  agent %s" % (st.get("cid", "?"), st.get("fw", "?"),
                                                 st.get("agent", "?"))
    if st.get("uptime_s") is not None:
        head += ", up %s" % _duration(st["uptime_s"])
    pairs = [
        ("clock", "%s %s, drift %s" % (
            table_time(clock.get("time")), offset,
            "-" if clock.get("drift_ppm") is None else "%s ppm" % clock["drift_ppm"])),
        ("last set", "-" if not last else "%s (%+.1f s)" % (table_time(last["ts"]),
                                                            float(last["correction_s"]))),
        ("meters", "%d in the archive, %d offline" % (meters["total"], meters["offline"])),
        ("store", "%s of %s (%.1f %%)" % (_size(store["bytes"]), _size(store["budget"]),
                                          100.0 * store["bytes"] / max(1, store["budget"]))),
        ("uplink", _uplink(st)),
        ("backlog", "%s records waiting, %s batches unacknowledged, oldest %s" % (
            backlog.get("waiting_records", 0), backlog.get("unacked_batches", 0),
            table_time(backlog.get("oldest")))),
    ]
    return [cut(head, 80)] + fields(pairs)


@click.command()
@json_option
@config_option
def status(as_json, config_path):
    """Ports, counters, store, uplink and clock on one screen.

    Success rates and queues per port, meters offline, store use against its
    budget, the uplink and its backlog, the clock.  With the agent stopped it
    shows what the files hold (no port counters).

    \b
    Examples:
      concentrator status
      concentrator status --json
    """
    agent = connect(config_path)
    st = agent.call("status")
    agent.close()
    if as_json:
        echo_json(st)
        return
    for line in _lines(st):
        click.echo(line)
    ports = st.get("ports") or {}
    click.echo("")
    if not ports:
        click.echo("ports: no counters (they live in the running agent)")
        return
    rows = []
    for name, p in ports.items():
        rate = p.get("success_rate")
        rows.append((name, p["requests"], p["replies"], p["timeouts"],
                     "-" if rate is None else "%.1f %%" % (100 * float(rate)), p["queue"],
                     value_text(p.get("last_error")) if p.get("last_error") else "-"))
    echo_table(PORT_COLUMNS, rows, numeric=(1, 2, 3, 4, 5))
