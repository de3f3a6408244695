"""The ``concentrator`` command: one click group, one module per command family.

Used on a board's 80x24 serial console and on a PC.  Errors go to stderr as
one line with the cause and a hint; exit codes are 2 for usage and
configuration errors and 1 for failures (spec/cli.md).
"""

import click

from gateway import __version__
from gateway.cli_decode import decode
from gateway.cli_demo import demo
from gateway.cli_probe import probe, scan
from gateway.cli_sim import sim


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80})
@click.version_option(__version__, prog_name="concentrator")
def cli():
    """Data concentrator for remote meter reading (远程集中抄表集中器).

    \b
    Examples:
      concentrator decode --protocol dlt645-2007 "68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16"
      concentrator probe /dev/ttyS1 -p dlt645-2007 -a 000012345678
      concentrator scan /dev/ttyS1 -p dlt645-2007
      concentrator demo
    """


cli.add_command(decode)
cli.add_command(demo)
cli.add_command(probe)
cli.add_command(scan)
cli.add_command(sim)


def main():
    cli(prog_name="concentrator")
