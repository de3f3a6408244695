"""``concentrator upgrade``: keys, packages, install, status, rollback.

A click group that stands on its own (``python -m gateway.cli.upgrade``
works too); ``gateway/cli/__init__.py`` registers it.  On the board the
install prefix and the trusted keys come from the configuration's
[upgrade] table (``--config FILE`` or $CONCENTRATOR_CONFIG); ``--prefix``
(or $CONCENTRATOR_PREFIX) and ``--trust`` override them, and without a
configuration file (the vendor's PC) the prefix is /opt/concentrator.
Exit codes as everywhere: 0 success, 1 refused or failed, 2 usage.
"""

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import click

from gateway.cli.common import CONFIG_ENV, fail, load_config
from gateway.upgrade import bootcopy, keys, package
from gateway.upgrade import install as inst

PREFIX_ENV = "CONCENTRATOR_PREFIX"
DEFAULT_PREFIX = "/opt/concentrator"
CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREE_FILES = ("setup.cfg", "pyproject.toml", "README.md")


def _configured(config_path):
    """The [upgrade] table of the configuration, or None without a file."""
    if not config_path or not os.path.exists(config_path):
        return None
    return load_config(config_path).upgrade


def _prefix_option(f):
    """``--prefix DIR`` and ``--config FILE``: the command gets ``prefix``
    resolved (option, else upgrade.prefix of the configuration, else the
    default); the configured trusted keys wait in the context for ``_trusted``."""
    from gateway.config import DEFAULT_PATH

    @functools.wraps(f)
    def resolved(*args, prefix=None, config_path=None, **kw):
        u = _configured(config_path)
        click.get_current_context().meta["upgrade.config"] = u
        kw["prefix"] = prefix or (u and u["prefix"]) or DEFAULT_PREFIX
        return f(*args, **kw)
    resolved = click.option("--config", "config_path", envvar=CONFIG_ENV, default=DEFAULT_PATH,
                            metavar="FILE", help="The agent's configuration: upgrade.prefix "
                            "and upgrade.trusted_keys (or $%s)." % CONFIG_ENV)(resolved)
    return click.option("--prefix", envvar=PREFIX_ENV, default=None, metavar="DIR",
                        help="The install prefix: releases/, current, previous (or $%s; "
                        "default: upgrade.prefix, else %s)." % (PREFIX_ENV, DEFAULT_PREFIX)
                        )(resolved)


def _trust_option(f):
    return click.option("--trust", "trust", multiple=True, metavar="PUBFILE",
                        type=click.Path(dir_okay=False),
                        help="A trusted public key file (KEYFILE.pub); may be repeated.")(f)


def _trusted(trust):
    """The keys of ``--trust``, else upgrade.trusted_keys of the configuration."""
    if not trust:
        u = click.get_current_context().meta.get("upgrade.config")
        return list(u["trusted_keys"]) if u else []
    out = []
    for path in trust:
        try:
            out.append(keys.load_public(path))
        except keys.KeyFileError as err:
            fail(str(err), code=2, hint="give the vendor's KEYFILE.pub")
    return out


def _running(prefix):
    from gateway import __version__
    return inst.link_version(inst.Layout(prefix), inst.CURRENT) or __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80})
def upgrade():
    """Remote software upgrade: signed packages, install, probation, rollback.

    \b
    On the vendor's PC:
      concentrator upgrade keygen vendor.key     vendor.key (0600), .pub
      concentrator upgrade build --key vendor.key --version 1.2.0 -o c-1.2.0.upg
    On the board:
      concentrator upgrade verify c-1.2.0.upg --trust vendor.key.pub
      concentrator upgrade install c-1.2.0.upg --trust vendor.key.pub
      concentrator upgrade status
      concentrator upgrade rollback

    docs/upgrade.md describes the package format and the procedure.
    """


