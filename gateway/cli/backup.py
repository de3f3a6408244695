"""``concentrator backup`` and ``restore``: the whole store in one file (store.backup).

``backup`` is safe with the agent running or stopped: the database is copied
with SQLite's online backup as one consistent snapshot, and the archive and
parameters are files the agent replaces atomically.  ``restore`` replaces all
three and so needs the agent stopped (it would keep its own copies and write
over them); it checks every member of the file before it touches anything.
"""

import datetime
import os

import click

from drivers.clock import RealClock
from gateway.cli.args import confirm
from gateway.cli.common import config_option, fail, load_config
from gateway.cli.table import echo_json, fields, json_option
from gateway.console.client import ControlClient
from store import BackupError
from store import backup as make_backup
from store import restore as restore_files

FILES = ("store.db", "archive.json", "params.json")


def _paths(cfg):
    return [cfg.data_file(name) for name in FILES]


def _failed(err):
    fail(err.message, code=1, hint=err.hint or "see concentrator backup --help")


def _when(ts):
    return datetime.datetime.fromtimestamp(int(ts or 0)).strftime("%Y-%m-%d %H:%M:%S")


def _summary(manifest):
    files = manifest.get("files") or {}
    return ", ".join("%s %d bytes" % (entry["member"], entry["size"])
                     for entry in files.values() if entry)


@click.command()
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False))
@json_option
@config_option
def backup(file, as_json, config_path):
    """Back up the store, archive and parameters to one file.

    FILE is a .tar.gz.  Safe while the agent runs (the database is copied as one consistent
    snapshot) and with it stopped.  The file is written whole or not at all;
    restore it with concentrator restore.

    \b
    Examples:
      concentrator backup /root/concentrator-2026-11-24.tar.gz
      concentrator backup /media/usb/c01.tar.gz --json
    """
    cfg = load_config(config_path)
    db, archive, params = _paths(cfg)
    try:
        manifest = make_backup(file, db, archive, params, int(RealClock().time()))
    except BackupError as err:
        _failed(err)
    if as_json:
        echo_json(dict(manifest, file=os.path.abspath(file)))
        return
    click.echo("backup written to %s: %s" % (file, _summary(manifest)))


@click.command()
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
@json_option
@config_option
def restore(file, yes, as_json, config_path):
    """Put a backup back (the agent stopped).

    Needs the agent stopped.  Every member of FILE is checked (format,
    sizes, SHA-256, the database's integrity) before anything is replaced;
    what is in the data directory now is then gone (make a backup first).

    \b
    Examples:
      systemctl stop concentrator
      concentrator restore /root/concentrator-2026-11-24.tar.gz
      systemctl start concentrator
    """
    cfg = load_config(config_path)
    if ControlClient(cfg.concentrator["socket"]).available():
        fail("the agent is running: a restore replaces the files it works on", code=1,
             hint="stop it first (systemctl stop concentrator), then restore")
    if not os.path.isfile(file):
        fail("no backup file %s" % file, code=2, hint="give a file made by concentrator backup")
    if not yes:
        confirm("replace the store, archive and parameters in %s by %s?" % (
            cfg.concentrator["data_dir"], file), "nothing restored")
    db, archive, params = _paths(cfg)
    os.makedirs(cfg.concentrator["data_dir"], exist_ok=True)
    try:
        manifest = restore_files(file, db, archive, params)
    except BackupError as err:
        _failed(err)
    if as_json:
        echo_json(manifest)
        return
    for line in fields([("restored", file), ("made", _when(manifest.get("created"))),
                        ("files", _summary(manifest))]):
        click.echo(line)
