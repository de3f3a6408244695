"""The replies' way out: a bounded queue in front of paho's own.

paho holds at most ``uplink.max_queued`` QoS 1 messages and refuses the
next one (``MQTT_ERR_QUEUE_SIZE``): a reply published straight into a full
queue was lost without a trace, so a flood of commands got hundreds of
replies never sent.  Replies (final, ``accepted`` and refusals such as
``busy``) go here instead; one thread hands them to the session as paho
takes them, woken by each PUBACK and by a new link.

The queue is bounded by count and by bytes (``MAX_ITEMS``, ``MAX_BYTES``):
a reply that does not fit is dropped and counted, and each episode of drops
raises one ``outbox_overflow`` event (mqtt.md, Events) with the number
dropped, when the queue has drained again; a final
reply is also in the store, so the master station gets it by sending the
same command id again.  The command processor waits for room before it runs
the next command (``wait_room``), so only refusals made on paho's thread can
overflow.
"""

import collections
import logging
import threading

log = logging.getLogger(__name__)

MAX_ITEMS = 1000
MAX_BYTES = 2 * 1024 * 1024
RETRY_S = 1.0          # a refused publish is tried again after this, PUBACK or not


class ReplyOutbox:
    def __init__(self, session, topic, on_overflow=None, max_items=MAX_ITEMS,
                 max_bytes=MAX_BYTES):
        """``topic``: the ``reply`` topic; ``on_overflow(dropped)``: once per
        episode of drops, when the queue is empty again."""
        self.session = session
        self.topic = topic
        self.on_overflow = on_overflow
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.items = collections.deque()        # [data, [(topic, response), ...] still to go]
        self.bytes = 0
        self.lock = threading.Condition()
        self.wake = threading.Event()
        self.counters = {"replies_sent": 0, "replies_dropped": 0}
        self._episode = 0                         # drops since the queue was last empty
        self._flushing = threading.Lock()         # one hand on the queue's head at a time
        self._stop = threading.Event()
        self._thread = None

    # ----------------------------------------------------------- intake
    def put(self, data, response=None):
        """Queue one reply (``response``: MQTT 5 response topic and correlation
        data, or None); False when it was dropped for want of room."""
        routes = [(self.topic, None)]
        if response and response.get("topic"):
            routes.append((response["topic"], response))
        with self.lock:
            if self.items and (len(self.items) >= self.max_items or
                               self.bytes + len(data) > self.max_bytes):
                self.counters["replies_dropped"] += 1
                self._episode += 1
                first = self._episode == 1
            else:
                self.items.append([data, routes])
                self.bytes += len(data)
                first = None
        if first is None:
            self.wake.set()
            return True
        if first:
            log.warning("uplink: reply queue full (%d waiting): replies are dropped until it "
                        "drains", len(self.items))
        return False

    def has_room(self):
        with self.lock:
            return len(self.items) < self.max_items // 2 and self.bytes < self.max_bytes // 2

    def wait_room(self, stop):
        """Block until the queue is at most half full (or ``stop`` is set)."""
        with self.lock:
            while not stop.is_set() and not (len(self.items) < self.max_items // 2 and
                                             self.bytes < self.max_bytes // 2):
                self.lock.wait(RETRY_S)

    def poke(self):
        """A PUBACK came back or the link came up: paho may have room."""
        self.wake.set()

    def __len__(self):
        return len(self.items)

    def status(self):
        return dict(self.counters, replies_waiting=len(self.items))

    # ------------------------------------------------------------- loop
    def start(self):
        self._thread = threading.Thread(target=self._run, name="replies", daemon=True)
        self._thread.start()

    def stop(self, timeout=5):
        self._stop.set()
        self.wake.set()
        with self.lock:
            self.lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        while not self._stop.is_set():
            self.wake.clear()
            try:
                self.flush()
            except Exception:                 # keep the replies going
                log.exception("uplink: sending replies failed")
            self.wake.wait(RETRY_S if self.items else None)

    def flush(self):
        """Hand queued replies to the session until it refuses one; how many went."""
        with self._flushing:
            return self._flush()

    def _flush(self):
        sent = 0
        while True:
            with self.lock:
                if not self.items:
                    ended, self._episode = self._episode, 0
                    self.lock.notify_all()
                    break
                item = self.items[0]
            data, routes = item
            while routes:
                topic, response = routes[0]
                if self.session.publish(topic, data, qos=1, response=response) is None:
                    return sent               # link down or paho full: wait for news
                routes.pop(0)
            with self.lock:
                self.items.popleft()
                self.bytes -= len(data)
                self.counters["replies_sent"] += 1
                self.lock.notify_all()
            sent += 1
        if ended and self.on_overflow is not None:
            self._overflow(ended)             # the episode is over: how many were dropped
        return sent

    def _overflow(self, dropped):
        try:
            self.on_overflow(dropped)
        except Exception:
            log.exception("uplink: outbox_overflow listener failed")
