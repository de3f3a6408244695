"""The places the agent writes, named with the fix by ``run`` and ``run --check``
alike: a store file that is not SQLite, a control socket where none can be made."""

import os
import subprocess
import sys

import pytest
from gateway.cli import cli
from tests.gateway.agent_rig import runner
from tests.gateway.test_config import MINIMAL, TTY, write

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def dev():
    return TTY          # a pty's terminal side: the check opens the device and asks it is a tty


def both(path):
    """(exit code, stderr) of ``run --check`` as a process, and of ``run``."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    p = subprocess.run([sys.executable, "-m", "gateway", "run", "--config", path, "--check"],
                       capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    r = runner().invoke(cli, ["run", "--config", path])
    return (p.returncode, p.stderr), (r.exit_code, r.stderr)


def test_a_store_file_that_is_not_sqlite(tmp_path, dev):
    path = write(tmp_path, MINIMAL, dev)
    os.makedirs(tmp_path / "data")
    (tmp_path / "data" / "store.db").write_text("readings,2026-11-01\n")
    for code, err in both(path):
        assert code == 2, err
        assert "Traceback" not in err
        assert "concentrator.data_dir: %s is not a SQLite database" % (tmp_path / "data" /
                                                                        "store.db") in err
        assert "move it away (the agent then starts an empty store) or restore a backup" in err
    assert not os.path.exists(tmp_path / "control.sock")     # nothing started
    assert (tmp_path / "data" / "store.db").read_text() == "readings,2026-11-01\n"


def test_a_store_of_a_newer_version_is_named_by_check_too(tmp_path, dev):
    import sqlite3
    path = write(tmp_path, MINIMAL, dev)
    os.makedirs(tmp_path / "data")
    c = sqlite3.connect(str(tmp_path / "data" / "store.db"))
    c.execute("PRAGMA user_version = 99")
    c.execute("CREATE TABLE x (a)")
    c.close()
    for code, err in both(path):
        assert code == 2 and "has schema version 99, this program knows" in err, err


def test_a_control_socket_under_a_file(tmp_path, dev):
    (tmp_path / "run").write_text("")
    path = write(tmp_path, MINIMAL.replace("{tmp}/control.sock", "{tmp}/run/control.sock"), dev)
    for code, err in both(path):
        assert code == 2 and "Traceback" not in err, err
        assert "concentrator.socket's directory %s cannot be made: %s is a file, not a " \
               "directory" % (tmp_path / "run", tmp_path / "run") in err
    assert not os.path.exists(tmp_path / "data")             # nothing started


def test_a_control_socket_path_too_long_for_a_unix_socket(tmp_path, dev):
    long = "{tmp}/" + "d" * 110 + "/control.sock"
    path = write(tmp_path, MINIMAL.replace("{tmp}/control.sock", long), dev)
    for code, err in both(path):
        assert code == 2 and "Traceback" not in err, err
        assert "a Unix socket's path can have at most 107: choose a shorter one" in err


def test_a_control_socket_path_that_is_a_regular_file_is_not_removed(tmp_path, dev):
    (tmp_path / "notes.txt").write_text("keep me")
    path = write(tmp_path, MINIMAL.replace("{tmp}/control.sock", "{tmp}/notes.txt"), dev)
    for code, err in both(path):
        assert code == 2 and "exists and is not a socket: choose another path" in err, err
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_a_data_dir_that_is_a_file(tmp_path, dev):
    (tmp_path / "data").write_text("")
    path = write(tmp_path, MINIMAL, dev)
    for code, err in both(path):
        assert code == 2 and "Traceback" not in err, err
        assert "concentrator.data_dir %s cannot be made: %s is a file" % (
            tmp_path / "data", tmp_path / "data") in err

