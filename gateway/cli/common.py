"""Shared by the console commands: output (80x24, maybe no colour), ``--config``,
and ``connect()``, the way to the agent (gateway.console.client.AgentLink)."""

import sys

import click


def fail(message, code=1, hint=None):
    """One line on stderr with the cause (and a hint), then exit ``code``."""
    text = "error: %s" % message
    if hint:
        text += "\nhint: %s" % hint
    click.echo(text, err=True)
    sys.exit(code)


def _text(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def print_records(records, width=80):
    """Value records as a table: quantity, value, unit (and period)."""
    rows = []
    for r in records:
        q = r.get("quantity") or r.get("label") or r.get("name") or "?"
        if r.get("period"):
            q = "%s (%s)" % (q, r["period"])
        rows.append((q, _text(r.get("value")), r.get("unit") or ""))
    if not rows:
        return
    w0 = min(max(len(r[0]) for r in rows), width - 30)
    w1 = min(max(len(r[1]) for r in rows), width - w0 - 8)
    for q, v, u in rows:
        click.echo("%-*s  %*s %s" % (w0, q[:w0], w1, v, u))


# ------------------------------------------------------------ the agent
CONFIG_ENV = "CONCENTRATOR_CONFIG"
USAGE_CODES = ("bad_request", "unknown_meter", "unknown_op")
HINTS = {"not_running": "start the agent (systemctl start concentrator) or check "
                        "concentrator.socket in the configuration",
         "unauthorized": "log in (concentrator login NAME) as an operator whose role allows "
                         "it, or run the console as root (or the agent's user)",
         "timeout": "the agent is busy or stuck: see concentrator status and the journal",
         "busy": "wait for the running operation to finish"}


def config_option(f):
    """``--config FILE`` (or $CONCENTRATOR_CONFIG), as the ``config_path`` argument."""
    from gateway.config import DEFAULT_PATH
    return click.option("--config", "config_path", envvar=CONFIG_ENV, default=DEFAULT_PATH,
                        show_default=True, metavar="FILE",
                        help="The agent's configuration (or $%s)." % CONFIG_ENV)(f)


def load_config(path):
    """The Config at ``path`` (devices not checked: the console may run on a
    copy); exit 2 with the problem."""
    from gateway.config import ConfigError, load
    try:
        return load(path, check_devices=False)
    except ConfigError as err:
        fail(str(err), code=2, hint="give the agent's configuration with --config FILE or $%s"
             % CONFIG_ENV)


def connect(config_path, need_agent=False, quiet=False):
    """The console's AgentLink (gateway.console.client) for the configuration
    at ``config_path``: a refusal exits with its message and the hint of the
    error code, or else the command's own."""
    from gateway.console.client import AgentLink
    return AgentLink(load_config(config_path), need_agent=need_agent, quiet=quiet,
                     refused=refused)


def refused(err, hint=None):
    """Exit with a refused op's message: 2 for usage errors, 1 for failures."""
    fail(err.message, code=2 if err.code in USAGE_CODES else 1,
         hint=HINTS.get(err.code) or hint)
