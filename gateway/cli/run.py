"""``concentrator run``: the agent in the foreground (systemd runs this)."""

import logging
import os
import signal
import sys

import click

from gateway.cli.common import config_option, fail
from gateway.config import ConfigError, check_places, load
from gateway.config import warnings as config_warnings

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
# sd-daemon(3) priority prefixes: journald files each line at its level
SYSLOG = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
          logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    """Under systemd (JOURNAL_STREAM set): ``<6>logger: message`` (journald adds
    the time); on a terminal: time, level, logger, message."""

    def __init__(self, journal):
        fmt = "%(name)s: %(message)s" if journal else \
            "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
        super().__init__(fmt)
        self.journal = journal

    def format(self, record):
        text = super().format(record)
        if self.journal:
            prefix = "<%d>" % SYSLOG.get(record.levelno, 6)
            text = prefix + text.replace("\n", "\n" + prefix)
        return text


def setup_logging(level):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter(bool(os.environ.get("JOURNAL_STREAM"))))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    if LEVELS[level] > logging.DEBUG:
        logging.getLogger("trace").setLevel(logging.WARNING)
    else:
        logging.getLogger("trace").setLevel(logging.DEBUG)
    for noisy in ("paho",):
        logging.getLogger(noisy).setLevel(max(LEVELS[level], logging.INFO))


@click.command()
@config_option
@click.option("--log-level", type=click.Choice(list(LEVELS)),
              help="Override concentrator.log_level of the configuration.")
@click.option("--check", is_flag=True, help="Check the configuration and exit (0 when it is good).")
def run(config_path, log_level, check):
    """Run the agent in the foreground until SIGTERM or Ctrl-C.

    Reads the configuration (TOML), checks all of it before anything starts,
    then polls the meters, freezes, keeps time and uplinks over MQTT.  Logs go
    to stderr (the journal under systemd); a [[port]] with trace = true logs
    every frame at debug level.  The console talks to it through the control
    socket (concentrator.socket).

    \b
    Examples:
      concentrator run --config /etc/concentrator/concentrator.toml
      concentrator run --config board.toml --log-level debug
      concentrator run --config board.toml --check
    """
    try:
        cfg = load(config_path)
        check_places(cfg)           # data_dir, the store file, the socket's place: as run would
    except ConfigError as err:
        fail(str(err), code=2, hint="see docs/operator-guide.md (Configuration) for every key")
    if check:
        click.echo("%s: good (%d port(s)%s, %d declared meter(s), uplink %s)" % (
            cfg.path, len(cfg.ports), " and a radio" if cfg.radio else "", len(cfg.meters),
            "to %s:%s" % (cfg.uplink.host, cfg.uplink.port) if cfg.uplink.enabled else "disabled"))
        for warning in config_warnings(cfg):
            click.echo("warning: %s" % warning, err=True)
        return
    setup_logging(log_level or cfg.concentrator["log_level"])
    code = run_agent(cfg)
    sys.exit(code)


def run_agent(cfg, clock=None, transports=None):
    """Start, run until a signal (or a restart command), stop; the exit code."""
    from gateway.agent import Agent
    from gateway.console.server import ControlError
    from store import StoreError
    log = logging.getLogger("gateway")
    try:
        agent = Agent(cfg, clock=clock, transports=transports)
    except ControlError as err:
        fail(err.message, code=1)
    except ConfigError as err:
        fail(str(err), code=2, hint="check the [lcd] devices and their permissions")
    except StoreError as err:
        log.error("%s", err)
        fail(str(err), code=2, hint="the data files in %s: fix or restore them (docs/"
             "operator-guide.md, Backup and restore)" % cfg.concentrator["data_dir"])
    except OSError as err:
        fail("cannot start: %s" % err, code=1,
             hint="check concentrator.data_dir and the permissions (run as root)")
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = dict((s, signal.signal(s, lambda signum, frame: agent.stopping.set()))
                    for s in handled)
    try:
        try:
            agent.start()
        except ControlError as err:
            agent.stop()
            fail(err.message, code=1)
        agent.run()
    finally:
        if agent.started is not None and not agent.stopped:
            agent.stop()
        for s, h in previous.items():
            signal.signal(s, h)
    if agent.restart_requested:
        log.info("restarting as asked")
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "gateway"] + sys.argv[1:])
    return agent.exit_code          # non-zero: an upgrade asks systemd for a restart
