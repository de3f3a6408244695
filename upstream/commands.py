"""Commands from the master station: decode, validate, authenticate, authorise,
execute once, reply once (mqtt.md "Commands", "Command authentication").

* A command is JSON ``{"id", "op", "args", "ts", "sig"}``; anything else is
  ``bad_request`` naming the field.
* With ``uplink.command_key`` set, every op but ``ping`` needs ``sig`` = hex
  HMAC-SHA256 of the canonical JSON without ``sig`` (keys sorted, no spaces,
  UTF-8) -> else ``unauthorized``; ``ts`` within ``uplink.command_window``
  of the concentrator's clock -> else ``expired``.  Without a key, the
  control ops (those the handlers' ``needs_signature`` names: ``control``,
  ``reset``, ``params.set``) are refused unless ``uplink.allow_unsigned_control``.
* A repeated ``id`` is answered from the stored first reply and not run
  again; the same ``id`` with another body is ``replayed``.  Replies are
  kept (persisted) for a week, so this holds across restarts.
* A command that may take longer than 2 s first gets
  ``{"id", "ok": true, "accepted": true}``; every command gets exactly one
  final reply, on ``reply`` and, under MQTT 5, also on the request's
  response topic with its correlation data.
* Every command is written to the operation log once: a command that runs
  by the handlers (``call`` logs it, executed or refused by its checks), a
  refusal before that (bad JSON, signature, replay, unknown op, busy) here,
  which also raises ``command_rejected``.
"""

import calendar
import hashlib
import hmac
import json
import logging
import queue
import re
import threading

from upstream import jsonexact, limits
from upstream.errors import CommandError

log = logging.getLogger(__name__)
ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}\Z")
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
KEEP_REPLIES = 7 * 86400
ACCEPT_AFTER = 2.0
QUEUE_MAX = 100          # commands waiting; one more is refused with busy
# error codes that mean the command was refused (not that it failed on the way):
# each raises command_rejected (mqtt.md, Limits and Command authentication)
REFUSALS = ("bad_request", "unknown_op", "unauthorized", "replayed", "expired", "unknown_meter",
            "busy", "not_supported", "too_large")


