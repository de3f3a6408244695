"""The console's side of the control socket, and the way to the agent.

``ControlClient`` sends one request to the running agent's socket
(``gateway.console.server``); ``AgentLink`` picks it, or with no agent
running, the same ops on the files (``gateway.console.offline``).
"""

import json
import os
import socket
from decimal import Decimal

import click

from gateway.console import session
from gateway.console.server import ControlError, alive
from upstream import jsonexact
from upstream.errors import CommandError


class ControlClient:
    """The console's side: ``call(op, args)`` -> result, or ControlError.

    Each request carries the session token of this terminal user
    (``gateway.console.session``, or ``token``) and the terminal's name; who
    is asking the agent takes from the session and the socket's peer
    credentials, never from ``$USER``.  ``user`` is only a label for tests."""

    def __init__(self, path, user=None, timeout=300, token=None):
        self.path = path
        self.user = user
        self.timeout = timeout
        self.token = token

    def session_token(self):
        return self.token if self.token is not None else session.load(self.path)

    def available(self):
        return os.path.exists(self.path) and alive(self.path)

    def call(self, op, args=None):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(self.timeout)
                s.connect(self.path)
                with s.makefile("rwb") as f:    # closed here: a kept traceback keeps no socket
                    req = {"op": op, "args": args or {}, "tty": session.tty()}
                    token = self.session_token()
                    if token:
                        req["token"] = token
                    f.write(jsonexact.dumps(req).encode("utf-8") + b"\n")
                    f.flush()
                    line = f.readline()
        except FileNotFoundError:
            raise ControlError("not_running", "the agent is not running (no %s)" % self.path)
        except PermissionError:
            raise ControlError("unauthorized", "no permission for %s: run as root" % self.path)
        except socket.timeout:
            raise ControlError("timeout", "the agent did not answer within %d s" % self.timeout)
        except OSError as e:
            raise ControlError("not_running", "cannot reach the agent at %s: %s" % (self.path, e))
        if not line:
            raise ControlError("internal", "the agent closed the connection")
        try:
            reply = json.loads(line.decode("utf-8"), parse_float=Decimal)
            if not isinstance(reply, dict):
                raise ValueError("not an object")
        except ValueError as e:
            raise ControlError("internal", "%s answered something that is not a reply (%s): is "
                               "it the agent's control socket?" % (self.path, e))
        if not reply.get("ok"):
            e = reply.get("error") or {}
            raise ControlError(e.get("code", "internal"), e.get("message", "failed"))
        return reply.get("result")


class AgentLink:
    """The console's way to the agent (config ``cfg``): its control socket, or
    with no agent running, the same ops on the files, saying so once on
    stderr.  ``refused(err, hint)``: what a refusal does (the CLI exits with
    the message); without it the ControlError or CommandError is raised."""

    def __init__(self, cfg, need_agent=False, quiet=False, refused=None):
        self.cfg = cfg
        self.need_agent = need_agent
        self.quiet = quiet
        self.refused = refused
        self.offline = None
        self.client = ControlClient(self.cfg.concentrator["socket"])
        self.running = self.client.available()

    def call(self, op, args=None, hint=None):
        """The op's result; a refusal goes to ``refused`` with ``hint`` (what
        to do next with this command)."""
        try:
            if self.running:
                return self.client.call(op, args or {})
            if self.need_agent:
                raise ControlError("not_running", "%s needs the running agent and it is not "
                                   "running (no answer on %s)" % (op, self.client.path))
            if self.offline is None:
                from gateway.console.offline import Offline
                self.offline = Offline(self.cfg)
                if not self.quiet:
                    click.echo("note: the agent is not running; working on the files in %s"
                               % self.cfg.concentrator["data_dir"], err=True)
            return self.offline.call(op, args or {}, {
                "source": "console", "token": self.client.session_token(),
                "where": "console (agent stopped) tty %s uid %d" % (session.tty(), os.getuid())})
        except (ControlError, CommandError) as err:
            if self.refused is None:
                raise
            return self.refused(err, hint)

    def close(self):
        if self.offline is not None:
            self.offline.close()
