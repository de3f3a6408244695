"""Interactive `concentrator lcd` on a real pty against the running agent:
the keys typed in the terminal move the agent's own panel (through the
control socket), an 80x24 terminal shows the text lines in a box, an 80x40
terminal with --pixels the real pixels as braille; q restores the terminal."""

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
import unicodedata

import pytest

from gateway.cli.lcd import framebuffer
from gateway.console.client import ControlClient
from gateway.lcd import render
from tests.gateway.agent_rig import AgentRig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOWN, ENTER, ESC = b"\x1b[B", b"\r", b"\x1b"


@pytest.fixture
def rig(tmp_path):
    r = AgentRig(tmp_path)
    yield r
    r.stop()


def cells(line):
    """Terminal columns of ``line`` (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)


class Pty:
    """`concentrator lcd ARGS` on a pty of ``cols`` x ``rows`` (set on the pty, as a
    terminal does: no COLUMNS/LINES in the environment)."""

    def __init__(self, config, cols, rows, *args):
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.before = termios.tcgetattr(self.slave)
        env = dict((k, v) for k, v in os.environ.items() if k not in ("COLUMNS", "LINES"))
        env["LANG"] = "C.UTF-8"
        self.p = subprocess.Popen([sys.executable, "-m", "gateway", "lcd", "--config", config]
                                  + list(args), stdin=self.slave, stdout=self.slave,
                                  stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        self.seen = b""

    def frames(self):
        """The frames drawn so far, decoded (each starts with clear-screen)."""
        return [f.decode("utf-8", "replace") for f in self.seen.split(b"\x1b[H\x1b[2J")[1:]]

    def wait_for(self, text, timeout=60):
        """Wait until a whole frame drawn after now contains ``text``; that frame's lines."""
        start = len(self.frames())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.master], [], [], 0.2)[0]:
                self.seen += os.read(self.master, 65536)
            done = self.frames()[start:-1]        # the last one may be still coming
            for f in done:
                if text in f:
                    return f.split("\r\n")
        raise AssertionError("%r never shown; last frames:\n%s" % (
            text, "\n----\n".join(self.frames()[-2:])))

    def press(self, key):
        os.write(self.master, key)

    def quit(self):
        try:
            self.press(b"q")
            assert self.p.wait(60) == 0
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
            restored = termios.tcgetattr(self.slave) == self.before
            os.close(self.master)
            os.close(self.slave)
        assert restored


def agent_screen(client):
    return client.call("lcd.screen", {"lang": "en"})


def test_text_on_80x24_drives_the_agents_panel(rig):
    client = ControlClient(rig.socket)
    term = Pty(rig.config, 80, 24, "--lang", "en")
    try:
        home = term.wait_for("OK: menu")
        assert not any("not running" in line for line in home)
        term.press(ENTER)
        term.wait_for("Main menu")
        assert agent_screen(client)["lines"][1].startswith("Main menu")   # the agent's panel
        term.press(DOWN)
        term.wait_for(">Reading & ports")
        assert agent_screen(client)["lines"][3].startswith(">Reading & ports")
        term.press(DOWN + ENTER)              # in one read: the arrow, then Enter
        shown = term.wait_for("| Events & alarms")     # the title (the list entry is "|>")
        # the events list is a 12 px screen: 13 lines
        assert agent_screen(client)["lines"][1].startswith("Events & alarms")
        box = [line for line in shown if line.startswith(("+", "|"))]
        assert len(box) == 2 + 13 and len(shown) <= 24
        assert all(cells(line) <= 80 for line in shown)
        width = len(box[0])
        assert box[0] == box[-1] == "+" + "-" * (width - 2) + "+"
        assert all(cells(line) <= width for line in box)     # every line inside the box
        term.press(ESC)
        term.wait_for(">Events & alarms")
        term.press(ESC)
        term.wait_for("OK: menu")
        assert agent_screen(client)["lines"][-1] == "OK: menu"
    finally:
        term.quit()


def test_pixels_on_80x40_show_the_agents_framebuffer(rig):
    """80x40 is enough for the pixels (40 lines of 80 braille cells): no key line."""
    client = ControlClient(rig.socket)
    term = Pty(rig.config, 80, 40, "--pixels", "--lang", "en")
    try:
        home = term.wait_for("\u2800" * 80)           # a blank row of the home screen
        assert len(home) == 40 and all(len(line) == 80 for line in home)
        assert all(0x2800 <= ord(ch) <= 0x28FF for line in home for ch in line)
        term.press(ENTER)
        deadline = time.monotonic() + 60
        while not agent_screen(client)["lines"][1].startswith("Main menu"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for _ in range(3):      # the status bar's minute may turn between the two reads
            menu = render.braille(framebuffer(agent_screen(client)))
            shown = term.wait_for(menu[8])
            if shown == menu:
                break
        assert shown == menu and menu != home           # the agent's pixels, exactly
    finally:
        term.quit()