def _shown(value, limit=40):
    """A given value in a message, cut: a refusal never echoes a megabyte back."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def canonical(command):
    """The bytes the signature covers: the command without ``sig``, keys sorted, no spaces."""
    body = dict((k, v) for k, v in command.items() if k != "sig")
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(command, key):
    return hmac.new(key.encode("utf-8"), canonical(command), hashlib.sha256).hexdigest()


def parse_iso(text):
    """ISO 8601 with an offset (or Z) to UTC seconds; ValueError otherwise."""
    m = ISO.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError("not ISO 8601 with an offset, e.g. 2026-11-23T10:00:00+08:00")
    y, mo, d, h, mi, s, zone = m.groups()
    t = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
    if zone != "Z":
        sign_ = 1 if zone[0] == "+" else -1
        t -= sign_ * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return t


class CommandProcessor:
    def __init__(self, settings, handlers, store, clock, send_reply, room=None):
        """``send_reply(reply text, response)`` publishes one reply (``response``:
        the MQTT 5 response topic and correlation data, or None); ``room(stop)``
        blocks until the replies' queue can take more (upstream.replies)."""
        self.s = settings
        self.handlers = handlers
        self.store = store
        self.clock = clock
        self.send_reply = send_reply
        self.queue = queue.Queue(maxsize=QUEUE_MAX)
        self.room = room
        self._stop = threading.Event()
        self._thread = None
        self._work = queue.Queue(maxsize=1)     # the one slow command running, to its thread
        self._worker = None
        self.counters = {"received": 0, "rejected": 0, "executed": 0, "duplicates": 0,
                         "busy": 0}
        self.running = set()

    # ------------------------------------------------------------ intake
    def submit(self, payload, response=None):
        """From paho's thread: queue the command (never block the network loop)."""
        try:
            self.queue.put_nowait((bytes(payload), response))
        except queue.Full:
            # a refusal like any other: counted, logged, command_rejected, and with the
            # command's id when a flat scan can read it (mqtt.md, Limits)
            self.counters["busy"] += 1
            cid = None
            if len(payload) <= limits.MAX_PAYLOAD:
                try:
                    cid = limits.scan(bytes(payload).decode("utf-8"))[1]
                except UnicodeDecodeError:
                    pass
            self._reject(None, limits.Refused("busy", "too many commands waiting: send it "
                                              "again later", cid), response)

    def start(self):
        self._thread = threading.Thread(target=self._run, name="commands", daemon=True)
        self._thread.start()

    def stop(self, timeout=5):
        self._stop.set()
        try:
            self.queue.put_nowait((None, None))
        except queue.Full:
            pass                               # the loop sees _stop after this command
        if self._worker is not None:
            self._work.put(None)
        for t in (self._thread, self._worker):
            if t is not None:
                t.join(timeout)

    def _run(self):
        while not self._stop.is_set():
            if self.room is not None:
                self.room(self._stop)          # replies leave before more are made
            payload, response = self.queue.get()
            if payload is None or self._stop.is_set():
                break
            try:
                self.process(payload, response)
            except Exception:                  # one bad command must not stop the others
                log.exception("command processing failed")

    # ----------------------------------------------------------- process
    def process(self, payload, response=None):
        """Handle one command message end to end (also usable synchronously)."""
        self.counters["received"] += 1
        self.s.refresh()                       # command_window, allow_unsigned_control: now
        cmd = None
        try:
            cmd = self._decode(payload)
            digest = hashlib.sha256(canonical(cmd)).hexdigest()
            stored = self.store.command_get(cmd["id"])
            if stored is not None:
                if stored[0] != digest:
                    raise CommandError("replayed", "command id %s was used for another command; "
                                       "use a new id" % cmd["id"])
                self.counters["duplicates"] += 1
                if stored[1] is not None:
                    self._reply(None, response, raw=stored[1])
                elif cmd["id"] not in self.running:
                    # accepted before a restart and never finished: do not run it twice
                    err = CommandError("internal", "command %s was interrupted by a restart and "
                                       "not run again; check the state, then send a new command"
                                       % cmd["id"])
                    text = jsonexact.dumps({"id": cmd["id"], "ok": False, "error": err.reply()})
                    self.store.command_put(cmd["id"], self.clock.time(), digest, text)
                    self._reply(None, response, raw=text)
                return
            self._authenticate(cmd)
            self._authorise(cmd)
            op = cmd["op"]
            if op not in self.handlers.ops():
                raise CommandError("unknown_op", "op %r is not one of %s" %
                                   (op, ", ".join(sorted(self.handlers.ops()))))
        except CommandError as err:
            self._reject(cmd, err, response)
            return
        self.store.command_put(cmd["id"], self.clock.time(), digest, None)
        self.running.add(cmd["id"])
        try:
            self._execute(cmd, digest, response)
        finally:
            self.running.discard(cmd["id"])

    def _decode(self, payload):
        """The command within mqtt.md's limits and shape, or ``limits.Refused``
        carrying the command's id wherever it can be read."""
        cmd = limits.parse(payload)
        if not isinstance(cmd, dict):
            raise limits.Refused("bad_request", "a command is a JSON object with id, op, args, "
                                 "ts, sig")
        cid = cmd.get("id")
        if not isinstance(cid, str) or not ID.match(cid):
            raise limits.Refused("bad_request", "id must be text of 1-64 letters, digits or "
                                 "_.:-, got %s" % _shown(cid))

        def bad(message):
            return limits.Refused("bad_request", message, cid)
        if not isinstance(cmd.get("op"), str):
            raise bad("op must be text, got %s" % _shown(cmd.get("op")))
        if "args" in cmd and not isinstance(cmd["args"], dict):
            raise bad("args must be an object, got %s" % type(cmd["args"]).__name__)
        if "ts" in cmd and not isinstance(cmd["ts"], str):
            raise bad("ts must be ISO 8601 text, got %s" % _shown(cmd["ts"]))
        if "sig" in cmd and not isinstance(cmd["sig"], str):
            raise bad("sig must be hex text")
        unknown = set(cmd) - {"id", "op", "args", "ts", "sig"}
        if unknown:
            raise bad("unknown field(s) %s: a command has id, op, args, ts, sig"
                      % ", ".join(_shown(k) for k in sorted(unknown)[:5]))
        return cmd

    def _authenticate(self, cmd):
        key = self.s.command_key
        if not key or cmd["op"] == "ping":
            return
        sig = cmd.get("sig")
        if not sig or not hmac.compare_digest(sig.lower(), sign(cmd, key)):
            raise CommandError("unauthorized", "bad or missing sig: HMAC-SHA256 of the command "
                               "without sig, keys sorted, no spaces")
        if "ts" not in cmd:
            raise CommandError("bad_request", "ts is required with a signature")
        try:
            ts = parse_iso(cmd["ts"])
        except ValueError as err:
            raise CommandError("bad_request", "ts: %s" % err)
        skew = ts - self.clock.time()
        if abs(skew) > self.s.command_window:
            raise CommandError("expired", "ts is %+d s from the concentrator's clock; the window is "
                               "%d s" % (skew, self.s.command_window))

    def _authorise(self, cmd):
        if not self.s.command_key and not self.s.allow_unsigned_control and \
                self.handlers.needs_signature(cmd["op"]):
            raise CommandError("unauthorized", "%s needs a signed command: configure "
                               "uplink.command_key (or uplink.allow_unsigned_control)" % cmd["op"])

    def _execute(self, cmd, digest, response):
        op, args = cmd["op"], cmd.get("args", {})
        meta = {"source": "mqtt", "id": cmd["id"], "signed": bool(cmd.get("sig"))}
        result = {}
        done = threading.Event()

        def work():
            # the handlers check, log and wrap their own failures (upstream.handlers)
            try:
                result["value"] = self.handlers.call(op, args, meta)
            except CommandError as err:
                result["error"] = err
            except Exception:                  # not the interface: answered below, once
                log.exception("command %s: the handlers raised something other than "
                              "CommandError", op)
            finally:
                done.set()                     # never leave the command waiting

        if self.handlers.slow(op, args):
            self._slow(work)
            if not done.wait(ACCEPT_AFTER):
                self._reply({"id": cmd["id"], "ok": True, "accepted": True}, response)
                done.wait()
        else:
            work()
        if "value" not in result and "error" not in result:
            # the handlers broke their interface (raised something else): one
            # final reply is still owed; they have logged nothing
            result["error"] = CommandError("internal", "%s gave no result" % op)
            self._log(cmd, "error internal")
        if "error" in result:
            reply = {"id": cmd["id"], "ok": False, "error": result["error"].reply()}
            if result["error"].code in REFUSALS:
                # the handlers logged it; a refusal also raises command_rejected (mqtt.md)
                self._rejected_event(cmd["id"], op, result["error"])
        else:
            reply = {"id": cmd["id"], "ok": True, "result": result["value"]}
        self.counters["executed"] += 1
        text = limits.bound_reply(reply, jsonexact.dumps)
        self.store.command_put(cmd["id"], self.clock.time(), digest, text)
        self._reply(reply, response, raw=text)

    def _slow(self, work):
        """Run ``work`` on the one long-lived thread for slow commands (commands
        run one at a time: a thread, and its store connection, per command
        only churned memory)."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._work_loop, name="cmd-slow", daemon=True)
            self._worker.start()
        self._work.put(work)

    def _work_loop(self):
        while True:
            work = self._work.get()
            if work is None:
                break
            work()

    def _reject(self, cmd, err, response):
        self.counters["rejected"] += 1
        cid = cmd.get("id") if isinstance(cmd, dict) else getattr(err, "command_id", None)
        op = cmd.get("op") if isinstance(cmd, dict) else None
        self._log(cmd or {"id": cid}, "rejected %s: %s" % (err.code, err.message))
        self._rejected_event(cid, op, err)
        self._reply({"id": cid, "ok": False, "error": err.reply()}, response)

    def _rejected_event(self, cid, op, err):
        self.store.put_event(self.clock.time(), "command_rejected", "warning", None,
                             {"id": cid, "op": op if isinstance(op, str) else None,
                              "code": err.code, "message": err.message})

    def _log(self, cmd, outcome):
        op = cmd.get("op") if isinstance(cmd, dict) else None
        cid = cmd.get("id") if isinstance(cmd, dict) else None
        self.store.log("operation", self.clock.time(), "mqtt command %s %s: %s" % (cid, op, outcome))

    def _reply(self, reply, response, raw=None):
        self.send_reply(raw if raw is not None else jsonexact.dumps(reply), response)

    def prune(self):
        return self.store.command_prune(self.clock.time() - KEEP_REPLIES)
