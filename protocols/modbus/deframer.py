"""Modbus RTU: frame (ADU) codec, stream deframer, register value conversion.

Standards: MODBUS Application Protocol Specification V1.1b3 (function codes,
their PDUs and quantity limits: clauses 6.1-6.4, 6.5, 6.6, 6.11, 6.12, 6.17;
exception codes: clause 7) and MODBUS over Serial Line Specification and
Implementation Guide V1.02 (RTU framing, addresses, CRC: clauses 2.2, 2.5.1,
6.2.2).  spec/protocols.md section 6 agrees with both on everything used here.

ADU (one RTU frame), 5-256 bytes, every multi-byte field big endian except CRC:

    byte 0      address    0 = broadcast (write functions only, never a reply),
                           1-247 = slave, 248-255 reserved (rejected)
    byte 1      function   01 02 03 04 05 06 0F 10 17, or function|80H (exception)
    byte 2..    data       0-252 bytes, laid out per function (below)
    last 2      CRC        CRC-16/MODBUS over bytes 0..n-3, LOW byte first;
                           01 03 00 00 00 01 -> 84 0A

Data field per function, offsets from byte 2 (S = start, N = count, B = byte count):

    01/02 request  S(2) N(2)                        N 1-2000
          reply    B(1) bits(B)                     bit 0 of the first byte = first bit
    03/04 request  S(2) N(2)                        N 1-125
          reply    B(1) registers(B)                B = 2N, even, 2-250
    05    both     S(2) value(2)                    FF00H on, 0000H off; reply = echo
    06    both     S(2) value(2)                    reply = echo
    0F    request  S(2) N(2) B(1) bits(B)           N 1-1968 (7B0H), B = ceil(N/8)
          reply    S(2) N(2)
    10    request  S(2) N(2) B(1) registers(B)      N 1-123 (7BH), B = 2N
          reply    S(2) N(2)
    17    request  readS(2) readN(2) writeS(2) writeN(2) B(1) registers(B)
                                                    readN 1-125, writeN 1-121 (79H)
          reply    B(1) registers(B)
    80H|f reply    exception code(1)                ADU always 5 bytes

A bare RTU frame does not say whether it is a request or a reply (RTU frames
are delimited by line silence, which a byte stream has lost).  ``decode``
tries both readings allowed by ``direction``; a reading must fit the length
rules and the quantity limits above.  When both fit (05/06, whose reply echoes
the request; a 01/02 request whose start address happens to begin with 03H;
rarely 17H) it reports ``kind = "request"`` and ``alternative = "reply"``.

This module holds the stream deframer.  The rest of the package:
``frame`` (function and exception tables, ``Frame``, ``decode``), ``build``
(request and reply builders, ``encode``), ``values`` (16-bit registers <->
exact ``Num`` for the integer and IEEE 754 types, either word order) and
``profiles`` (the register maps of real meters).
"""

from protocols.core.checksum import crc16_modbus
from protocols.core.deframer import NEED_MORE, Deframer as _BaseDeframer
from protocols.core.errors import (BadValueError, CodecError, LengthError, UnknownIdentifierError,
                                   byte_hex, hex_of)
from protocols.modbus.frame import (DIRECTIONS, FUNCTION_ROWS, MAX_ADU, MAX_SLAVE, READ_SHAPES,
                                    crc_error, interpret)

# byte count rules a frame header must meet: (smallest, largest, must be even)
_REQUEST_BC = {"write_coils": (1, 246, False), "write_registers": (2, 246, True),
               "read_write": (2, 242, True)}
_REPLY_BC = {"read_bits": (1, 250, False), "read_registers": (2, 250, True),
             "read_write": (2, 250, True)}


def _bc_ok(bc, rule):
    return rule[0] <= bc <= rule[1] and not (rule[2] and bc & 1)


def _candidate_lengths(buf, i, avail, direction):
    """The lengths a frame at ``buf[i]`` could have (shortest first), or None
    while the header is incomplete.  Raises when it cannot start a frame."""
    address, fc = buf[i], buf[i + 1]
    if fc & 0x80:
        if (fc & 0x7F) in FUNCTION_ROWS and direction != "request" and address:
            return (5,)
        raise UnknownIdentifierError("not an exception reply we know", offset=1,
                                     got=byte_hex(fc))
    row = FUNCTION_ROWS.get(fc)
    if row is None:
        raise UnknownIdentifierError("unknown function code", offset=1, got=byte_hex(fc))
    shape = row[2]
    if address == 0 and (shape in READ_SHAPES or direction == "reply"):
        raise BadValueError("broadcast (address 0) is only for write requests", offset=0,
                            expected="slave 1-247", got=0)
    out = []
    if direction != "reply":
        rule = _REQUEST_BC.get(shape)
        if rule is None:
            out.append(8)
        else:
            head = 11 if shape == "read_write" else 7
            if avail < head:
                return None
            if _bc_ok(buf[i + head - 1], rule):
                out.append(head + buf[i + head - 1] + 2)
    if direction != "request" and address != 0:
        rule = _REPLY_BC.get(shape)
        if rule is None:
            out.append(8)
        else:
            if avail < 3:
                return None
            if _bc_ok(buf[i + 2], rule):
                out.append(buf[i + 2] + 5)
    if not out:
        raise LengthError("no request or reply of function %s fits here" % byte_hex(fc),
                          offset=0, got=hex_of(buf[i:i + 11]))
    out.sort()
    return out


