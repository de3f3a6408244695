"""Virtual serial lines between the agent and simulated meters.

A responder (``sim.bus.Bus`` or ``sim.radio.RadioModule``) turns request
bytes into ``(delay, reply)`` pairs; a line carries bytes both ways with the
timing of a real bus:

* pacing on: every byte lasts 11 bit times at the line's baud (8E1/8N2), in
  both directions; a meter starts its reply ``delay`` seconds after the last
  byte of the request has arrived;
* local echo (two-wire adapters that hear themselves): the agent's own bytes
  come back first;
* pacing off: replies are there as soon as the responder has them (fast
  tests, CPU measurements);
* noise (``noise`` bytes per second, e.g. 240): random bytes on the line all
  the time, as from a chattering meter or a stuck transceiver, mixed with
  whatever else is on the wire; ``noise = 0`` stops it.

Three carriers share one ``LineEngine``:

* ``PtyLine``: a pseudo-terminal pair; the agent opens ``path`` with real
  pyserial, exactly as it opens ``/dev/ttyS1`` on a board.
* ``TcpLine``: a TCP server; the agent opens ``socket://127.0.0.1:PORT``, as
  for an Ethernet-to-RS485 converter.
* ``InProcessLine``: the drivers' transport interface itself, on any clock
  (virtual time included), for fast tests and whole simulated months.
"""

import os
import random
import select
import socket
import threading
import tty

BITS_PER_BYTE = 11


class LineEngine:
    """When each byte is on the wire, both ways (times from the line's clock)."""

    def __init__(self, responder, baud=2400, pacing=True, echo=False, noise=0, seed=0):
        self.responder = responder
        self.baud = baud
        self.pacing = pacing
        self.echo = echo
        self.noise = noise     # random bytes per second on the line (0: none)
        self._noise_at = None  # when the next noise byte is complete
        self._random = random.Random(seed)
        self.rx_end = 0.0      # when the last request byte has fully arrived
        self.tx_free = 0.0     # when the line is free for the next reply byte
        self.out = []          # [(time the chunk is complete, bytes)] in time order
        self.lock = threading.Lock()
        self.bytes_in = 0
        self.bytes_out = 0

    def byte_time(self):
        return BITS_PER_BYTE / float(self.baud) if self.pacing else 0.0

    def arrive(self, data, now):
        """Request bytes written by the agent at ``now``."""
        bt = self.byte_time()
        with self.lock:
            self.bytes_in += len(data)
            start = max(now, self.rx_end)
            self.rx_end = start + len(data) * bt
            if self.echo:
                self._emit(data, start)
            for delay, reply in self.responder.receive(data):
                if reply:
                    self._emit(reply, self.rx_end + delay)

    def _emit(self, data, start):
        bt = self.byte_time()
        t = max(start, self.tx_free)
        if bt == 0:
            self.out.append((t, bytes(data)))
            self.tx_free = t
        else:
            # one entry per byte keeps reads honest about partial replies
            for k in range(len(data)):
                self.out.append((t + (k + 1) * bt, data[k:k + 1]))
            self.tx_free = t + len(data) * bt
        self.out.sort(key=lambda e: e[0])
        self.bytes_out += len(data)

    def set_noise(self, rate, now):
        """``rate`` random bytes per second on the line from ``now`` (0: quiet)."""
        with self.lock:
            self.noise = rate
            self._noise_at = now + 1.0 / rate if rate else None

    def _chatter(self, now):
        # lock held: the noise bytes complete by ``now`` join the queue
        if not self.noise or self._noise_at is None:
            return
        step = 1.0 / self.noise
        while self._noise_at <= now:
            self.out.append((self._noise_at, bytes((self._random.randrange(256),))))
            self._noise_at += step
        self.out.sort(key=lambda e: e[0])

    def due(self, now):
        """Bytes complete on the wire by ``now`` (removed from the queue)."""
        with self.lock:
            self._chatter(now)
            k = 0
            while k < len(self.out) and self.out[k][0] <= now:
                k += 1
            if not k:
                return b""
            chunk = b"".join(e[1] for e in self.out[:k])
            del self.out[:k]
            return chunk

    def next_due(self):
        with self.lock:
            times = [t for t in (self.out[0][0] if self.out else None,
                                 self._noise_at if self.noise else None) if t is not None]
            return min(times) if times else None

    def last_due(self):
        with self.lock:
            if self.noise and self._noise_at is not None:
                return None            # the line never falls quiet
            return self.out[-1][0] if self.out else None

    def clear_output(self):
        with self.lock:
            self.out = []


