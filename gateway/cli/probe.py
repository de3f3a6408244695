"""``concentrator probe`` and ``concentrator scan``: one port, directly.

For commissioning and troubleshooting with the agent stopped (or on a port
it does not own).  PORT is a device path or a pyserial URL.
"""

import sys

import click

from drivers.clock import RealClock
from drivers.errors import DriverError
from drivers.port import Port
from drivers.meters import default_settings, make_session
from drivers.meters import scan as scan_bus
from drivers.meters.records import decimal_of
from drivers.transport import SerialTransport
from gateway.cli.common import fail, print_records
from protocols import registry
from upstream import jsonexact

RS485 = {"rts_level_for_tx": True, "rts_level_for_rx": False, "delay_before_tx": 0.0,
         "delay_before_rx": 0.0}


def _open_port(port, protocol, baud, parity, timeout, retries, echo, verbose, rs485=False):
    settings = default_settings(protocol, baud=baud, parity=parity, reply_timeout=timeout,
                                retries=retries, echo=echo or None)
    transport = SerialTransport(port, settings.baud, settings.parity, settings.bytesize,
                                settings.stopbits, rs485=RS485 if rs485 else None)
    clock = RealClock()
    frames = None
    if verbose:
        t0 = clock.monotonic()

        def frames(p, trace):
            for direction, data, when in frame_lines(trace):
                click.echo("%+9.3f s %s %s" % (when - t0, direction, data.hex(" ").upper()),
                           err=True)
    return Port(port, transport, clock, settings, frame_log=frames)


def frame_lines(trace):
    """A transaction's trace (``(direction, bytes, monotonic)`` per chunk the
    port read) as one ``(direction, bytes, time of its first byte)`` per frame:
    the chunks received after a request are joined."""
    out = []
    for direction, data, when in trace:
        if out and direction == "rx" and out[-1][0] == "rx":
            out[-1] = ("rx", out[-1][1] + data, out[-1][2])
        else:
            out.append((direction, bytes(data), when))
    return out


def line_options(f):
    for opt in reversed([
        click.option("--protocol", "-p", required=True, type=click.Choice(registry.meter_protocols()),
                     help="The protocol the meters speak."),
        click.option("--baud", type=int, help="Line speed (default: the protocol's usual one)."),
        click.option("--parity", type=click.Choice(["N", "E", "O"]), help="Parity (default E, Modbus N)."),
        click.option("--timeout", type=float, help="Reply timeout in seconds."),
        click.option("--retries", type=int, help="Retries after a timeout or a bad frame."),
        click.option("--echo", is_flag=True, help="The adapter hears its own bytes: drop the echo."),
        click.option("--rs485", is_flag=True,
                     help="Use the kernel's RS485 mode (RTS drives the transceiver)."),
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output."),
        click.option("-v", "--verbose", is_flag=True, help="Every frame in hex with its time, on stderr."),
    ]):
        f = opt(f)
    return f


@click.command()
@click.argument("port")
@line_options
@click.option("--address", "-a", required=True,
              help="Meter address as printed on it (DL/T645 12 digits, CJ/T188 14, "
                   "M-Bus primary 0-250 or 8-digit secondary id, Modbus slave id).")
@click.option("--item", "-i", "items", multiple=True,
              help="Quantity to read, e.g. energy.active.import.total (repeatable).")
@click.option("--kind", type=click.Choice(registry.KINDS),
              help="CJ/T188 meter kind (sets the type byte).")
