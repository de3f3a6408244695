"""A bus port: one half-duplex transaction at a time (principle 4).

``Port.transact`` sends a request and collects the reply through the
protocol's deframer:

* waits out the inter-frame silence since the last activity on the line;
* clears the input, writes the request (its wake-up preamble included);
* with local echo on (two-wire adapters that hear themselves), drops the
  echo of what it sent;
* waits for the first byte up to ``reply_timeout`` after the request has
  left the wire (its bytes take 11 bits each at the line's baud), then
  allows at most ``byte_gap`` between bytes;
* hands complete frames to ``accept``: None takes the frame, a string says
  why it is not ours (a reply from another address) and is counted;
* ends each attempt at the frame deadline whatever arrives: ``reply_timeout``
  plus the wire time of the longest frame (``MAX_FRAME`` bytes) plus one
  ``byte_gap``, or ``frame_deadline`` when set; a line that chatters (a meter
  babbling, a stuck transceiver) then fails with "noise: N bytes without a
  frame within X ms" instead of holding the bus for good; the bytes of
  attempts that gave no frame are counted as ``noise_bytes``;
* retries on no reply or a bad frame up to ``retries`` times;
* broadcasts expect nothing and only wait the silence.

A line that fails (EIO of a USB adapter pulled, a TCP converter gone) is a
port fault: counted (``port_faults``), the transport closed, and reopened by
the next transaction once a backoff has passed (1 s doubling to
``REOPEN_MAX``); until then transactions fail at once with PortClosedError.
``interrupt()`` (the agent stopping) ends the transaction on the wire within
``STOP_SLICE`` seconds with PortStoppedError.

Errors say what happened on the wire: "no reply within 600 ms after 3
retries", "bad checksum at byte 18: expected 8AH, got 8BH", "reply from
address 000000000162".  Counters per port and per meter record every step.
"""

import logging
import threading

from drivers.counters import CounterSet
from drivers.errors import (BadFrameError, NoReplyError, PortClosedError, PortOpenError,
                            PortStoppedError, WrongAddressError)
from protocols.core.errors import ChecksumError, CodecError

BITS_PER_BYTE = 11  # start, 8 data, parity, stop (8E1); 8N2 is 11 too
MAX_FRAME = 300     # bytes: longer than any reply of our protocols (M-Bus long frame: 261)
STOP_SLICE = 0.5    # seconds: how long one read may wait before the stop flag is looked at
REOPEN_MIN = 1.0    # seconds before a failed port is opened again, doubling ...
REOPEN_MAX = 60.0   # ... up to this

log = logging.getLogger(__name__)


class PortSettings:
    """Line and timing settings of one port (protocols.md gives the defaults)."""

    __slots__ = ("baud", "parity", "bytesize", "stopbits", "rs485", "echo", "reply_timeout",
                 "byte_gap", "retries", "silence", "preamble", "frame_deadline")

    def __init__(self, baud=2400, parity="E", bytesize=8, stopbits=1, rs485=None, echo=False,
                 reply_timeout=1.0, byte_gap=0.5, retries=2, silence=0.02, preamble=None,
                 frame_deadline=None):
        self.baud = baud
        self.parity = parity
        self.bytesize = bytesize
        self.stopbits = stopbits
        self.rs485 = rs485
        self.echo = echo
        self.reply_timeout = reply_timeout
        self.byte_gap = byte_gap
        self.retries = retries
        self.silence = silence
        self.preamble = preamble
        self.frame_deadline = frame_deadline

    def wire_time(self, nbytes):
        return nbytes * BITS_PER_BYTE / float(self.baud)

    def frame_time(self, reply_timeout, byte_gap):
        """Seconds after the request has left the wire by which a reply frame
        must be complete: ``frame_deadline``, or the reply timeout plus the
        longest frame's wire time plus one byte gap."""
        if self.frame_deadline is not None:
            return max(float(self.frame_deadline), reply_timeout)
        return reply_timeout + self.wire_time(MAX_FRAME) + byte_gap

    def as_dict(self):
        return dict((k, getattr(self, k)) for k in self.__slots__)


class Exchange:
    """What one transaction gave: the reply frame and how it went."""

    __slots__ = ("frame", "attempts", "elapsed", "trace")

    def __init__(self, frame, attempts, elapsed, trace):
        self.frame = frame
        self.attempts = attempts
        self.elapsed = elapsed
        self.trace = trace


