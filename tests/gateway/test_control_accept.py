"""The control socket goes on accepting after accept() fails (out of descriptors)."""

import errno

from gateway.console.client import ControlClient
from gateway.console.server import ControlServer


class FailingAccepts:
    """The listening socket, whose next ``fail`` accepts raise EMFILE: the fault
    a real socket gives only when the process is out of descriptors."""

    def __init__(self, sock, fail):
        self.sock = sock
        self.fail = fail

    def accept(self):
        if self.fail:
            self.fail -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return self.sock.accept()

    def __getattr__(self, name):
        return getattr(self.sock, name)


class Server(ControlServer):
    def _accept(self):
        self.sock = FailingAccepts(self.sock, fail=3)     # before the first accept
        super()._accept()


def test_accept_errors_are_logged_and_survived(tmp_path, caplog):
    server = Server(str(tmp_path / "control.sock"), lambda op, args, meta: {"op": op})
    server.start()
    try:
        client = ControlClient(server.path, user="test", timeout=60)
        assert client.call("status") == {"op": "status"}
        assert server.sock.fail == 0
        assert "cannot accept a connection" in caplog.text
    finally:
        server.stop()