class Deframer(_BaseDeframer):
    """Cuts RTU frames out of a byte stream that has lost the line's silences.

    Every byte is a possible frame start.  A position whose address and
    function are plausible gives one or two candidate lengths (request and
    reply rules); the shortest complete candidate whose CRC is right and whose
    content decodes is a frame.  A candidate that is not complete yet is kept
    while later positions are still searched, so noise that looks like the
    start of a long frame cannot hide a good frame behind it (hunting), and a
    rejected position is never tried again.  The buffer starts at the
    earliest undecided candidate, always less than ``MAX_FRAME`` bytes back.
    ``skipped`` counts bytes dropped, ``rejected`` the dropped candidates
    whose header was plausible but whose CRC or content failed (positions
    inside a frame that came out are not counted).  ``last_error`` explains
    the earliest bytes dropped since the last frame; ``need_more()`` is False
    once bytes have been dropped for a reason, so that ``common.frames_in``
    reports that reason rather than "incomplete".  ``direction`` ("request"
    for a slave, "reply" for a master, None for a bus monitor) narrows the
    candidates and so the chance of a false frame in noise.
    """

    START = b""                     # no start byte: every position is tried
    MAX_FRAME = MAX_ADU

    def __init__(self, direction=None):
        if direction not in DIRECTIONS:
            raise ValueError("direction must be 'request', 'reply' or None")
        super().__init__()
        self.direction = direction
        self._clear()

    def _clear(self):
        self._pend = []             # (offset, bytes needed) of undecided candidates
        self._errs = []             # (offset, error, full candidate) of rejected positions
        self._scanned = 0           # offsets below this were tried already
        self._dropped = None        # why bytes were dropped since the last frame

    def reset(self):
        super().reset()
        self._clear()

    def need_more(self):
        """True while the buffered bytes are the beginning of a frame."""
        return len(self._buf) > 0 and self._dropped is None

    def check(self, buf, i):
        size, err, _, _ = self._check(buf, i)
        if err is not None:
            raise err
        return size

    def _check(self, buf, i):
        """(length or NEED_MORE, error or None, whether a full candidate
        failed, buffer length worth waiting for before trying again)."""
        avail = len(buf) - i
        if avail < 2:
            if avail and buf[i] > MAX_SLAVE:
                return 0, BadValueError("reserved slave address", offset=0,
                                        expected="0 (broadcast) or 1-247", got=buf[i]), False, 0
            return NEED_MORE, None, False, i + 2
        try:
            if buf[i] > MAX_SLAVE:
                raise BadValueError("reserved slave address", offset=0,
                                    expected="0 (broadcast) or 1-247", got=buf[i])
            lengths = _candidate_lengths(buf, i, avail, self.direction)
        except CodecError as e:
            return 0, e, False, 0
        if lengths is None:
            return NEED_MORE, None, False, len(buf) + 1
        err = None
        for size in lengths:
            if size > avail:
                return NEED_MORE, None, False, i + size
            cand = buf[i:i + size]
            if crc16_modbus(cand) != 0:
                err = crc_error(cand)
                continue
            try:
                interpret(cand, self.direction)
                return size, None, False, 0
            except CodecError as e:
                err = e
        return 0, err, True, 0

    def _drop(self, errs, limit):
        """Bytes below ``limit`` are dropped: count their rejected candidates
        and keep the earliest error as the reason."""
        if not limit or not errs:
            return
        best = None
        for q, err, full in errs:
            if q < limit:
                if full:
                    self.rejected += 1
                if best is None or q < best[0]:
                    best = (q, err)
        if best is not None and self._dropped is None:
            self._dropped = self.last_error = best[1]

    def feed(self, data):
        buf = self._buf + bytes(data) if self._buf else bytes(data)
        n = len(buf)
        out = []
        pend, errs, pos, start = self._pend, self._errs, self._scanned, 0
        while True:
            found = None
            waiting = []
            for p, need in pend + [(q, 0) for q in range(pos, n)]:
                if n < need:                    # nothing new for this candidate yet
                    waiting.append((p, need))
                    continue
                size, err, full, need = self._check(buf, p)
                if err is not None:
                    if full or self._dropped is None:   # else nobody asks about it
                        errs.append((p, err, full))
                elif size:
                    found = (p, size)
                    break
                else:
                    waiting.append((p, need))
            if found is None:
                pend = waiting
                pos = n
                break
            p, size = found
            self._drop(errs, p)
            self._dropped = None
            out.append(buf[p:p + size])
            self.frames += 1
            self.skipped += p - start
            start = p + size
            pend = [w for w in pend if w[0] >= start]
            errs = [e for e in errs if e[0] >= start]
            pos = max(pos, start)
        keep = pend[0][0] if pend else n
        self._drop(errs, keep)
        self.skipped += keep - start
        if keep:
            buf = buf[keep:]
            pend = [(q - keep, need - keep) for q, need in pend]
            errs = [(e[0] - keep, e[1], e[2]) for e in errs if e[0] >= keep]
        self._buf, self._pend, self._errs, self._scanned = buf, pend, errs, pos - keep
        return out


def addressee(frame):
    """The slave id a request names ("1"), or None for the broadcast id 0."""
    if not frame or frame[0] == 0:
        return None
    return str(frame[0])