@click.option("--profile", help="Modbus register map (e.g. eastron-sdm120).")
def probe(port, protocol, baud, parity, timeout, retries, echo, rs485, as_json, verbose, address,
          items, kind, profile):
    """Read one meter directly on a port and print its values with units.

    \b
    Examples:
      concentrator probe /dev/ttyS1 -p dlt645-2007 -a 000012345678
      concentrator probe socket://10.0.0.7:4001 -p cjt188 -a 78330011223344 \\
          --kind water -v
      concentrator probe /dev/ttyS2 -p mbus -a 8 --item volume.total
      concentrator probe /dev/ttyUSB0 -p modbus -a 1 --profile eastron-sdm120 \\
          --json
    """
    p = _open_port(port, protocol, baud, parity, timeout, retries, echo, verbose, rs485)
    options = {}
    if profile:
        options["profile"] = profile
    try:
        session = make_session(p, protocol, address, kind=kind, **options)
        started = p.clock.monotonic()
        records = session.read(list(items) or None)      # None: the registry's default items
        elapsed = p.clock.monotonic() - started
    except DriverError as err:
        fail(err.message, code=1, hint=err.hint)
    except ValueError as err:
        fail(str(err), code=2)
    finally:
        p.close()
    if as_json:
        click.echo(jsonexact.dumps({"port": port, "protocol": protocol, "address": address,
                                    "values": records, "counters": p.counters.port.snapshot()},
                                   default=decimal_of))
    else:
        print_records(records)
        c = p.counters.port
        click.echo("%d value(s) in %.2f s; %d request(s), %d retr%s" %
                   (len(records), elapsed, c.requests, c.retries, "y" if c.retries == 1 else "ies"),
                   err=True)
    if not records:
        fail("the meter answered but gave none of the requested quantities", code=1,
             hint="list what it has with --item omitted, or check the quantity names")


@click.command()
@click.argument("port")
@line_options
@click.option("--secondary", is_flag=True, help="M-Bus: search secondary ids instead of primary addresses.")
@click.option("--csv", "csv_port", metavar="BUS",
              help="Print the meters found as archive CSV for `meters import`, on the "
                   "configured port named BUS.")
@click.option("--kind", type=click.Choice(registry.KINDS),
              help="With --csv: the kind of every meter found (CJ/T188, M-Bus).")
def scan(port, protocol, baud, parity, timeout, retries, echo, rs485, as_json, verbose, secondary,
         csv_port, kind):
    """Find the meters on a bus.

    DL/T645 and CJ/T188 use wildcard addresses and refine collisions byte by
    byte; M-Bus tries primary addresses 0-250 (or searches secondary ids);
    Modbus tries slave ids 1-247.  Shorter timeouts make it faster.

    \b
    Examples:
      concentrator scan /dev/ttyS1 -p dlt645-2007
      concentrator scan /dev/ttyS3 -p mbus --secondary --timeout 0.3
      concentrator scan /dev/ttyS2 -p cjt188 --csv rs485-2 --kind water > b2.csv
    """
    if kind and not csv_port:
        fail("--kind goes with --csv", code=2, hint="add --csv BUS, the port's name in the "
             "configuration")
    p = _open_port(port, protocol, baud, parity, timeout, 0 if retries is None else retries, echo,
                   verbose, rs485)
    shown = [0]

    def progress(fixed):
        shown[0] += 1
        if not as_json and sys.stderr.isatty() and shown[0] % 5 == 0:
            click.echo("\rscanning %s ..." % "".join(str(x) for x in fixed), nl=False, err=True)
    try:
        result = scan_bus(p, protocol, progress=progress, secondary=secondary, timeout=timeout)
    except DriverError as err:
        fail(err.message, code=1, hint=err.hint)
    finally:
        p.close()
    if as_json:
        click.echo(jsonexact.dumps(dict(result.as_dict(), port=port, protocol=protocol),
                                   default=decimal_of))
    elif csv_port:
        import csv
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["address", "protocol", "port", "kind"])
        for a in result.found:
            w.writerow([a, protocol, csv_port, kind or ""])
        click.echo("%d meter(s) found with %d probes" % (len(result.found), result.probes), err=True)
    else:
        if sys.stderr.isatty():
            click.echo("\r" + " " * 40 + "\r", nl=False, err=True)
        for a in result.found:
            click.echo(a)
        for d in result.duplicates:
            click.echo("duplicate address %s: two meters answer it" % d, err=True)
        click.echo("%d meter(s) found with %d probes" % (len(result.found), result.probes), err=True)
