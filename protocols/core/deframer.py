"""Cutting frames out of a byte stream: the base deframer every protocol
subclasses, wake-up bytes, and all frames of a captured buffer.

Runs unchanged on CPython 3.10+ and MicroPython 1.27 (docs/micropython.md):
no typing, dataclasses, enum, decimal or __future__ imports.
"""

from protocols.core.errors import (ChecksumError, CodecError, FramingError, TruncatedError,
                                   byte_hex, hex_of)


def skip_wakeup(frame):
    """The index of the first byte after the leading FE wake-up bytes."""
    i = 0
    n = len(frame)
    while i < n and frame[i] == 0xFE:
        i += 1
    return i


NEED_MORE = 0


class Deframer:
    """Cuts complete frames out of a byte stream fed in arbitrary chunks.

    A protocol subclass sets ``START`` (the bytes a frame may begin with) and
    ``MAX_FRAME`` and implements ``check(buf, i)``: given a buffer with a start
    byte at ``i`` it returns the frame's total length when a complete, valid
    frame is there, ``NEED_MORE`` (0) when the bytes so far are a plausible
    beginning, or raises a CodecError when they cannot be a frame.  On such an
    error the deframer counts it, keeps it in ``last_error`` and hunts again
    from the byte after the rejected start byte, so a good frame right after a
    bad one is still found (``last_error`` keeps a checksum error over the
    framing errors of that hunt).  Bytes before a start byte (``FE`` wake-up bytes,
    line noise) are skipped and counted in ``skipped``.  The buffer never holds
    more than ``MAX_FRAME`` bytes: a partial frame can be no longer than that,
    and everything else is dropped as soon as it is seen.
    """

    START = b"\x68"
    MAX_FRAME = 512

    def __init__(self):
        self._buf = b""
        self.skipped = 0
        self.rejected = 0
        self.frames = 0
        self.last_error = None

    def reset(self):
        """Forget any partial frame and the last error (e.g. at the start of a
        new transaction)."""
        self.skipped += len(self._buf)
        self._buf = b""
        self.last_error = None

    def need_more(self):
        """True while a plausible partial frame is buffered."""
        return len(self._buf) > 0

    def pending(self):
        return bytes(self._buf)

    def _next_start(self, buf, i):
        best = -1
        for s in self.START:
            j = buf.find(bytes((s,)), i)
            if j >= 0 and (best < 0 or j < best):
                best = j
        return best

    def feed(self, data):
        """Add bytes; return the list of complete frames now available."""
        buf = self._buf + bytes(data) if self._buf else bytes(data)
        out = []
        i = 0
        n = len(buf)
        while i < n:
            j = self._next_start(buf, i)
            if j < 0:
                self.skipped += n - i
                i = n
                break
            self.skipped += j - i
            i = j
            try:
                length = self.check(buf, i)
            except CodecError as err:
                self.rejected += 1
                # a checksum error says most (the frame was complete); errors
                # from hunting inside the rejected bytes must not hide it
                if not isinstance(self.last_error, ChecksumError) or isinstance(err, ChecksumError):
                    self.last_error = err
                self.skipped += 1
                i += 1
                continue
            if length == NEED_MORE:
                if n - i > self.MAX_FRAME:
                    # cannot happen with a correct check(); guard the bound anyway
                    self.skipped += 1
                    i += 1
                    continue
                break
            out.append(buf[i:i + length])
            self.frames += 1
            i += length
        self._buf = buf[i:] if i < n else b""
        return out

    def check(self, buf, i):
        raise NotImplementedError


def frames_in(deframer, data):
    """All complete frames in ``data``; raises the reason when there is none.

    For decoding one captured frame: leading ``FE`` and noise are skipped, a
    partial frame gives TruncatedError, a rejected one its own error.
    """
    frames = deframer.feed(data)
    if frames:
        return frames
    if deframer.need_more():
        raise TruncatedError("incomplete frame", expected="more bytes",
                             got="%d bytes" % len(deframer.pending()))
    if deframer.last_error is not None:
        raise deframer.last_error
    raise FramingError("no frame start found", expected="start byte " +
                       "/".join(byte_hex(s) for s in deframer.START),
                       got=hex_of(data[:16]) or "nothing")
