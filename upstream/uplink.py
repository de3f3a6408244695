"""The uplink: session, store-and-forward, commands and the status heartbeat.

``Uplink(settings, store, handlers, clock, version, ...)`` wires
``upstream.session`` (the paho adapter), ``upstream.forwarder`` (batches),
``upstream.commands`` (cmd -> reply), the chunk messages of an upgrade
transfer (``file/<transfer>/<index>`` -> ``handlers.file_chunk``) and a
heartbeat on ``status`` every ``uplink.status_interval`` seconds (QoS 0)
with the ``stats()`` the agent provides (per-port success rates, store use,
clock) plus the uplink's own (outbox depth and age, batches, link state).

The forwarder is woken by the store's commit notification (``Store.on_commit``):
records committed to the outbox go out without a poll.  ``uptime_s`` is
counted on the injected Clock's ``monotonic()``.  A record's ``addr`` comes
from ``addresses`` (a mapping meter id -> address, or a function returning
one, asked once per batch; see upstream.payload).
"""

import json
import logging
import threading

from upstream import jsonexact
from upstream.commands import CommandProcessor
from upstream.forwarder import Forwarder
from upstream.payload import PayloadBuilder, iso
from upstream.replies import ReplyOutbox
from upstream.session import Session

log = logging.getLogger(__name__)


class Uplink:
    def __init__(self, settings, store, handlers, clock, version, stats=lambda: {},
                 addresses=None, meters_count=lambda: 0, tz_offset=lambda: 8 * 3600):
        self.s = settings
        self.store = store
        self.handlers = handlers
        self.clock = clock
        self.stats = stats
        self.tz_offset = tz_offset
        self.started = clock.monotonic()
        self.session = Session(settings, clock, version, meters_count,
                               on_message=self._on_message, on_published=self._on_published,
                               on_up=self._on_up)
        self.builder = PayloadBuilder(settings, tz_offset, addresses)
        self.forwarder = Forwarder(settings, store, self.session, self.builder, clock)
        self._unlisten = None
        self.replies = ReplyOutbox(self.session, settings.topic("reply"),
                                   on_overflow=self._outbox_overflow)
        self.commands = CommandProcessor(settings, handlers, store, clock, self._send_reply,
                                         room=self.replies.wait_room)
        self._stop = threading.Event()
        self._beat = threading.Event()        # wakes the heartbeat: a parameter changed, or stop
        self._status_thread = None
        self._params_listener = None

    # ------------------------------------------------------------- life
    def start(self):
        self._listen_params()
        self._unlisten = self.store.on_commit(self.forwarder.poke)
        self.replies.start()
        self.commands.start()
        self.forwarder.start()
        self.session.start()
        self._status_thread = threading.Thread(target=self._heartbeat, name="status", daemon=True)
        self._status_thread.start()

    def stop(self, timeout=5):
        self._stop.set()
        self._wake_heartbeat()
        self._unlisten_params()
        if self._status_thread is not None:
            self._status_thread.join(timeout)
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self.forwarder.stop(timeout)
        self.commands.stop(timeout)
        self.replies.stop(timeout)
        self.replies.flush()            # what paho takes now still goes before offline
        self.session.stop(timeout)

    # ------------------------------------------------------- parameters
    def _listen_params(self):
        """Hear ``params.set`` at once (``Params.on_change``, chained to any listener
        already there): the uplink.* parameters apply at once, not at the next pass."""
        params = self.s.params
        if params is None or not hasattr(params, "on_change"):
            return
        before = params.on_change

        def changed(changes):
            if before is not None:
                before(changes)
            self.settings_changed(changes)
        self._params_listener = (params, before, changed)
        params.on_change = changed

    def _unlisten_params(self):
        if self._params_listener is not None:
            params, before, mine = self._params_listener
            if params.on_change is mine:
                params.on_change = before
            self._params_listener = None

    def settings_changed(self, changes=None):
        """Parameters changed: take the uplink.* ones now and wake every part
        that schedules by them (heartbeat, forwarder, replies)."""
        if changes is not None and not any(k.startswith("uplink.") for k in changes):
            return
        self.s.refresh()
        self.session.apply_settings()
        self.forwarder.poke()
        self.replies.poke()
        self._wake_heartbeat()

    def _wake_heartbeat(self):
        self._beat.set()
        self.clock.notify()

    # --------------------------------------------------------- messages
    def _on_up(self):
        self.forwarder.poke()
        self.replies.poke()

    def _on_published(self, mid):
        self.forwarder.published(mid)
        self.replies.poke()

    def _on_message(self, message):
        topic = message.topic
        if topic == self.s.topic("cmd"):
            response = None
            props = getattr(message, "properties", None)
            if props is not None and getattr(props, "ResponseTopic", None):
                response = {"topic": props.ResponseTopic,
                            "correlation": getattr(props, "CorrelationData", None)}
            self.commands.submit(message.payload, response)
        elif topic == self.s.topic("ack"):
            try:
                body = json.loads(message.payload.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
            if not isinstance(body, dict) or not self.forwarder.master_ack(body):
                log.warning("uplink: ignored ack %r: expected {\"seq\": N} or {\"upto\": N}",
                            message.payload[:100])
        elif topic.startswith(self.s.topic("file/")):
            self._on_chunk(topic[len(self.s.topic("file/")):], message.payload)

    def _on_chunk(self, rest, payload):
        """``<transfer>/<index>`` of a chunk message: to ``handlers.file_chunk``
        (index -1 when it is not a decimal number: dropped and counted there)."""
        transfer, _, index = rest.partition("/")
        index = int(index) if index.isdigit() and len(index) <= 9 else -1
        chunk = getattr(self.handlers, "file_chunk", None)
        if chunk is None:
            return
        try:
            chunk(transfer, index, bytes(payload))
        except Exception:              # never on paho's thread
            log.exception("uplink: chunk %s/%s failed", transfer, index)

    def _send_reply(self, text, response):
        self.replies.put(text.encode("utf-8"), response)

    def _outbox_overflow(self, dropped):
        """Replies were dropped for want of room (upstream.replies): one event."""
        self.store.put_event(self.clock.time(), "outbox_overflow", "warning", None,
                             {"what": "replies", "dropped": dropped,
                              "hint": "send the same command id again to get its stored reply"})

    # -------------------------------------------------------- heartbeat
    def status_payload(self):
        body = {"v": 1, "cid": self.s.cid, "ts": iso(self.clock.time(), self.tz_offset()),
                "uptime_s": int(self.clock.monotonic() - self.started)}
        body.update(self.stats())
        body["uplink"] = self.status()
        return body

    def status(self):
        return dict(self.session.status(), ack=self.s.ack, **dict(self.forwarder.status(),
                                                  **self.replies.status()))

    def _heartbeat(self):
        """A status every ``uplink.status_interval`` seconds of the injected
        clock, counted from the last one; a changed interval applies at once
        (a shorter one that has passed already sends now)."""
        last = self.clock.monotonic()
        while not self._stop.is_set():
            self._beat.clear()
            self.s.refresh()
            left = last + self.s.status_interval - self.clock.monotonic()
            if left > 0:
                self.clock.wait(self._beat, left)
                continue                       # time came, or news: look again
            last = self.clock.monotonic()
            if self.session.up:
                try:
                    self.session.publish(self.s.topic("status"),
                                         jsonexact.dumps(self.status_payload()).encode(), qos=0)
                except Exception:
                    log.exception("status heartbeat failed")
            self.commands.prune()
