"""Store-and-forward: batches from the store, in ``seq`` order, acknowledged.

The forwarder thread keeps at most ``uplink.inflight`` batches unacknowledged:

* after every (re)connect it sends the store's unacknowledged batches again,
  oldest first, byte for byte as before and with their ``seq``;
* then it forms new batches from the oldest outbox rows (``Store.batch_next``);
* a batch leaves the store when the broker's PUBACK for its message id comes
  back (``uplink.ack = "broker"``) -- tracked through paho's ``on_publish``,
  never ``is_published`` (a message published while disconnected keeps rc 4
  in paho even after delivery) -- or when the master station acknowledges
  its ``seq`` on ``ack`` (``uplink.ack = "master"``);
* in master mode a batch not acknowledged within ``uplink.ack_timeout`` goes
  again; sent times and timeouts are the injected Clock's ``monotonic()``,
  so a virtual clock drives them in tests.

The thread sleeps on its ``wake`` event: the store's commit notification
(``Store.on_commit``, registered by the uplink) sets it when records are
committed to the outbox, and so do PUBACKs, master acks and a new link.  It
makes no write transaction when nothing waits; without news it only wakes
for the next ack deadline or after ``SAFETY_S``.  PUBACKs arrive on paho's
network thread under paho's locks; they are only queued there and handled
here, so no lock is held across ``publish``.
"""

import collections
import logging
import threading

log = logging.getLogger(__name__)

SAFETY_S = 30.0          # a pass at least this often, news or not (real seconds)
MIN_WAIT_S = 0.2         # between passes when a deadline has passed and nothing could be sent