@upgrade.command()
@click.argument("keyfile", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing KEYFILE.")
def keygen(keyfile, force):
    """Write a new Ed25519 signing key to KEYFILE (mode 0600) and its public
    key to KEYFILE.pub.

    Keep KEYFILE on the vendor's machine; put the hex of KEYFILE.pub into the
    boards' configuration.  Never ship KEYFILE.

    \b
    Example:
      concentrator upgrade keygen vendor.key
    """
    try:
        _, pub = keys.generate(keyfile, overwrite=force)
    except keys.KeyFileError as err:
        fail(str(err), hint="use --force to replace the key (boards trusting the old one "
                             "will refuse packages signed with the new one)")
    except OSError as err:
        fail("cannot write %s: %s" % (keyfile, err.strerror))
    click.echo("private key  %s (mode 0600: keep it secret, never ship it)" % keyfile)
    click.echo("public key   %s.pub  %s" % (keyfile, pub))
    click.echo("key id       %s" % keys.key_id(pub))


def _parse_built(text):
    if text is None:
        return int(time.time())
    if text.isdigit():
        return int(text)
    return text


def _wheel(source, out_dir):
    """Build the project's wheel into ``out_dir`` with pip; True if it worked."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           out_dir, source], capture_output=True, text=True)
    return done.returncode == 0 and any(f.endswith(".whl") for f in os.listdir(out_dir))


def _checkout_tree(source, out_dir):
    """The checkout's Python packages and metadata, without build output,
    virtual environments or caches."""
    for name in sorted(os.listdir(source)):
        full = os.path.join(source, name)
        if os.path.isdir(full) and os.path.isfile(os.path.join(full, "__init__.py")) \
                and name != "tests":
            shutil.copytree(full, os.path.join(out_dir, name),
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif name in TREE_FILES:
            shutil.copy2(full, os.path.join(out_dir, name))


@upgrade.command()
@click.option("--key", "keyfile", required=True, type=click.Path(dir_okay=False),
              help="The vendor's private key (from keygen).")
@click.option("--version", "version", required=True, help="The release's version, e.g. 1.2.0.")
@click.option("--min-version", default=None, help="The oldest version it upgrades from.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The package file to write.")
@click.option("--built", default=None, metavar="TIME",
              help="Build time (epoch seconds or ISO 8601); default now.")
@click.option("--tree", is_flag=True,
              help="Without SOURCE: package the checkout's source tree, not its wheel.")
@click.argument("source", required=False, type=click.Path(exists=True, file_okay=False))
def build(keyfile, version, min_version, output, built, tree, source):
    """Build a signed package of SOURCE: a directory holding a ready tree, or
    only wheels (the project's and its pinned dependencies, e.g. from
    `pip wheel . -w DIR`).

    Without SOURCE, the checkout this command runs from: its wheel (pip wheel
    --no-deps; the board keeps its installed dependencies), or with --tree, or
    when pip cannot build it, its source tree.

    \b
    Examples:
      concentrator upgrade build --key vendor.key --version 1.2.0 -o c-1.2.0.upg
      concentrator upgrade build --key vendor.key --version 1.2.0 -o c.upg wheels/
    """
    try:
        private = keys.load_private(keyfile)
        package.parse_version(version)
        if min_version:
            package.parse_version(min_version)
    except (keys.KeyFileError, package.PackageError) as err:
        fail(getattr(err, "message", str(err)), code=2)
    with tempfile.TemporaryDirectory(prefix="upgrade-build-") as tmp:
        if source is None:
            source = tmp
            if tree or not _wheel(CHECKOUT, tmp):
                if not tree:
                    click.echo("note: pip could not build the wheel of %s: packaging its "
                               "source tree" % CHECKOUT, err=True)
                for f in os.listdir(tmp):
                    os.unlink(os.path.join(tmp, f))
                _checkout_tree(CHECKOUT, tmp)
        try:
            manifest = package.build(source, output, private, version,
                                     built=_parse_built(built), min_version=min_version)
        except (ValueError, OSError) as err:
            fail("cannot build the package: %s" % err)
    click.echo("%s: %s %s (%s, %d file(s), %d bytes), signed by %s" % (
        output, manifest["product"], manifest["version"], manifest["kind"],
        len(manifest["files"]), manifest["size"], keys.key_id(keys.public_hex(private))))


@upgrade.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_trust_option
@_prefix_option
@click.option("--allow-downgrade", is_flag=True, help="Do not refuse an older version.")
@click.option("--json", "as_json", is_flag=True, help="The result as JSON.")
def verify(file, trust, prefix, allow_downgrade, as_json):
    """Say what package FILE is and whether this board would take it: exit 0
    when trusted and intact, 1 when refused (with the reason).

    \b
    Examples:
      concentrator upgrade verify c-1.2.0.upg --trust vendor.key.pub
      concentrator upgrade verify c-1.2.0.upg        (keys of the configuration)
    """
    trusted = _trusted(trust)
    try:
        info = package.verify(file, trusted, running_version=_running(prefix),
                              allow_downgrade=allow_downgrade)
    except package.PackageError as err:
        if as_json:
            click.echo(json.dumps({"ok": False, "reason": err.reason, "message": err.message,
                                   "package": err.info.as_dict() if err.info else None}))
        else:
            if err.info:
                click.echo(err.info.describe())
            click.echo("refused (%s): %s" % (err.reason, err.message), err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"ok": True, "package": info.as_dict()}))
    else:
        click.echo(info.describe())
        click.echo("trusted and intact")


@upgrade.command("install")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_trust_option
@_prefix_option
@click.option("--allow-downgrade", is_flag=True, help="Install an older version too.")
@click.option("--store", "store_path", default=None, type=click.Path(dir_okay=False),
              help="Keep a copy of this store file until the new version is confirmed.")
def install_(file, trust, prefix, allow_downgrade, store_path):
    """Install package FILE beside the running release and switch to it; the
    new version is on probation from its next start.  The trusted keys and
    the prefix come from the configuration unless --trust / --prefix say.

    \b
    Examples:
      concentrator upgrade install c-1.2.0.upg && systemctl restart concentrator
      concentrator upgrade install c-1.1.0.upg --allow-downgrade
    """
    trusted = _trusted(trust)
    if not trusted:
        fail("no trusted key", code=2, hint="give --trust KEYFILE.pub (the vendor's public key) "
              "or set upgrade.trusted_keys in the configuration")
    try:
        done = inst.install(file, prefix, trusted, inst.SystemClock(),
                            allow_downgrade=allow_downgrade, store_path=store_path)
    except package.PackageError as err:
        if prefix and os.path.isdir(prefix):
            inst.record_refusal(prefix, inst.SystemClock(), err)     # the agent raises it
        fail("refused (%s): %s" % (err.reason, err.message))
    except inst.InstallError as err:
        fail(err.message)
    except OSError as err:
        fail("cannot install into %s: %s" % (prefix, err))
    _boot_copy(prefix)
    if done["state"] == "confirmed":
        click.echo("installed %s in %s (first release)" % (done["version"], prefix))
    else:
        click.echo("installed %s beside %s; on probation from its next start" % (
            done["version"], done["previous"]))
        click.echo("restart the agent: systemctl restart concentrator")


@upgrade.command("status")
@_prefix_option
@click.option("--json", "as_json", is_flag=True, help="The state as JSON.")
def status_(prefix, as_json):
    """The running and previous release, and the probation state.

    \b
    Examples:
      concentrator upgrade status
      concentrator upgrade status --json --prefix /opt/concentrator
    """
    st = inst.status(prefix)
    if as_json:
        click.echo(json.dumps(st, sort_keys=True))
        return
    if st["current"] is None:
        click.echo("no release installed in %s" % prefix)
        return
    click.echo("running   %s (%s)" % (st["current"], st["state"] or "confirmed"))
    click.echo("previous  %s" % (st["previous"] or "-"))
    if st["state"] == "probation":
        done = sorted(st["milestones"] or {})
        click.echo("probation start %d of %d; done: %s; needs: %s" % (
            st["attempts"] or 0, st["max_attempts"] or 0, ", ".join(done) or "-",
            ", ".join(m for m in st["required"] or () if m not in done) or "-"))
    if st["failed"] or st["reason"]:
        click.echo("last      %s %s" % (st["reason"] or "-",
                                        "(failed: %s)" % st["failed"] if st["failed"] else ""))
    click.echo("releases  %s" % ", ".join(st["releases"]))


@upgrade.command()
@_prefix_option
@click.option("--now", is_flag=True, help="Switch at once (only with the agent stopped).")
def rollback(prefix, now):
    """Go back to the previous release: marked now, done at the agent's next
    start (or at once with --now while the agent is stopped).

    \b
    Examples:
      concentrator upgrade rollback && systemctl restart concentrator
      systemctl stop concentrator && concentrator upgrade rollback --now
    """
    try:
        done = inst.rollback(prefix, inst.SystemClock(), reason="manual", now=now)
    except inst.InstallError as err:
        fail(err.message)
    if done["action"] == "rolled_back":
        click.echo("rolled back from %s to %s" % (done["failed"], done["version"]))
    else:
        click.echo("rollback from %s to %s marked" % (done["failed"], done["version"]))
        click.echo("restart the agent: systemctl restart concentrator")


def _boot_copy(prefix):
    try:
        return bootcopy.write(prefix)
    except OSError as err:
        click.echo("warning: cannot write the boot check's copy %s: %s" % (
            os.path.join(prefix, bootcopy.FILE), err.strerror), err=True)
        return None


@upgrade.command("boot-copy")
@_prefix_option
def boot_copy(prefix):
    """Write the boot check's copy outside the releases, PREFIX/upgrade-boot.pyz
    (one file, standard library only), which systemd's ExecStartPre runs:
    `python3 PREFIX/upgrade-boot.pyz boot-check --prefix PREFIX`.  `install`
    writes it too.

    \b
    Example:
      concentrator upgrade boot-copy --prefix /opt/concentrator
    """
    path = _boot_copy(prefix)
    if path is None:
        sys.exit(1)
    click.echo(path)


@upgrade.command("boot-check")
@_prefix_option
def boot_check_(prefix):
    """For systemd's ExecStartPre: finish or undo an interrupted install,
    count a start on probation, roll back a version that failed.  Exits 0.

    \b
    Example:
      concentrator upgrade boot-check --prefix /opt/concentrator
    """
    try:
        result = inst.boot_check(prefix, inst.SystemClock())
    except Exception as err:      # noqa: BLE001 - never block the start
        click.echo("upgrade boot check failed: %s" % err, err=True)
        return
    click.echo(json.dumps(result, sort_keys=True))


def main():
    upgrade(prog_name="concentrator upgrade")


if __name__ == "__main__":
    main()
