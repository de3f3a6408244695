"""``concentrator sim``: the bench, simulated meters on virtual serial lines."""

import signal
import threading

import click

from drivers.clock import RealClock
from gateway.cli.common import fail
from upstream import jsonexact


@click.command()
@click.option("--scenario", "-s", "path", required=True, type=click.Path(dir_okay=False),
              help="Scenario file (TOML): ports, meters, faults; see docs/bench.md.")
@click.option("--json", "as_json", is_flag=True, help="Print the port map as one JSON line.")
def sim(path, as_json):
    """Run simulated meters on virtual serial ports until interrupted.

    Each port of the scenario becomes a pseudo-terminal (point pyserial, the
    agent or any other tool at the printed device path) or a TCP port
    (socket://127.0.0.1:PORT).  Meters answer with their protocol's timing
    at the port's baud rate, with the faults the scenario gives them.

    \b
    Examples:
      concentrator sim --scenario sim/scenarios/bench.toml
      concentrator sim -s my.toml --json > ports.json &
    """
    from sim.scenario import ScenarioError, load  # the bench is not on runtime paths
    clock = RealClock()
    try:
        sc = load(path, clock)
    except ScenarioError as err:
        fail(str(err), code=2, hint="see docs/bench.md for the scenario format")
    sc.start()
    ports = sc.describe()
    if as_json:
        click.echo(jsonexact.dumps({"ports": ports}))
    else:
        for p in ports:
            click.echo("%-8s %-24s %6d baud  %-14s %d meter(s)" %
                       (p["name"], p["url"], p["baud"], ",".join(p["protocols"]), len(p["meters"])))
        click.echo("running; Ctrl-C stops", err=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sc.stop()