class Forwarder:
    def __init__(self, settings, store, session, builder, clock):
        self.s = settings
        self.store = store
        self.session = session
        self.builder = builder
        self.clock = clock
        self.inflight = collections.OrderedDict()   # seq -> [mid, sent monotonic, records]
        self.mids = {}                             # mid -> seq (broker mode)
        self.acked_mids = collections.deque()
        self.master_acks = collections.deque()     # ("seq", n) / ("upto", n)
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self._generation = None
        self._resend = []
        self.passes = 0                            # loop passes done (tests wait on it)
        self.counters = {"batches_sent": 0, "batches_acked": 0, "records_acked": 0,
                         "resent": 0, "bytes_sent": 0}
        self.on_acked = None        # fn(seq) after a batch left the store acknowledged
        self._ack_mode = settings.ack       # to see uplink.ack change while running

    # ------------------------------------------------- from other threads
    def published(self, mid):
        self.acked_mids.append(mid)
        self._wake()

    def master_ack(self, message):
        """The master station's ``{"seq": N}`` or ``{"upto": N}`` on ``ack``."""
        if isinstance(message.get("seq"), int):
            self.master_acks.append(("seq", message["seq"]))
        elif isinstance(message.get("upto"), int):
            self.master_acks.append(("upto", message["upto"]))
        else:
            return False
        self._wake()
        return True

    def poke(self):
        """New data in the store, or the link came up."""
        self._wake()

    def _wake(self):
        self.wake.set()
        self.clock.notify()          # a virtual clock wakes a waiter at once

    # -------------------------------------------------------------- loop
    def start(self):
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self._thread.start()

    def stop(self, timeout=5):
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        while not self._stop.is_set():
            self.wake.clear()                  # before the pass: news during it is not lost
            try:
                self.step()
            except Exception:                  # keep forwarding whatever one pass did
                if getattr(self.store, "full", None) is None:
                    log.exception("uplink forwarder pass failed")
                # else the disk is full: the engine's store watch reports that, once
                self._stop.wait(1.0)
            self.passes += 1
            self._sleep()

    def _sleep(self):
        """Until news (``wake``), the first ack deadline (on the Clock) or ``SAFETY_S``."""
        due = self._next_deadline()
        if due is None:
            self.wake.wait(SAFETY_S)
        else:
            left = due - self.clock.monotonic()
            self.clock.wait(self.wake, min(max(left, MIN_WAIT_S), SAFETY_S))

    def _next_deadline(self):
        if self.s.ack != "master" or not self.inflight or not self.session.up:
            return None                  # a new link pokes, and resends what was in flight
        return min(e[1] for e in self.inflight.values()) + self.s.ack_timeout

    def step(self):
        self.s.refresh()
        self._handle_acks()
        if self.s.ack != self._ack_mode:
            self._mode_changed()
        sess = self.session
        if not sess.up:
            return
        if sess.generation != self._generation:
            # a new connection: what was in flight may not have arrived
            self._generation = sess.generation
            self.inflight.clear()
            self.mids.clear()
            self._resend = self.store.batches_unacked()
        if self.s.ack == "master":
            self._timeouts()                       # late batches join the resends
        window = self.s.inflight
        while self._resend and len(self.inflight) < window and sess.up:
            seq, topic, payload, n = self._resend[0]
            if not self._send(seq, topic, payload, n):
                return
            self._resend.pop(0)
            self.counters["resent"] += 1
        while not self._resend and len(self.inflight) < window and sess.up:
            batch = self.store.batch_next(self.s.batch_max, self.builder.build, self.clock.time())
            if batch is None:
                break
            seq, topic, payload, n = batch
            if not self._send(seq, topic, payload, n):
                break
        self._handle_acks()

    def _send(self, seq, topic, payload, n):
        mid = self.session.publish(topic, payload, qos=1, content_type=self.builder.content_type())
        if mid is None:
            return False                 # link went down: the batch stays in the store
        self.inflight[seq] = [mid, self.clock.monotonic(), n]
        self.mids[mid] = seq
        self.counters["batches_sent"] += 1
        self.counters["bytes_sent"] += len(payload)
        return True

    def _handle_acks(self):
        while self.acked_mids:
            mid = self.acked_mids.popleft()
            seq = self.mids.pop(mid, None)
            if seq is None or seq not in self.inflight:
                continue
            if self.s.ack == "broker":
                self._done(seq)
            else:
                self.inflight[seq][0] = None       # at the broker; waiting for the master
        while self.master_acks:
            kind, n = self.master_acks.popleft()
            if kind == "seq":
                if self.store.batch_ack(n):
                    self._count(n)
                self.inflight.pop(n, None)
            else:
                for seq in [s for s in self.inflight if s <= n]:
                    self._count(seq)
                    del self.inflight[seq]
                self.store.batch_ack_upto(n)
                self._resend = [b for b in self._resend if b[0] > n]

    def _mode_changed(self):
        """``uplink.ack`` changed while running.  To ``broker``: the batches the
        broker has acknowledged already (waiting for the master until now) are
        done; the others finish on their PUBACK as usual.  To ``master``: what
        is in flight waits for the master's ack from its PUBACK on."""
        if self.s.ack == "broker":
            for seq in [s for s, e in self.inflight.items() if e[0] is None]:
                self._done(seq)
        self._ack_mode = self.s.ack

    def _done(self, seq):
        self.store.batch_ack(seq)
        self._count(seq)
        del self.inflight[seq]

    def _count(self, seq):
        entry = self.inflight.get(seq)
        self.counters["batches_acked"] += 1
        if entry:
            self.counters["records_acked"] += entry[2]
        if self.on_acked is not None:
            try:
                self.on_acked(seq)
            except Exception:
                log.exception("ack listener failed")

    def _timeouts(self):
        now = self.clock.monotonic()
        late = [seq for seq, e in self.inflight.items() if now - e[1] >= self.s.ack_timeout]
        if late:
            # resend from the store in seq order: the master station drops what it has seen
            for seq in late:
                self.inflight.pop(seq, None)
            self._resend = [b for b in self.store.batches_unacked() if b[0] in set(late)] + \
                [b for b in self._resend if b[0] not in set(late)]

    def status(self):
        waiting, unacked, oldest = self.store.batch_backlog()
        return dict(self.counters, inflight=len(self.inflight), waiting_records=waiting,
                    unacked_batches=unacked,
                    oldest_age_s=None if oldest is None else int(self.clock.time() - oldest))
