"""The ``concentrator`` command: one click group, one module per command family.

Used on a board's 80x24 serial console and on a PC.  Errors go to stderr as
one line with the cause and a hint; exit codes are 2 for usage and
configuration errors and 1 for failures (spec/cli.md).
"""

import click

from gateway import __version__
from gateway.cli.agent import freeze, read, time_
from gateway.cli.backup import backup, restore
from gateway.cli.data import data, events, logs
from gateway.cli.decode import decode
from gateway.cli.demo import demo
from gateway.cli.lcd import lcd
from gateway.cli.meter_params import meter_params
from gateway.cli.meters import meters
from gateway.cli.params import params
from gateway.cli.probe import probe, scan
from gateway.cli.run import run
from gateway.cli.sim import sim
from gateway.cli.station import control, diag, recall
from gateway.cli.status import status
from gateway.cli.upgrade import upgrade
from gateway.cli.users import login, logout, users, whoami


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80})
@click.version_option(__version__, prog_name="concentrator")
def cli():
    """Data concentrator for remote meter reading (远程集中抄表集中器).

    \b
    Examples:
      concentrator status                  ports, meters, store, uplink, clock
      concentrator meters list             the archive (档案)
      concentrator read m-0001             read a meter now, through the agent
      concentrator data m-0001 --kind daily
      concentrator probe /dev/ttyS1 -p dlt645-2007 -a 000012345678 -v
      concentrator control m-0004 valve.close
      concentrator backup /root/c01.tar.gz
      concentrator demo                    the product on simulated meters

    The console finds the agent through its configuration: --config FILE,
    or $CONCENTRATOR_CONFIG (default /etc/concentrator/concentrator.toml).
    """


cli.add_command(decode)
cli.add_command(demo)
cli.add_command(probe)
cli.add_command(run)
cli.add_command(scan)
cli.add_command(sim)
cli.add_command(meters)
cli.add_command(meter_params)
cli.add_command(data)
cli.add_command(read)
cli.add_command(events)
cli.add_command(logs)
cli.add_command(params)
cli.add_command(time_)
cli.add_command(freeze)
cli.add_command(status)
cli.add_command(lcd)
cli.add_command(upgrade)
cli.add_command(control)
cli.add_command(recall)
cli.add_command(diag)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(login)
cli.add_command(logout)
cli.add_command(whoami)
cli.add_command(users)


def main():
    cli(prog_name="concentrator")