class Port:
    """One owner of one line: transactions, counters, trace."""

    def __init__(self, name, transport, clock, settings=None, trace=None, frame_log=None):
        self.name = name
        self.transport = transport
        self.clock = clock
        self.settings = settings or PortSettings()
        self.counters = CounterSet()
        self.trace = trace          # callable(port, direction, bytes, monotonic) or None
        # callable(port, [(direction, bytes, monotonic)...]) after each transaction
        # and broadcast: the whole exchange at once (the agent's frame log)
        self.frame_log = frame_log
        self.lock = threading.RLock()
        self._last_activity = None
        self._stop = threading.Event()
        self._reopen_at = None        # monotonic time before which a failed port stays shut
        self._backoff = REOPEN_MIN
        self.fault = None             # the last port fault's text while the port is down
        # monotonic time of the last transaction finished (reply or not) or
        # started: the watchdog's "this bus makes progress"
        self.progress = clock.monotonic()

    # ---------------------------------------------------------------- life
    def open(self):
        if self.transport.is_open:
            return
        if self._reopen_at is not None:
            left = self._reopen_at - self.clock.monotonic()
            if left > 0:
                raise PortClosedError("port %s is down (%s): it is opened again in %d s" % (
                    self.name, self.fault, max(1, round(left))), port=self.name,
                    hint="check the cable, the adapter or the converter")
        try:
            self.transport.open()
        except PortOpenError as err:
            self._fault(err)
            raise
        if self._reopen_at is not None:
            self.counters.port.add("reopens")

    def close(self):
        self.transport.close()

    def interrupt(self):
        """Stop: the transaction on the wire ends within ``STOP_SLICE`` (the
        agent is stopping); every later one fails at once."""
        self._stop.set()

    def resume(self):
        """Transactions again after ``interrupt`` (an engine started anew)."""
        self._stop.clear()

    def _fault(self, err):
        """The line failed: count it, close it, reopen later (with backoff)."""
        self.counters.port.add("port_faults")
        self.fault = getattr(err, "message", None) or str(err)
        try:
            self.transport.close()
        except Exception:
            pass                      # it is gone already; closing is only tidying
        self._reopen_at = self.clock.monotonic() + self._backoff
        log.warning("port %s fault: %s; opened again in %d s", self.name, err,
                    round(self._backoff))
        self._backoff = min(REOPEN_MAX, self._backoff * 2)

    def _line_ok(self):
        """A transaction went through the line without a fault: the port is up."""
        self._reopen_at = None
        self._backoff = REOPEN_MIN
        self.fault = None

    # ---------------------------------------------------------------- wire
    def _note(self, direction, data):
        if self.trace is not None and data:
            self.trace(self, direction, data, self.clock.monotonic())

    def _quiet(self):
        if self._last_activity is not None:
            wait = self._last_activity + self.settings.silence - self.clock.monotonic()
            if wait > 0:
                self.clock.sleep(wait)

    def _send(self, request, meter):
        self._quiet()
        self._check_stop()
        self.transport.flush_input()
        self.transport.write(request)
        self._note("tx", request)
        self.counters.add(meter, "bytes_out", len(request))
        sent = self.clock.monotonic()
        self._last_activity = sent + self.settings.wire_time(len(request))
        return sent

    def broadcast(self, request, meter=None):
        """Send a frame that expects no reply (DL/T645 08H/16H to 99..99)."""
        with self.lock:
            self._check_stop()
            self.open()
            try:
                sent = self._send(request, meter)
            except PortClosedError as err:
                self._fault(err)
                self.counters.error(meter, str(err))
                raise
            self.counters.add(meter, "broadcasts")
            if self.frame_log is not None:
                self.frame_log(self, [("tx", request, sent)])
            self._quiet()
            self._line_ok()

    def transact(self, request, deframer, accept=None, meter=None, reply_timeout=None,
                 retries=None, byte_gap=None):
        """Send ``request``, return an Exchange with the accepted reply frame.

        Raises NoReplyError, BadFrameError or WrongAddressError after the last
        retry; PortClosedError if the line itself fails.
        """
        s = self.settings
        timeout = s.reply_timeout if reply_timeout is None else reply_timeout
        tries = 1 + (s.retries if retries is None else retries)
        gap = s.byte_gap if byte_gap is None else byte_gap
        with self.lock:
            self.progress = self.clock.monotonic()
            trace = []
            try:
                self._check_stop()
                try:
                    self.open()
                except PortOpenError as err:
                    self.counters.error(meter, str(err))
                    raise
                except PortClosedError as err:
                    self.counters.error(meter, str(err))
                    raise
                try:
                    ex = self._transact(request, deframer, accept, meter, timeout, tries, gap,
                                        trace)
                except PortStoppedError:
                    raise
                except PortClosedError as err:
                    self._fault(err)
                    self.counters.error(meter, str(err))
                    raise
                except (NoReplyError, BadFrameError, WrongAddressError):
                    self._line_ok()
                    raise
                self._line_ok()
                return ex
            finally:
                self.progress = self.clock.monotonic()
                if self.frame_log is not None and trace:
                    self.frame_log(self, trace)

    def _check_stop(self):
        if self._stop.is_set():
            raise PortStoppedError("port %s is stopping" % self.name, port=self.name)

    def _transact(self, request, deframer, accept, meter, timeout, tries, gap, trace):
        """The attempts of one transaction (``trace`` collects the bytes)."""
        start = self.clock.monotonic()
        outcome = None
        for attempt in range(1, tries + 1):
            if attempt > 1:
                self.counters.add(meter, "retries")
            self.counters.add(meter, "requests")
            outcome = self._attempt(request, deframer, accept, meter, timeout, gap, trace)
            if isinstance(outcome, bytes):
                self.counters.add(meter, "replies")
                self.counters.port.ok(self.clock.time())
                mc = self.counters.meter(meter)
                if mc is not None:
                    mc.ok(self.clock.time())
                return Exchange(outcome, attempt, self.clock.monotonic() - start, trace)
        err = self._failure(outcome, meter, timeout, tries)
        self.counters.error(meter, str(err), err.frame and bytes.fromhex(err.frame))
        raise err

    def _attempt(self, request, deframer, accept, meter, timeout, gap, trace):
        """One request/reply; the reply frame, or a tuple saying what went wrong."""
        deframer.reset()
        sent = self._send(request, meter)
        trace.append(("tx", request, sent))
        echo = request if self.settings.echo else b""
        left_wire = sent + self.settings.wire_time(len(request))
        deadline = left_wire + timeout
        cutoff = left_wire + self.settings.frame_time(timeout, gap)
        received = b""
        wrong = None
        cut = False
        while True:
            self._check_stop()
            now = self.clock.monotonic()
            if now >= deadline:
                break
            if now >= cutoff:
                cut = True
                break
            chunk = self.transport.read(512, min(deadline, cutoff, now + STOP_SLICE) - now)
            if not chunk:
                continue
            now = self.clock.monotonic()
            self._note("rx", chunk)
            trace.append(("rx", chunk, now))
            self.counters.add(meter, "bytes_in", len(chunk))
            if echo:
                k = 0
                while k < len(chunk) and k < len(echo) and chunk[k] == echo[k]:
                    k += 1
                if k == len(chunk) or k == len(echo):
                    echo, chunk = echo[k:], chunk[k:]
                else:
                    echo = b""  # not an echo after all: keep everything
            if not chunk:
                continue
            received += chunk
            self._last_activity = now
            deadline = max(deadline, now + gap)
            for frame in deframer.feed(chunk):
                why = accept(frame) if accept is not None else None
                if why is None:
                    return frame
                wrong = (why, frame)
                self.counters.add(meter, "wrong_address")
        # what went wrong, for the error after the last attempt
        if wrong is not None:
            return ("wrong", wrong[0], wrong[1])
        if received:
            self.counters.add(meter, "noise_bytes", len(received))
        if cut:
            self.counters.add(meter, "frame_deadlines")
            return ("noise", (len(received), cutoff - left_wire), received[-64:])
        if received:
            err = deframer.last_error
            if isinstance(err, ChecksumError):
                self.counters.add(meter, "checksum_errors")
            else:
                self.counters.add(meter, "framing_errors")
            if err is None and deframer.need_more():
                err = CodecError("frame cut short after %d bytes" % len(deframer.pending()))
            return ("bad", err, received)
        self.counters.add(meter, "timeouts")
        return ("silent", None, None)

    def _failure(self, outcome, meter, timeout, tries):
        kind, detail, frame = outcome
        where = dict(port=self.name, meter=meter, frame=frame.hex(" ").upper() if frame else None)
        retries = tries - 1
        if kind == "wrong":
            if detail.startswith("a request on the line"):
                hint = ("the adapter hears its own bytes: set echo = true on the port (--echo "
                        "for probe and scan), or another master polls this bus")
            else:
                hint = "two meters share an address, or the archive has the wrong one: check with scan"
            return WrongAddressError("%s after %d retries" % (detail, retries), hint=hint, **where)
        if kind == "noise":
            nbytes, within = detail
            return BadFrameError("noise: %d bytes without a frame within %d ms (after %d retries)"
                                 % (nbytes, round(within * 1000), retries),
                                 hint="a meter chattering, a stuck transceiver or interference "
                                      "on the bus: disconnect the meters one by one, check the "
                                      "wiring, termination and shield", **where)
        if kind == "bad":
            return BadFrameError("%s (after %d retries)" % (detail or "no valid frame", retries),
                                 hint="noise or a collision on the line: check wiring, "
                                      "termination and that only one master polls", **where)
        return NoReplyError("no reply within %d ms after %d retries" % (round(timeout * 1000), retries),
                            hint="check the address, baud rate/parity, wiring and the meter's power",
                            **where)
