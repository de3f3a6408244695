"""A running agent on simulated meters, for console tests.

``AgentRig(tmp_path, scenario)`` runs the real ``gateway.agent.Agent`` (real
clock, real SQLite and TinyDB files, the real control socket) on the
scenario's meters over in-process lines, and writes the configuration the
console needs to ``rig.config`` (pass it as ``--config``).  ``stop()`` stops
the agent, leaving the files: the console then works offline on them.

The console checks operators (gateway.auth): the rig creates the first super
administrator ``admin`` (``users init``) and logs this terminal in
(``login``), through the console like a person on the board; the session
files go to a temporary directory ($CONCENTRATOR_SESSIONS).  ``login=False``
leaves both to the test.
"""

import os
import tempfile

from click.testing import CliRunner

from drivers.clock import RealClock
from gateway.agent import Agent
from gateway.cli import cli
from gateway.cli.table import cols
from gateway.console import session
from gateway.demo_board import board, config_data, to_toml

# one meter of each kind we speak, few enough that a read of all is quick
SMALL = {"port": [
    {"name": "bus1", "baud": 9600, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000101"},
        {"protocol": "dlt645-1997", "count": 1, "first_address": "000000000201"}]},
    {"name": "bus2", "baud": 9600, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000301"},
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000309",
         "faults": [{"type": "stuck_valve"}]}]},
    {"name": "bus3", "baud": 9600, "meters": [
        {"protocol": "mbus", "kind": "heat", "count": 1, "first_address": "1"}]},
    {"name": "bus4", "baud": 9600, "meters": [
        {"protocol": "modbus", "kind": "electricity", "count": 1, "first_address": "1"}]}],
    "radio": {"name": "radio", "baud": 9600, "delay": 0.05, "meters": [
        {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000601"}]}}
# realtime polling off: the tests decide what is read and when
QUIET = {"plan.realtime_interval_min": 0}
ADMIN, ADMIN_PASSWORD = "admin", "admin-pass-1"
# the console's session files: never the tester's own ~/.config
os.environ.setdefault(session.ENV, tempfile.mkdtemp(prefix="concentrator-sessions-"))


class AgentRig:
    def __init__(self, tmp_path, scenario=SMALL, params=QUIET, uplink=None, start=True,
                 login=True):
        self.tmp = str(tmp_path)
        os.makedirs(self.tmp, exist_ok=True)
        self.data_dir = os.path.join(self.tmp, "data")
        self.socket = os.path.join(self.tmp, "control.sock")
        self.clock = RealClock()
        self.cfg, self.lines, self.sc = board(scenario, self.clock, self.data_dir, self.socket,
                                              uplink=uplink, params=params)
        self.config = os.path.join(self.tmp, "concentrator.toml")
        with open(self.config, "w") as f:
            f.write(to_toml(config_data(self.sc, "c01", self.data_dir, self.socket, uplink,
                                        params)))
        self.agent = None
        if start:
            self.start()
        if login:
            init_and_login(self)

    def start(self):
        self.agent = Agent(self.cfg, clock=self.clock, transports=self.lines)
        self.agent.start()
        return self.agent

    def stop(self):
        if self.agent is not None:
            self.agent.stop()
            self.agent = None

    def meters(self):
        """{address: simulated meter}."""
        return dict((m.address, m) for m in self.sc.meters())


def init_and_login(rig, name=ADMIN, password=ADMIN_PASSWORD):
    """``users init NAME`` (when no operator exists yet) and ``login NAME``."""
    if not os.path.exists(os.path.join(rig.data_dir, "operators.json")):
        r = run(rig, "users", "init", name, input="%s\n%s\n" % (password, password))
        assert r.exit_code == 0, r.output + (r.stderr if r.stderr_bytes else "")
    login(rig, name, password)


def login(rig, name, password):
    r = run(rig, "login", name, input=password + "\n")
    assert r.exit_code == 0, r.output + (r.stderr if r.stderr_bytes else "")
    return r


def runner():
    try:
        return CliRunner(mix_stderr=False)       # click < 8.2 mixes stderr in by default
    except TypeError:
        return CliRunner()


def run(rig, *args, input=None):
    """The console command ``args`` against the rig's configuration."""
    return runner().invoke(cli, list(args) + ["--config", rig.config], input=input)


def fits(text):
    """The lines of ``text``, each checked to fit an 80-column console."""
    lines = text.splitlines()
    assert lines
    for line in lines:
        assert cols(line) <= 80, line
    return lines
