"""A real mosquitto on a free loopback port, started and stopped by the demo and the tests.

Facts that matter here (measured): mosquitto 2.0 keeps nothing on disk by
default; run as root it needs ``user root`` to write its persistence file;
SIGKILL loses everything since its last autosave, so ``autosave_interval 1``;
and ``max_queued_messages`` (1000 per client by default) silently drops
beyond, so it is raised for the backlog tests.
"""

import os
import shutil
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mosquitto_binary():
    for path in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if path and os.path.exists(path):
            return path
    raise RuntimeError("mosquitto is not installed (Debian: apt-get install mosquitto; "
                       "`make test` and `make demo` install it)")


class Mosquitto:
    def __init__(self, workdir, port=None, persistence=True, tls=None):
        """``tls``: dict(cafile=, certfile=, keyfile=) for a TLS listener."""
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.persistence = persistence
        self.tls = tls
        self.proc = None
        self.conf = os.path.join(self.dir, "mosquitto.conf")

    def _write_conf(self):
        lines = ["listener %d 127.0.0.1" % self.port, "allow_anonymous true",
                 "max_queued_messages 1000000", "max_inflight_messages 100",
                 "log_dest file %s" % os.path.join(self.dir, "mosquitto.log"),
                 "log_type error", "log_type warning", "log_type notice"]
        if self.tls:
            lines += ["cafile %s" % self.tls["cafile"], "certfile %s" % self.tls["certfile"],
                      "keyfile %s" % self.tls["keyfile"]]
        if self.persistence:
            lines += ["persistence true", "persistence_location %s/" % self.dir,
                      "autosave_interval 1"]
        if os.geteuid() == 0:
            lines.append("user root")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, timeout=10):
        self._write_conf()
        self.proc = subprocess.Popen([mosquitto_binary(), "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited: %s" % self.proc.stderr.read().decode()[-500:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen on %d" % self.port)

    def stop(self):
        """A clean stop (it saves its persistence file)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
