"""The MQTT session: a thin adapter around one paho-mqtt 2.x ``Client``.

Two layers (style.md, "Resilient uplink"): paho's operations, which may
fail, and this loop, which keeps the link: it connects, runs paho's network
loop in its own thread, notices the loss of the link, and reconnects with
exponential backoff and jitter.  ``up`` says whether the link is usable;
``generation`` counts connections, so the forwarder knows to send its
unacknowledged batches again after a reconnect.

Session (mqtt.md): client id ``amr-<cid>``; MQTT 5 with clean start off and
a session expiry interval (without one, MQTT 5 drops the session and its
offline queue at disconnect) or MQTT 3.1.1 with a persistent session; last
will ``state`` = offline (retained, QoS 1); on every connect the retained
``state`` = online, then subscriptions to ``cmd``, ``ack`` and ``file/+/+``
(the chunks of an upgrade transfer, mqtt.md Upgrade).

paho's own queue is capped (``uplink.max_queued``) and never holds the only
copy of anything: the store does.  Publishing while the link is down is
refused here instead of queued in paho.  ``connected_s`` in the status is
counted on the injected Clock's ``monotonic()``.
"""

import json
import logging
import random
import socket
import ssl
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from upstream.errors import UplinkError

log = logging.getLogger(__name__)


