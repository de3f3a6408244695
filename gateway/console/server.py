"""The control socket's server side: how the console talks to the running agent.

A Unix stream socket (mode 0600: root, or the agent's user, only) carrying
JSON lines both ways::

    -> {"op": "read", "args": {"meters": ["m-0001"]}, "token": "...", "tty": "/dev/pts/1"}
    <- {"ok": true, "result": {...}}
    <- {"ok": false, "error": {"code": "unknown_meter", "message": "..."}}

Numbers keep their exact digits (``upstream.jsonexact``).  The ops are the
console's ``gateway.ops.dispatch.Operations`` (MQTT's plus the console-only
ones of ``gateway.ops.table``).  One thread per connection; a connection may
send several requests.  The console's side is ``gateway.console.client``.

Who asks is the session of ``token`` (``concentrator login``; the agent checks
it, gateway.auth); from where is the peer's credentials (``SO_PEERCRED``:
pid, uid) and the terminal it names.  A ``user`` in a request is ignored.
"""

import json
import logging
import os
import socket
import struct
import threading
from decimal import Decimal

from protocols.core.errors import ConcentratorError
from upstream import jsonexact
from upstream.errors import CommandError

log = logging.getLogger(__name__)
MAX_LINE = 1 << 20
ACCEPT_BACKOFF = (0.1, 5.0)     # seconds: first wait after a failed accept, longest


class ControlError(ConcentratorError):
    """The agent refused or failed a request, or could not be reached."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


class ControlServer:
    def __init__(self, path, dispatch):
        """``dispatch(op, args, meta) -> result`` (raises CommandError)."""
        self.path = path
        self.dispatch = dispatch
        self.sock = None
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        check_free(self.path)
        if os.path.exists(self.path):
            os.unlink(self.path)       # left by a killed agent
        old = os.umask(0o177)
        try:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(self.path)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self._thread = threading.Thread(target=self._accept, name="control", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(2)
        if self.sock:                  # only the socket this server bound is removed
            self.sock.close()
            self.sock = None
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def _accept(self):
        backoff = ACCEPT_BACKOFF[0]
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError as err:
                if self._stop.is_set() or self.sock is None or self.sock.fileno() < 0:
                    break                  # closed by stop()
                # e.g. EMFILE, out of descriptors: the socket is fine, try again later
                log.error("control socket: cannot accept a connection (%s); trying again in "
                          "%.1f s", err, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, ACCEPT_BACKOFF[1])
                continue
            backoff = ACCEPT_BACKOFF[0]
            threading.Thread(target=self._serve, args=(conn,), name="control-conn",
                             daemon=True).start()

    def _serve(self, conn):
        with conn:
            f = conn.makefile("rwb")
            peer = peer_of(conn)
            for line in f:
                if len(line) > MAX_LINE:
                    break
                reply = self._handle(line, peer)
                f.write(jsonexact.dumps(reply).encode("utf-8") + b"\n")
                f.flush()

    def _handle(self, line, peer="socket peer unknown"):
        try:
            req = json.loads(line.decode("utf-8"), parse_float=Decimal)
            if not isinstance(req, dict) or not isinstance(req.get("op"), str):
                raise CommandError("bad_request", "a request is {\"op\": ..., \"args\": {...}}")
            args = req.get("args")
            args = {} if args is None else args
            if not isinstance(args, dict):
                raise CommandError("bad_request", "args must be an object")
            token, tty = req.get("token"), req.get("tty")
            meta = {"source": "console", "token": token if isinstance(token, str) else None,
                    "where": "console tty %s %s" % (tty if isinstance(tty, str) else "?",
                                                    peer)[:120]}
            return {"ok": True, "result": self.dispatch(req["op"], args, meta)}
        except CommandError as e:
            return {"ok": False, "error": e.reply()}
        except (UnicodeDecodeError, ValueError) as e:
            return {"ok": False, "error": {"code": "bad_request", "message": "not JSON: %s" % e}}
        except Exception as e:                       # never kill the connection thread silently
            log.exception("control request failed")
            return {"ok": False, "error": {"code": "internal", "message": str(e)}}


def peer_of(conn):
    """``pid N uid N`` of the process at the other end (SO_PEERCRED)."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", creds)
        return "pid %d uid %d" % (pid, uid)
    except (OSError, AttributeError):
        return "socket peer unknown"


def check_free(path):
    """ControlError ``busy`` when an agent answers on ``path``."""
    if os.path.exists(path) and alive(path):
        raise ControlError("busy", "another agent is running (its control socket %s answers): "
                           "stop it first (systemctl stop concentrator)" % path)


def alive(path):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(path)
            return True
    except OSError:
        return False
