"""End to end: `concentrator run` as a process with [lcd] on a framebuffer file
and a FIFO of input events; keys written into the FIFO move the screen, the
console sees it through `concentrator lcd`, and the agent stops cleanly."""

import os
import signal
import time

import pytest

from drivers.keys import encode
from tests.gateway.test_run_e2e import Notify, console, start_agent

BLANK = bytes(3200)
# bus1: a serial device with no meter on it (a pty's terminal side, open for the module)
_PTY = os.openpty()
TTY = os.ttyname(_PTY[1])


def config_text(tmp):
    return "\n".join([
        '[concentrator]', 'id = "lcd-e2e"', 'data_dir = "%s/data"' % tmp,
        'socket = "%s/control.sock"' % tmp, '',
        '[[port]]', 'name = "bus1"', 'device = "%s"' % TTY, '',
        '[uplink]', 'enabled = false', '',
        '[lcd]', 'display = "%s/fb"' % tmp, 'keys = "%s/keys"' % tmp,
        'width = 160', 'height = 160', 'bpp = 1', 'lang = "en"', ''])


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def framebuffer(tmp):
    with open(os.path.join(tmp, "fb"), "rb") as f:
        return f.read()


@pytest.mark.slow
def test_keys_in_the_fifo_move_the_screen_of_the_running_agent(tmp_path):
    tmp = str(tmp_path)
    with open(os.path.join(tmp, "fb"), "wb") as f:
        f.write(BLANK)
    fifo = os.path.join(tmp, "keys")
    os.mkfifo(fifo)
    config = os.path.join(tmp, "concentrator.toml")
    with open(config, "w") as f:
        f.write(config_text(tmp))
    _, out, _ = console(config, "run", "--check")
    assert "good" in out
    console(config, "users", "init", "root", input="lcd-root-pass\nlcd-root-pass\n")
    console(config, "login", "root", input="lcd-root-pass\n")
    agent = start_agent(tmp, config, Notify(os.path.join(tmp, "notify.sock")))
    try:
        assert wait_for(lambda: framebuffer(tmp) != BLANK)           # the home screen
        _, out, err = console(config, "lcd", "--text")
        assert out.splitlines()[-1] == "OK: menu" and "not running" not in err
        home = framebuffer(tmp)
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, encode(28, 1) + encode(28, 0))               # OK
            assert wait_for(lambda: framebuffer(tmp) != home)
            _, out, _ = console(config, "lcd", "--text")
            assert out.splitlines()[1].startswith("Main menu")
            os.write(fd, encode(108, 1) + encode(108, 2) + encode(108, 0))   # DOWN, held once
            assert wait_for(lambda: console(config, "lcd", "--text")[1].splitlines()[4]
                            .startswith(">"))
        finally:
            os.close(fd)
    finally:
        agent.send_signal(signal.SIGTERM)
        code = agent.wait(60)
    log = open(os.path.join(tmp, "agent.log")).read()
    assert code == 0, log
    assert "agent lcd-e2e stopped" in log and "Traceback" not in log, log