class Session:
    def __init__(self, settings, clock, version, meters_count=lambda: 0, on_message=None,
                 on_published=None, on_up=None):
        self.s = settings
        self.clock = clock
        self.version = version
        self.meters_count = meters_count
        self.on_message = on_message
        self.on_published = on_published
        self.on_up = on_up
        self.up = False
        self.generation = 0
        self.reconnects = 0
        self.last_error = None
        self.connected_since = None
        self._stop = threading.Event()
        self._thread = None
        self.client = self._make_client()

    # ------------------------------------------------------------ client
    def _make_client(self):
        s = self.s
        if s.v5:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="amr-" + s.cid,
                            protocol=mqtt.MQTTv5, reconnect_on_failure=False)
        else:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="amr-" + s.cid,
                            protocol=mqtt.MQTTv311, clean_session=False,
                            reconnect_on_failure=False)
        c.max_queued_messages_set(s.max_queued)
        c.max_inflight_messages_set(max(s.inflight, 20))      # apply_settings follows changes
        if s.username:
            c.username_pw_set(s.username, s.password or None)
        if s.tls:
            try:
                c.tls_set(ca_certs=s.tls_ca or None, certfile=s.tls_cert or None,
                          keyfile=s.tls_key or None)
            except (OSError, ssl.SSLError, ValueError) as err:
                raise UplinkError("uplink TLS files: %s (check uplink.tls_ca, tls_cert, tls_key)"
                                  % err) from err
        c.will_set(s.topic("state"), self._state("offline"), qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        return c

    def apply_settings(self):
        """``uplink.inflight`` changed while running: paho may keep as many in flight.
        paho takes a new cap only between connections; meanwhile it queues what
        is over its cap and sends it as PUBACKs come (the forwarder's window,
        which is what ``uplink.inflight`` bounds, follows at once)."""
        try:
            self.client.max_inflight_messages_set(max(self.s.inflight, 20))
        except RuntimeError:
            pass                       # connected: _reconnect sets it

    def _state(self, state):
        body = {"state": state, "ts": self._iso()}
        if state == "online":
            body.update(fw=self.version, meters=self.meters_count())
        return json.dumps(body, separators=(",", ":"))

    def _iso(self):
        t = self.clock.time()
        off = self.clock.tz_offset
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t) + off)) + \
            "%+03d:%02d" % (off // 3600, abs(off) % 3600 // 60)

    # --------------------------------------------------------- callbacks
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self.last_error = "broker refused the connection: %s" % reason_code
            log.warning("uplink: %s", self.last_error)
            return
        s = self.s
        client.publish(s.topic("state"), self._state("online"), qos=1, retain=True)
        client.subscribe([(s.topic("cmd"), 1), (s.topic("ack"), 1), (s.topic("file/+/+"), 1)])
        self.up = True
        self.generation += 1
        self.connected_since = self.clock.monotonic()
        self.last_error = None
        log.info("uplink: connected to %s:%d (session present: %s)", s.host, s.port,
                 getattr(flags, "session_present", None))
        if self.on_up:
            self.on_up()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if self.up and self._stop.is_set():
            log.info("uplink: disconnected (%s)", reason_code)
        elif self.up:
            log.warning("uplink: link lost (%s)", reason_code)
        self.up = False

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        if self.on_published and not getattr(reason_code, "is_failure", False):
            self.on_published(mid)

    def _on_message(self, client, userdata, message):
        if self.on_message:
            self.on_message(message)

    # -------------------------------------------------------------- link
    def start(self):
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()

    def stop(self, timeout=5):
        """Publish ``offline`` and disconnect cleanly (the will is for crashes)."""
        if self.up:      # while the network loop still runs, so the PUBACK is read
            try:
                info = self.client.publish(self.s.topic("state"), self._state("offline"), qos=1,
                                           retain=True)
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self._stop.set()
        if self.up:
            self.client.disconnect()
        if self._thread is not None:
            self._thread.join(timeout)

    def _connect(self):
        s = self.s
        props = None
        if s.v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = s.session_expiry
            self.client.connect(s.host, s.port, s.keepalive, clean_start=False, properties=props)
        else:
            self.client.connect(s.host, s.port, s.keepalive)

    def _run(self):
        delay = self.s.reconnect_min
        first = True
        while not self._stop.is_set():
            try:
                if first:
                    self._connect()
                    first = False
                else:
                    self.apply_settings()
                    self.client.reconnect()
            except ssl.SSLError as err:
                self.last_error = ("TLS handshake with %s:%d failed: %s (check uplink.tls_ca and "
                                   "the broker's certificate)" % (self.s.host, self.s.port, err))
            except (OSError, socket.error, ValueError) as err:
                self.last_error = "cannot reach %s:%d: %s" % (self.s.host, self.s.port, err)
            else:
                delay = self._pump(delay)
                continue
            log.warning("uplink: %s; retrying in %.1f s", self.last_error, delay)
            self._stop.wait(delay * random.uniform(0.5, 1.5))      # jitter
            delay = min(self.s.reconnect_max, delay * 2)
            self.reconnects += 1

    def _pump(self, delay):
        """paho's network loop until the link drops; returns the next backoff."""
        while not self._stop.is_set():
            rc = self.client.loop(timeout=0.2)
            if rc != mqtt.MQTT_ERR_SUCCESS:
                self.up = False
                if self.last_error is None:
                    self.last_error = "link lost: %s" % mqtt.error_string(rc)
                break
            if self.up:
                delay = self.s.reconnect_min
        if not self._stop.is_set():
            self._stop.wait(delay * random.uniform(0.5, 1.5))
            self.reconnects += 1
            delay = min(self.s.reconnect_max, delay * 2)
        return delay

    # ------------------------------------------------------------ publish
    def publish(self, topic, payload, qos=1, content_type=None, response=None):
        """The message id, or None when the link is down (nothing is queued)."""
        if not self.up:
            return None
        props = None
        if self.s.v5 and (content_type or response):
            props = Properties(PacketTypes.PUBLISH)
            if content_type:
                props.ContentType = content_type
            if response and response.get("correlation") is not None:
                props.CorrelationData = response["correlation"]
        info = self.client.publish(topic, payload, qos=qos, properties=props)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return None
        return info.mid

    def status(self):
        return {"up": self.up, "reconnects": self.reconnects, "last_error": self.last_error,
                "connected_s": None if not self.up or self.connected_since is None
                else int(self.clock.monotonic() - self.connected_since)}
