"""``concentrator meters import`` and ``export``: the archive as CSV.

The format is store.archive_csv's (one header line naming the columns; a
spreadsheet's "CSV UTF-8", byte-order mark or not).  The console reads and
writes the files; the agent does the import in one step (the console op
``meters.import``: all or nothing, every bad line named) and raises
``meters_changed`` like any archive change.
"""

import click

from gateway.cli.args import confirm
from gateway.cli.common import config_option, connect, fail
from gateway.cli.table import echo_json, json_option


@click.command("import")
@click.argument("file", metavar="FILE")
@click.option("--replace", is_flag=True,
              help="Make the archive the file: meters not in it are removed.")
@click.option("--yes", "-y", is_flag=True, help="With --replace: do not ask.")
@json_option
@config_option
def import_(file, replace, yes, as_json, config_path):
    """Add or change meters from a CSV file (all or nothing).

    The first line names the columns (id, address, protocol, port, kind,
    radio, area, tariff, limits, options, name, added; address and protocol
    are needed).  A line whose id exists changes that meter.  Every line is
    checked before anything changes; the errors name their line.  FILE may
    be - for standard input.  Excel's "CSV UTF-8" (with a BOM) is fine.

    \b
    Examples:
      concentrator meters import meters.csv
      concentrator meters import site-b.csv --replace
      concentrator meters export - | sed s/B2/B3/ | concentrator meters import -
    """
    text = _read_csv(file)
    if replace and not yes:
        if file == "-":
            fail("--replace with the CSV on standard input needs --yes", code=2,
                 hint="standard input cannot also answer the question")
        confirm("replace the archive by %s? Meters not in it are removed (their stored "
                 "values are kept)." % file, "nothing imported")
    agent = connect(config_path)
    result = agent.call("meters.import", {"csv": text, "replace": replace},
                        hint="fix the lines named and import again (concentrator meters import "
                        "--help shows the columns)")
    agent.close()
    if as_json:
        echo_json(result)
        return
    click.echo("imported: %d added, %d updated, %d removed" % (
        len(result["added"]), len(result["updated"]), len(result["removed"])))
    for what in ("added", "updated", "removed"):
        if result[what]:
            line = "  %-8s %s" % (what, ", ".join(result[what]))
            click.echo(line if len(line) <= 80 else line[:79] + "~")


def _read_csv(file):
    try:
        with click.open_file(file, "rb") as f:      # - is standard input
            data = f.read()
    except OSError as err:
        fail("cannot read %s: %s" % (file, err.strerror or err), code=2,
             hint="give the path of a CSV file, or - for standard input")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        fail("%s is not UTF-8 (line %d, byte %d)" % (file, data[:err.start].count(b"\n") + 1,
                                                     err.start), code=2,
             hint="save it from the spreadsheet as \"CSV UTF-8\"")


# ----------------------------------------------------------------- export
@click.command()
@click.argument("file", metavar="[FILE]", default="-")
@click.option("--bom", is_flag=True,
              help="Start with a byte-order mark, so that Excel shows Chinese names right.")
@click.option("--passwords", is_flag=True,
              help="Include the meters' passwords (left out by default).")
@config_option
def export(file, bom, passwords, config_path):
    """Write the archive as CSV (to FILE, or standard output).

    The format is the one meters import reads; one line per meter.  Meter
    passwords are left out unless --passwords (an import of the file keeps
    the passwords the archive has); added is the date the meter was added.

    \b
    Examples:
      concentrator meters export meters.csv --bom
      concentrator meters export > meters.csv
      concentrator meters export backup.csv --passwords
    """
    agent = connect(config_path)
    result = agent.call("meters.export", {"secrets": True} if passwords else {})
    agent.close()
    data = ("\ufeff" if bom else "") + result["csv"]
    try:
        with click.open_file(file, "wb") as f:      # - is standard output
            f.write(data.encode("utf-8"))
    except OSError as err:
        fail("cannot write %s: %s" % (file, err.strerror or err), code=1,
             hint="check the directory exists and is writable")
    click.echo("exported %d meter%s to %s" % (result["meters"], "" if result["meters"] == 1
                                              else "s", "standard output" if file == "-"
                                              else file), err=file == "-")
