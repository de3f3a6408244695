"""``concentrator demo``: the whole product on simulated meters (placeholder)."""

import click


@click.command()
def demo():
    """Run simulated meters, the agent and a local broker in accelerated time.

    \b
    Example:
      concentrator demo
    """
    click.echo("concentrator demo: not yet available (it comes with the agent, issue 6);"
               " try `concentrator decode --help` meanwhile.")
