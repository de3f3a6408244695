"""`concentrator lcd` scripted: against the running agent through the control
socket, and offline on the stored files; the PNG shows what the text says;
the password hash command; the terminal's key decoding and picture."""

import base64
import struct
import zlib

import pytest

from gateway.cli.lcd import decode_key, frame
from gateway.lcd import config as lcd_config
from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig, run, runner

from gateway.cli import cli


@pytest.fixture
def rig(tmp_path):
    r = AgentRig(tmp_path)
    yield r
    r.stop()


def png_pixels(data):
    """(width, height, rows of 1-bit bytes) of a 1-bit greyscale PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (1, 0)
    idat = data.index(b"IDAT")
    n = struct.unpack(">I", data[idat - 4:idat])[0]
    raw = zlib.decompress(data[idat + 4:idat + 4 + n])
    stride = (w + 7) // 8 + 1
    return w, h, [raw[i * stride + 1:(i + 1) * stride] for i in range(h)]


def test_scripted_keys_through_the_running_agent(rig, tmp_path):
    png = str(tmp_path / "menu.png")
    result = run(rig, "lcd", "--keys", "DOWN", "--png", png, "--scale", "1", "--text",
                 "--lang", "en")
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("Main menu") and lines[2].startswith(">Meter data")
    assert "not running" not in result.stderr
    w, h, rows = png_pixels(open(png, "rb").read())
    assert (w, h) == (160, 160)
    screen = ControlClient(rig.socket).call("lcd.screen", {"lang": "en"})
    inv = bytes(range(255, -1, -1))
    assert b"".join(rows).translate(inv) == base64.b64decode(screen["raw"])
    # the agent's panel kept the keys: the next command starts on the main menu
    result = run(rig, "lcd", "--keys", "DOWN", "--text", "--lang", "en")
    assert result.stdout.splitlines()[3].startswith(">Reading")


def test_scripted_offline_on_the_files_says_so(rig, tmp_path):
    rig.stop()
    result = run(rig, "lcd", "--keys", "OK,DOWN,DOWN,DOWN,OK", "--text", "--lang", "en")
    assert result.exit_code == 0, result.output + result.stderr
    assert "the agent is not running; working on the files in %s" % rig.data_dir \
        in result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("Param"), lines
    result = run(rig, "lcd", "--text", "--pixels")
    braille = result.stdout.splitlines()
    assert len(braille) == 40 and all(len(line) == 80 for line in braille)


def test_bad_key_is_a_usage_error(rig):
    result = run(rig, "lcd", "--keys", "UP,MENU", "--text")
    assert result.exit_code == 2 and "no key 'MENU'" in result.stderr


def test_passwd_prints_a_hash_that_verifies():
    result = runner().invoke(cli, ["lcd", "passwd"], input="246810\n246810\n")
    assert result.exit_code == 0, result.output
    line = [s for s in result.stdout.splitlines() if s.startswith("password_hash")][0]
    value = line.split('"')[1]
    assert lcd_config.verify(value, "246810") and not lcd_config.verify(value, "246811")
    result = runner().invoke(cli, ["lcd", "passwd"], input="abc\nabc\n")
    assert result.exit_code == 2 and "six digits" in result.stderr


def test_terminal_picture_and_keys():
    screen = {"lines": ["status", "Main menu", ">Meter data"] + [""] * 7,
              "inverted": [True, False, True] + [False] * 7, "backlight": False,
              "width": 160, "height": 160, "raw": base64.b64encode(bytes(3200)).decode()}
    text = frame(screen, False, (80, 24))
    assert len(text) <= 24 and all(len(line) <= 80 for line in text)
    assert "(backlight off)" in text[-1]
    small = frame(screen, True, (80, 24))
    assert "needs 80x40" in small[-1]
    big = frame(screen, True, (80, 43))
    assert len(big) == 41 and len(big[0]) == 80
    exact = frame(screen, True, (80, 40))          # "at least 80x40": the pixels, no key line
    assert exact == big[:40]
    assert [decode_key(c) for c in (b"\r", b"q", b"x")] == ["OK", "QUIT", None]


def test_interactive_on_a_terminal(rig, tmp_path):
    """On a pty: Enter opens the menu, Esc goes back, q quits and restores the terminal."""
    import os
    import pty
    import subprocess
    import sys
    import termios
    import time
    rig.stop()
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    env = dict(os.environ, COLUMNS="80", LINES="24")
    p = subprocess.Popen([sys.executable, "-m", "gateway", "lcd", "--lang", "en", "--config",
                          rig.config], stdin=slave, stdout=slave, stderr=subprocess.DEVNULL,
                         env=env, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__)))))
    seen = b""

    def wait_for(text, timeout=60):
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen and time.monotonic() < deadline:
            import select
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 65536)
        return text in seen
    try:
        assert wait_for(b"OK: menu")
        os.write(master, b"\r")
        assert wait_for(b"Main menu")
        seen = b""
        os.write(master, b"\x1b")
        assert wait_for(b"OK: menu")
        os.write(master, b"q")
        assert p.wait(60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        assert termios.tcgetattr(slave) == before
        os.close(master)
        os.close(slave)
