"""The field console as a field engineer uses it: typed into an 80x24 terminal.

A real tmux (private server) runs a plain shell in an 80x24 window; the test
types console commands key by key and reads the screen.  The agent runs on
simulated meters (tests/gateway/agent_rig.py) and the console reaches it
through its control socket, as on a board's serial console.
"""

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.gateway.agent_rig import ADMIN, ADMIN_PASSWORD, AgentRig

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (`make test` installs it)")
BIN = os.path.dirname(sys.executable)     # the virtual environment's `concentrator`
# the code under test (this checkout's), whichever checkout the venv was installed from
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Terminal:
    def __init__(self, tmp, config):
        self.server = "concentrator-test-%d" % os.getpid()
        env = {"PATH": "%s:/usr/bin:/bin" % BIN, "HOME": str(tmp), "TERM": "vt100",
               "LANG": "C.UTF-8", "CONCENTRATOR_CONFIG": config, "USER": "fieldeng",
               "PS1": "$ ", "PYTHONPATH": ROOT}
        shell = "env -i %s bash --norc --noprofile" % " ".join(
            "%s='%s'" % kv for kv in env.items())
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "field", shell)
        self.wait_for("$", 10)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, check=True).stdout

    def type(self, line):
        """Type ``line`` and Enter, as keys; wait until the prompt is back."""
        self.tmux("send-keys", "-t", "field", "clear", "Enter")
        self.wait_for("$", 10)
        self.tmux("send-keys", "-t", "field", "-l", line)
        self.tmux("send-keys", "-t", "field", "Enter")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines = [x for x in self.screen().splitlines() if x.strip()]
            if len(lines) > 1 and lines[-1] == "$":
                return self.screen()
            time.sleep(0.1)
        raise AssertionError("the command did not finish:\n" + self.screen())

    def screen(self, joined=False):
        return self.tmux("capture-pane", "-p", "-t", "field", *(["-J"] if joined else []))

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return True
            time.sleep(0.1)
        raise AssertionError("%r never appeared:\n%s" % (text, self.screen()))

    def fits(self):
        """Nothing on the screen was wrapped at 80 columns."""
        def lines(text):
            return [line.rstrip() for line in text.splitlines()]
        return lines(self.screen()) == lines(self.screen(joined=True))

    def close(self):
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    rig = AgentRig(tmp)
    term = Terminal(tmp, rig.config)
    # the field engineer logs in on this terminal (the session file goes to their $HOME)
    term.tmux("send-keys", "-t", "field", "-l", "concentrator login %s" % ADMIN)
    term.tmux("send-keys", "-t", "field", "Enter")
    term.wait_for("password for %s:" % ADMIN, 30)
    term.tmux("send-keys", "-t", "field", "-l", ADMIN_PASSWORD)
    term.tmux("send-keys", "-t", "field", "Enter")
    term.wait_for("logged in as %s" % ADMIN, 30)
    assert ADMIN_PASSWORD not in term.screen()            # typed without an echo
    yield rig, term
    term.close()
    rig.stop()


def test_status_on_one_screen(console):
    rig, term = console
    screen = term.type("concentrator status")
    assert "concentrator c01" in screen and "agent running" in screen
    for port in ("bus1", "bus2", "bus3", "bus4", "radio"):
        assert "\n%s " % port in screen
    assert "8 in the archive, 0 offline" in screen
    assert term.fits()
    assert len(screen.rstrip("\n").splitlines()) <= 24


def test_list_the_meters_and_read_one(console):
    rig, term = console
    screen = term.type("concentrator meters list")
    assert "m-0008  000000000601    dlt645-2007  radio" in screen
    assert "8 meters" in screen and term.fits()
    screen = term.type("concentrator read m-0001")
    assert "energy.active.import.total" in screen and " kWh" in screen
    assert "m-0001\n" in screen and term.fits()
    screen = term.type("concentrator read m-0004 m-0006 m-0008")
    assert "volume.total" in screen and "heat.energy.total" in screen
    assert "3 of 3 meters read" in screen


def test_a_typo_gets_an_error_a_hint_and_exit_code_2(console):
    rig, term = console
    screen = term.type("concentrator meters show m-0099; echo exit=$?")
    assert "error: no meter m-0099 in the archive" in screen
    assert "hint: concentrator meters list shows the meters" in screen
    assert "exit=2" in screen
    screen = term.type("concentrator data m-0001 --kind weekly; echo exit=$?")
    assert "exit=2" in screen and "weekly" in screen


def test_whoami_is_the_session_not_user(console):
    """Issue 12: USER=fieldeng in this shell; who asks is the session's operator."""
    rig, term = console
    screen = term.type("concentrator whoami")
    assert [line.split()[-1] for line in screen.splitlines() if line.startswith("operator")] \
        == ["admin"]
    assert "fieldeng" not in screen and "/dev/pts/" in screen
    screen = term.type("concentrator logs --category login --operator admin")
    assert "admin logged in from console tty /dev/pts/" in screen.replace("\n", "")


def test_help_fits_the_terminal(console):
    rig, term = console
    screen = term.type("concentrator --help | head -22")
    assert "Commands:" in screen and term.fits()
    screen = term.type("concentrator read --help | head -20")
    assert "Examples:" in screen and "concentrator read m-0001" in screen
    assert term.fits()


def test_with_the_agent_stopped_the_console_says_so(console):
    rig, term = console
    rig.stop()
    screen = term.type("concentrator status")
    assert "note: the agent is not running; working on the files in" in term.screen(joined=True)
    assert "agent not running" in screen
    screen = term.type("concentrator read m-0001; echo exit=$?")
    assert "needs the running agent" in term.screen(joined=True) and "exit=1" in screen
    screen = term.type("concentrator meters list | tail -1")
    assert "8 meters" in screen
