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
from drivers.meters import scan_line
from drivers.meters.records import decimal_of
from drivers.transport import SerialTransport
from gateway.cli.common import fail, print_records
from gateway.cli.table import echo_table
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


def _scan_options(f):
    for opt in reversed([
        click.option("--protocol", "-p", "protocol", multiple=True,
                     type=click.Choice(registry.meter_protocols()),
                     help="Only this protocol (repeatable; default: every protocol the "
                          "line's parity allows, one after the other)."),
        click.option("--baud", type=int, help="Line speed (default: the first protocol's "
                                              "usual one, 2400 for parity E)."),
        click.option("--parity", type=click.Choice(["N", "E", "O"]),
                     help="Parity (default E: DL/T645, CJ/T188, M-Bus and Modbus; N: Modbus)."),
        click.option("--timeout", type=float,
                     help="Reply timeout of the search in seconds (default: each protocol's "
                          "answer time, 0.2-0.8 s)."),
        click.option("--retries", type=int, default=0, show_default=True,
                     help="Retries after a timeout or a bad frame."),
        click.option("--echo", is_flag=True, help="The adapter hears its own bytes: drop the echo."),
        click.option("--rs485", is_flag=True,
                     help="Use the kernel's RS485 mode (RTS drives the transceiver)."),
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output."),
        click.option("-v", "--verbose", is_flag=True, help="Every frame in hex with its time, on stderr."),
        click.option("--primary", is_flag=True,
                     help="M-Bus: try primary addresses 0-250 instead of searching secondary ids."),
        click.option("--secondary", is_flag=True, hidden=True),      # the default now
        click.option("--csv", "csv_port", metavar="BUS",
                     help="Print the meters found as archive CSV for `meters import`, on the "
                          "configured port named BUS."),
        click.option("--kind", type=click.Choice(registry.KINDS),
                     help="With --csv: the kind of the meters whose kind the scan cannot tell."),
    ]):
        f = opt(f)
    return f


CSV_COLUMNS = ("address", "protocol", "port", "kind", "options")


def _options_text(options):
    return ";".join("%s=%s" % (k, v) for k, v in sorted((options or {}).items()))


def scan_protocols(protocols, parity):
    """The protocols one scan tries, and the parity of the line."""
    if protocols:
        return list(dict.fromkeys(protocols)), parity or registry.get(protocols[0]).line[1]
    parity = parity or "E"
    rows = registry.scan_protocols(parity)
    if not rows:
        fail("no protocol searches a line with parity %s" % parity, code=2,
             hint="use --parity E (DL/T645, CJ/T188, M-Bus) or N (Modbus)")
    return [r.name for r in rows], parity


@click.command()
@click.argument("port")
@_scan_options
def scan(port, protocol, baud, parity, timeout, retries, echo, rs485, as_json, verbose,
         primary, secondary, csv_port, kind):
    """Find the meters on a bus, of every protocol the line allows, in one run.

    DL/T645 and CJ/T188 answer read-address at wildcard addresses (AAH) and a
    collision fixes one more byte; M-Bus meters are searched by secondary id,
    a digit at a time; Modbus slave ids 1-247 are tried and each one's
    register map detected.  Each protocol waits only its meters' answer
    time.  Kinds come from the meters (CJ/T188 type byte, M-Bus medium).

    \b
    Examples:
      concentrator scan /dev/ttyS1
      concentrator scan /dev/ttyS2 -p cjt188 --csv rs485-2 > b2.csv
      concentrator scan /dev/ttyS4 --baud 9600 --parity N --json
      concentrator scan /dev/ttyS3 -p mbus --primary --timeout 0.3
    """
    if kind and not csv_port:
        fail("--kind goes with --csv", code=2, hint="add --csv BUS, the port's name in the "
             "configuration")
    names, parity = scan_protocols(protocol, parity)
    p = _open_port(port, names[0], baud, parity, timeout, retries, echo, verbose, rs485)
    shown = [0]
    tty = not as_json and sys.stderr.isatty()

    def progress(protocol, fixed):
        shown[0] += 1
        if tty and shown[0] % 5 == 0:
            click.echo("\rscanning %s %s ..." % (protocol, "".join(str(x) for x in fixed)),
                       nl=False, err=True)
    started = p.clock.monotonic()
    try:
        result = scan_line(p, names, progress=progress, timeout=timeout,
                           secondary=False if primary else None)
    except DriverError as err:
        fail(err.message, code=1, hint=err.hint)
    finally:
        p.close()
    elapsed = p.clock.monotonic() - started
    if tty:
        click.echo("\r" + " " * 60 + "\r", nl=False, err=True)
    requests = p.counters.port.requests
    summary = "%d meter(s) found with %d request(s) in %.1f s (%s)" % (
        len(result.meters), requests, elapsed, ", ".join(names))
    if as_json:
        click.echo(jsonexact.dumps(dict(result.as_dict(), port=port, protocols=names,
                                        parity=parity, requests=requests),
                                   default=decimal_of))
        return
    for d in result.duplicates:
        click.echo("duplicate address %s: two meters answer it" % d, err=True)
    if csv_port:
        import csv
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for m in result.meters:
            w.writerow([m["address"], m["protocol"], csv_port, m["kind"] or kind or "",
                        _options_text(m["options"])])
        unknown = [m["address"] for m in result.meters if not (m["kind"] or kind)]
        if unknown:
            click.echo("kind not known for %s: give --kind or fill it in the file"
                       % ", ".join(unknown), err=True)
    else:
        echo_table(("address", "protocol", "kind", "options"),
                   [(m["address"], m["protocol"], m["kind"] or "-",
                     _options_text(m["options"]) or "-") for m in result.meters])
    click.echo(summary, err=True)