class _Served:
    """A line served by a thread in real time (pty and TCP)."""

    def __init__(self, engine, clock):
        self.engine = engine
        self.clock = clock
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="sim-line", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)

    def _wait_time(self):
        nxt = self.engine.next_due()
        if nxt is None:
            return 0.2
        return max(0.0, min(0.2, nxt - self.clock.monotonic()))

    def _pump(self, read_fd, write):
        ready, _, _ = select.select([read_fd], [], [], self._wait_time())
        if ready:
            data = self._read()
            if data is None:
                return False
            if data:
                self.engine.arrive(data, self.clock.monotonic())
        chunk = self.engine.due(self.clock.monotonic())
        if chunk:
            write(chunk)
        return True


class PtyLine(_Served):
    """A pseudo-terminal pair: the agent opens ``self.path`` with pyserial."""

    def __init__(self, responder, clock, baud=2400, pacing=True, echo=False):
        super().__init__(LineEngine(responder, baud, pacing, echo), clock)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)     # no echo, no line editing on the agent's side
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)

    @property
    def url(self):
        return self.path

    def _read(self):
        try:
            return os.read(self.master, 4096)
        except OSError:
            return b""   # the agent has not opened the slave yet, or closed it

    def _run(self):
        while not self._stop.is_set():
            try:
                self._pump(self.master, lambda b: os.write(self.master, b))
            except OSError:
                self._stop.wait(0.05)

    def stop(self):
        super().stop()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class TcpLine(_Served):
    """A TCP server on loopback: the agent opens ``socket://127.0.0.1:port``."""

    def __init__(self, responder, clock, baud=2400, pacing=True, echo=False, host="127.0.0.1", port=0):
        super().__init__(LineEngine(responder, baud, pacing, echo), clock)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, port))
        self.server.listen(1)
        self.host, self.port = self.server.getsockname()
        self.conn = None

    @property
    def url(self):
        return "socket://%s:%d" % (self.host, self.port)

    def _read(self):
        try:
            data = self.conn.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.conn.close()
            self.conn = None
            self.engine.clear_output()
            return None
        return data

    def _run(self):
        while not self._stop.is_set():
            if self.conn is None:
                ready, _, _ = select.select([self.server], [], [], 0.2)
                if ready:
                    self.conn, _ = self.server.accept()
                    self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                continue
            try:
                self._pump(self.conn, self.conn.sendall)
            except OSError:
                self.conn = None

    def stop(self):
        super().stop()
        for s in (self.conn, self.server):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


class InProcessLine:
    """The drivers' transport interface over a LineEngine, on any clock."""

    def __init__(self, responder, clock, baud=2400, pacing=True, echo=False, name="inproc"):
        self.engine = LineEngine(responder, baud, pacing, echo)
        self.clock = clock
        self.url = "inproc://%s" % name
        self.is_open = False
        self.down = False      # a bus outage: nothing gets through

    def open(self):
        self.is_open = True

    def close(self):
        self.is_open = False

    def write(self, data):
        if not self.down:
            self.engine.arrive(bytes(data), self.clock.monotonic())

    def read(self, max_bytes, timeout):
        deadline = self.clock.monotonic() + max(0.0, timeout)
        while True:
            now = self.clock.monotonic()
            chunk = self.engine.due(now)
            if chunk:
                return chunk[:max_bytes] if len(chunk) <= max_bytes else self._keep(chunk, max_bytes, now)
            nxt = self.engine.next_due()
            if now >= deadline:
                return b""
            # everything already on its way arrives together: no need to
            # wake up byte by byte when the whole reply lands before the deadline
            last = self.engine.last_due()
            target = last if last is not None and last <= deadline else (nxt if nxt is not None else deadline)
            self.clock.sleep(max(0.0, min(target, deadline) - now))

    def _keep(self, chunk, max_bytes, now):
        with self.engine.lock:
            self.engine.out.insert(0, (now, chunk[max_bytes:]))
        return chunk[:max_bytes]

    def flush_input(self):
        self.engine.due(self.clock.monotonic())
