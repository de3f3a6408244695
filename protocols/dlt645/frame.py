"""DL/T 645 link layer, shared by the 2007 and 1997 editions.

Frame (DL/T 645-2007 clause 4.1; identical in DL/T 645-1997)::

    FE .. FE   wake-up bytes, any number, not part of the frame or checksum
    0      68H     start
    1..6   A0..A5  address, packed BCD, A0 (two lowest digits) first;
                   AAH = wildcard digit pair, 999999999999 = broadcast
    7      68H     second start
    8      C       control: D7 direction (1 = from meter), D6 error reply,
                   D5 follow-up frames exist, D4..D0 function
    9      L       data length (0..255 here; the standard keeps reads <= 200)
    10..   DATA    L bytes, every byte +33H on the wire (clause 4.2.5)
    10+L   CS      sum of bytes 0..9+L mod 256 (scrambled data as sent)
    11+L   16H     end

Addresses are printed as on the nameplate, most significant digits first:
wire ``61 01 00 00 00 00`` is meter ``000000000161``.  A byte of an address
must be BCD or AAH (wildcard); anything else is rejected (a frame with 3AH
in its address is corrupt, not a meter).
"""

from protocols.core.bcd import add33, sub33
from protocols.core.checksum import sum8
from protocols.core.deframer import NEED_MORE, Deframer as _Base, skip_wakeup
from protocols.core.errors import (BadValueError, ChecksumError, FramingError, LengthError,
                                   TruncatedError, byte_hex)

BROADCAST = "999999999999"
WILDCARD = "AAAAAAAAAAAA"
WAKE_UP = b"\xFE\xFE\xFE\xFE"


class Deframer(_Base):
    """DL/T645 frames out of a byte stream (both editions)."""

    START = b"\x68"
    MAX_FRAME = 12 + 255

    def check(self, buf, i):
        n = len(buf) - i
        if n >= 8 and buf[i + 7] != 0x68:
            raise FramingError("DL/T645 second start byte missing", offset=7,
                               expected="68H", got=byte_hex(buf[i + 7]))
        if n < 10:
            return NEED_MORE
        total = 12 + buf[i + 9]
        if n < total:
            return NEED_MORE
        cs = sum8(buf, i, i + total - 2)
        if buf[i + total - 2] != cs:
            raise ChecksumError("DL/T645 checksum mismatch", offset=total - 2,
                                expected=byte_hex(cs), got=byte_hex(buf[i + total - 2]))
        if buf[i + total - 1] != 0x16:
            raise FramingError("DL/T645 end byte missing", offset=total - 1,
                               expected="16H", got=byte_hex(buf[i + total - 1]))
        return total


def _address_text(raw, offset):
    text = bytes(reversed(raw)).hex().upper()
    if text.isdigit():
        return text
    for k in range(6):
        b = raw[k]
        if b != 0xAA and ((b >> 4) > 9 or (b & 15) > 9):
            raise BadValueError("DL/T645 address byte is neither BCD nor the AAH wildcard",
                                offset=offset + k, expected="BCD or AAH", got=byte_hex(b))
    return text


def address_bytes(address):
    """Nameplate digits (up to 12, 'A' for wildcard digits) to the 6 wire bytes."""
    s = str(address).strip().upper()
    if len(s) > 12 or not s:
        raise BadValueError("a DL/T645 address has 1 to 12 digits", got=repr(address))
    s = "0" * (12 - len(s)) + s
    for c in s:
        if c not in "0123456789A":
            raise BadValueError("a DL/T645 address is decimal digits (or A for wildcard)",
                                got=repr(address))
    raw = bytes.fromhex(s)
    for b in raw:
        if b != 0xAA and ((b >> 4) > 9 or (b & 15) > 9):
            raise BadValueError("wildcard digits come in AA pairs", got=repr(address))
    return bytes(reversed(raw))


class Frame:
    """One DL/T645 frame: address (nameplate digits), control code, data.

    ``data`` is the data field with the +33H removed (what the standard's
    tables describe); ``encode`` adds it back.
    """

    __slots__ = ("address", "control", "data")

    def __init__(self, address, control, data=b""):
        self.address = address
        self.control = control
        self.data = data

    @property
    def function(self):
        return self.control & 0x1F

    @property
    def from_meter(self):
        return bool(self.control & 0x80)

    @property
    def is_error(self):
        return bool(self.control & 0x40)

    @property
    def more(self):
        return bool(self.control & 0x20)

    @property
    def broadcast(self):
        return self.address == BROADCAST

    def encode(self, wake_up=WAKE_UP):
        if len(self.data) > 255:
            raise LengthError("DL/T645 data field longer than 255 bytes",
                              got="%d bytes" % len(self.data))
        body = (b"\x68" + address_bytes(self.address) + b"\x68" +
                bytes((self.control, len(self.data))) + add33(self.data))
        return wake_up + body + bytes((sum8(body), 0x16))

    def __eq__(self, other):
        return (isinstance(other, Frame) and self.address == other.address and
                self.control == other.control and bytes(self.data) == bytes(other.data))

    def __repr__(self):
        return "Frame(%r, 0x%02X, %r)" % (self.address, self.control, bytes(self.data).hex())


def decode_frame(frame):
    """Bytes of one complete frame (leading FE allowed) to a Frame."""
    i = skip_wakeup(frame)
    n = len(frame)
    if n - i < 12:
        raise TruncatedError("DL/T645 frame shorter than 12 bytes", offset=n - i,
                             expected="at least 12 bytes", got="%d" % (n - i))
    if frame[i] != 0x68:
        raise FramingError("DL/T645 start byte missing", offset=0, expected="68H",
                           got=byte_hex(frame[i]))
    if frame[i + 7] != 0x68:
        raise FramingError("DL/T645 second start byte missing", offset=7, expected="68H",
                           got=byte_hex(frame[i + 7]))
    length = frame[i + 9]
    total = 12 + length
    if n - i < total:
        raise TruncatedError("DL/T645 frame ends early", offset=n - i,
                             expected="%d bytes for L=%d" % (total, length), got="%d" % (n - i))
    if n - i > total:
        raise LengthError("bytes after the DL/T645 end byte", offset=total,
                          expected="%d bytes for L=%d" % (total, length), got="%d" % (n - i))
    cs = sum8(frame, i, i + total - 2)
    if frame[i + total - 2] != cs:
        raise ChecksumError("DL/T645 checksum mismatch", offset=total - 2,
                            expected=byte_hex(cs), got=byte_hex(frame[i + total - 2]))
    if frame[i + total - 1] != 0x16:
        raise FramingError("DL/T645 end byte missing", offset=total - 1, expected="16H",
                           got=byte_hex(frame[i + total - 1]))
    address = _address_text(frame[i + 1:i + 7], 1)
    return Frame(address, frame[i + 8], sub33(frame[i + 10:i + 10 + length]))


def error_bits(word, names):
    """Names of the set bits of an error word, lowest bit first."""
    return [names[b] for b in range(8) if word & (1 << b) and names[b]]


def addressee(frame):
    """The one meter address a request frame names, or None for a wildcard
    (AAH digits) or the broadcast address (the simulator's bus uses it)."""
    if len(frame) < 7:
        return None
    a = bytes(reversed(frame[1:7])).hex().upper()
    return None if "A" in a or a == BROADCAST else a
