"""``concentrator decode``: captured frames (hex) to JSON with exact values."""

import sys

import click

from drivers.meters.records import decimal_of
from protocols import registry
from protocols.core.errors import CodecError
from upstream import jsonexact

PROTOCOL_CHOICES = registry.names()


def parse_hex(text):
    """Hex with optional spaces, colons or a 0x prefix to bytes; ValueError says why."""
    cleaned = text.strip().replace(" ", "").replace(":", "").replace("\t", "")
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    if not cleaned:
        raise ValueError("empty line: give the frame as hex digits")
    if len(cleaned) % 2:
        raise ValueError("odd number of hex digits (%d): a byte is two digits" % len(cleaned))
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        bad = next(c for c in cleaned if c not in "0123456789abcdefABCDEF")
        raise ValueError("not hex: character %r; give bytes as hex digits, e.g. '68 61 01'" % bad)


def decode_line(protocol, text):
    """One input line to a list of JSON-able results (one per frame) and an ok flag."""
    try:
        data = parse_hex(text)
        return registry.decode_bytes(protocol, data), True
    except (CodecError, ValueError) as err:
        return [{"error": str(err)}], False


@click.command()
@click.option("--protocol", "-p", required=True, type=click.Choice(PROTOCOL_CHOICES),
              help="The protocol the frame speaks.")
@click.option("--pretty", is_flag=True, help="Indent the JSON (one object may span lines).")
@click.argument("frame", required=False)
def decode(protocol, pretty, frame):
    """Decode captured frames to JSON with exact values, units and quantity names.

    FRAME is one frame in hex (spaces allowed); with `-` each line of standard
    input is one frame.  One JSON object is printed per frame, or
    {"error": "..."} for a frame that is rejected; the exit code is 1 if any
    frame was rejected.  Leading FE wake-up bytes and noise are skipped.

    \b
    Examples:
      concentrator decode -p dlt645-2007 \\
          "FE FE 68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16"
      concentrator decode -p mbus - < telegrams.txt
    """
    if frame is None:
        raise click.UsageError("give a frame in hex, or - to read one frame per line from stdin")
    lines = sys.stdin if frame == "-" else [frame]
    all_ok = True
    indent = 2 if pretty else None
    for line in lines:
        if frame == "-" and not line.strip():
            continue
        results, ok = decode_line(protocol, line)
        all_ok = all_ok and ok
        for result in results:
            click.echo(jsonexact.dumps(result, indent=indent, default=decimal_of))
    sys.exit(0 if all_ok else 1)
