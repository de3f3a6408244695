"""``concentrator demo``: the whole product on simulated meters, in accelerated time."""

import click

from gateway.cli.common import fail
from upstream import jsonexact


@click.command()
@click.option("--days", type=click.FloatRange(0.01, 400), default=3.0, show_default=True,
              help="Simulated days to run.")
@click.option("--speed", type=click.FloatRange(1, 1e6), default=4320.0, show_default=True,
              help="Simulated seconds per real second (4320: three days a minute).")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False),
              help="Bench scenario (default: sim/scenarios/bench.toml, every meter kind).")
@click.option("--no-broker", is_flag=True, help="Run without the local MQTT broker.")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Keep the agent's files here (default: a temporary directory, removed).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON at the end.")
def demo(days, speed, scenario, no_broker, data_dir, as_json):
    """Run simulated meters, the agent and a local broker in accelerated time.

    Simulated electricity, water, gas and heat meters on four virtual ports
    and a radio; the agent polls, freezes and uplinks over MQTT to a local
    mosquitto (when one can be started; otherwise the uplink is off and the
    demo says so).  What the master station receives is printed as it
    arrives; a summary closes the run.  Ctrl-C ends it early (with the
    summary).

    \b
    Examples:
      concentrator demo
      concentrator demo --days 1 --speed 1440
      concentrator demo --data-dir /tmp/demo --days 31 --speed 100000
    """
    from gateway.demo import Demo, summary_lines
    from sim.scenario import ScenarioError
    d = Demo(scenario=scenario, days=days, speed=speed, data_dir=data_dir, broker=not no_broker)
    try:
        try:
            s = d.run()
        except KeyboardInterrupt:
            click.echo("interrupted: stopping", err=True)
            s = d.summary()
        except ScenarioError as err:
            fail(str(err), code=2, hint="see docs/bench.md for the scenario format")
    finally:
        d.close()
    for line in summary_lines(s):
        click.echo(line)
    if as_json:
        click.echo(jsonexact.dumps(s))
