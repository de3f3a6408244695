"""Q/GDW 1376.2-2013: concentrator <-> local communication module (PLC, HPLC, micro-power radio).

Frame (Q/GDW 1376.2-2013 clause 5.2; data units in ``gdw1376_2_units``)::

    0        68H        start (no second 68H, no FE preamble)
    1..2     L          total frame length, 68H to 16H inclusive, little endian
    3        C          D7 DIR (0 down: concentrator -> module, 1 up), D6 PRM
                        (1 = starts an exchange), D5..D0 communication mode
                        (1 narrowband PLC central routing, 2 distributed, 3 HPLC,
                        10 micro-power wireless, 20 Ethernet)
    4..9     R1..R6     information field (clause 5.3.3.1):
                 down:  R1 D0 routing (1 = no routing), D1 attached node,
                        D2 communication-module flag (A field present),
                        D3 conflict detection, D7..D4 relay level;
                        R2 D3..D0 channel, D7..D4 error-correction code;
                        R3 expected reply bytes; R4 R5 rate D14..D0, D15 unit
                        (0 bit/s, 1 kbit/s); R6 frame sequence number
                 up:    R1 D0 routing, D2 module flag, D7..D4 relay level;
                        R2 D3..D0 channel (D7..D4 reserved); R3 D3..D0
                        measured phase (0 unknown, 1..3), D7..D4 meter channel
                        feature; R4 D3..D0 last-hop command signal quality,
                        D7..D4 last-hop reply signal quality; R5 D0 event
                        flag; R6 sequence number
    10..     A          only when R1 D2 = 1: source (6), relay level x relay
                        address (6 each), destination (6); each low byte first
    ..       AFN        application function code
    ..       DT1 DT2    Fn = DT2 * 8 + (bit number of the one bit set in DT1) + 1
    ..       data unit  per AFN/Fn and direction
    L-2      CS         sum of C and all user data (R, A, AFN, DT, data) mod 256
    L-1      16H        end

Where we differ from ``spec/protocols.md``: uplink R2 D7..D4 is reserved, the
measured phase is R3 D3..D0 with the meter channel feature in R3 D7..D4, and R4
holds both signal qualities (the spec puts the phase in R2 and reads R3/R4 as the
quality nibbles).  That is the 2013 standard's table as public module and
concentrator implementations code it (several independent C sources agree).
The meter frames carried by AFN 02H, 05H F3, 06H, 13H and 14H stay bytes
(``fields["inner_frame"]``, hex in ``decode_dict``): another layer decodes them.
Named builders for both sides are in ``gdw1376_2_build``; ``build`` here makes
any frame.  The deframer accepts L from 15 (the smallest frame: no A field, no
data) to 2048 (MAX_FRAME: far above the 255-byte meter frames a data unit can
carry, and the buffer bound).
"""

from protocols.core.bcd import digits_to_le
from protocols.core.checksum import sum8
from protocols.core.deframer import NEED_MORE, Deframer as _Base, skip_wakeup
from protocols.core.errors import (BadValueError, ChecksumError, FramingError, LengthError,
                                   TruncatedError, UnknownIdentifierError, byte_hex)
from protocols.gdw1376_2.units import decode_unit, encode_layout, unit

COMM_MODES = (
    (1, "narrowband PLC, centralised routing"),
    (2, "narrowband PLC, distributed routing"),
    (3, "broadband PLC (HPLC)"),
    (10, "micro-power wireless"),
    (20, "Ethernet"),
)
_COMM_MODES = dict(COMM_MODES)
MIN_FRAME = 15
MAX_FRAME = 2048
RADIO = 10
_BIT = dict((1 << k, k) for k in range(8))
# AFNs a concentrator sends as answers (PRM 0) and a module sends as requests (PRM 1)
ANSWER_AFNS_DOWN = (0x00, 0x14)
REQUEST_AFNS_UP = (0x06, 0x14)


class Deframer(_Base):
    """Q/GDW1376.2 frames out of a byte stream; L is the total length."""

    START = b"\x68"
    MAX_FRAME = MAX_FRAME

    def check(self, buf, i):
        if len(buf) - i < 3:
            return NEED_MORE
        total = buf[i + 1] | (buf[i + 2] << 8)
        if total < MIN_FRAME or total > MAX_FRAME:
            raise LengthError("Q/GDW1376.2 length out of range", offset=1,
                              expected="%d..%d" % (MIN_FRAME, MAX_FRAME), got=str(total))
        if len(buf) - i < total:
            # a stray 68H would hold a real frame back until L bytes arrive
            j = buf.find(b"\x68", i + 1)
            while j >= 0:
                if _complete(buf, j):
                    raise FramingError("Q/GDW1376.2 false start: a complete frame follows",
                                       offset=0, expected="frame", got="68H at +%d" % (j - i))
                j = buf.find(b"\x68", j + 1)
            return NEED_MORE
        if buf[i + total - 1] != 0x16:
            raise FramingError("Q/GDW1376.2 end byte missing", offset=total - 1,
                               expected="16H", got=byte_hex(buf[i + total - 1]))
        cs = sum8(buf, i + 3, i + total - 2)
        if buf[i + total - 2] != cs:
            raise ChecksumError("Q/GDW1376.2 checksum mismatch", offset=total - 2,
                                expected=byte_hex(cs), got=byte_hex(buf[i + total - 2]))
        return total


def _complete(buf, j):
    if len(buf) - j < MIN_FRAME:
        return False
    total = buf[j + 1] | (buf[j + 2] << 8)
    return (MIN_FRAME <= total <= len(buf) - j and buf[j + total - 1] == 0x16 and
            buf[j + total - 2] == sum8(buf, j + 3, j + total - 2))


def fn_to_dt(fn):
    if not 1 <= fn <= 248:
        raise BadValueError("Fn is 1..248", got=str(fn))
    return bytes((1 << ((fn - 1) % 8), (fn - 1) // 8))


def dt_to_fn(dt1, dt2, offset=None):
    """Fn = DT2 * 8 + (bit number of the single bit set in DT1) + 1."""
    bit = _BIT.get(dt1)
    if bit is None:
        raise BadValueError("DT1 must have exactly one bit set", offset=offset,
                            expected="01H, 02H, 04H .. 80H", got=byte_hex(dt1))
    return dt2 * 8 + bit + 1


class Frame:
    """One frame: control, 6 raw R bytes, addresses (None without A field), AFN, Fn, data."""

    __slots__ = ("control", "info", "src", "relays", "dst", "afn", "fn", "data")

    def __init__(self, control, info, src, relays, dst, afn, fn, data=b""):
        self.control = control
        self.info = bytes(info)
        self.src = src
        self.relays = relays
        self.dst = dst
        self.afn = afn
        self.fn = fn
        self.data = data

    @property
    def up(self):
        return bool(self.control & 0x80)

    @property
    def prm(self):
        return (self.control >> 6) & 1

    @property
    def comm_mode(self):
        return self.control & 0x3F

    @property
    def seq(self):
        return self.info[5]

    def address_bytes(self):
        r1 = self.info[0]
        if not r1 & 4:
            if self.src is not None or self.dst is not None:
                raise BadValueError("addresses given but R1 D2 (module flag) is 0")
            return b""
        if self.src is None or self.dst is None or len(self.relays) != r1 >> 4:
            raise BadValueError("R1 D2 = 1 needs source, destination and R1 relay level "
                                "relay addresses")
        parts = [digits_to_le(self.src, 6)]
        for a in self.relays:
            parts.append(digits_to_le(a, 6))
        parts.append(digits_to_le(self.dst, 6))
        return b"".join(parts)

    def encode(self):
        if len(self.info) != 6:
            raise BadValueError("R is 6 bytes", got=str(len(self.info)))
        user = (bytes((self.control,)) + self.info + self.address_bytes() +
                bytes((self.afn,)) + fn_to_dt(self.fn) + bytes(self.data))
        total = len(user) + 5
        if total > MAX_FRAME:
            raise LengthError("Q/GDW1376.2 frame too long", expected="<= %d" % MAX_FRAME,
                              got=str(total))
        return b"\x68" + total.to_bytes(2, "little") + user + bytes((sum8(user), 0x16))

    def __eq__(self, other):
        return isinstance(other, Frame) and self.encode() == other.encode()

    def __repr__(self):
        return "Frame(C=%02X, AFN=%02X, F%d, %s)" % (self.control, self.afn, self.fn,
                                                     bytes(self.data).hex())


def _addr(raw):
    return bytes(reversed(raw)).hex().upper()


def decode(frame):
    """One complete frame to a Frame: checks L, end byte, CS, the A field and DT."""
    i = skip_wakeup(frame)
    n = len(frame)
    n -= i
    if n < 3:
        raise TruncatedError("Q/GDW1376.2 frame shorter than its length field", offset=n,
                             expected="at least %d bytes" % MIN_FRAME, got="%d" % n)
    if frame[i] != 0x68:
        raise FramingError("Q/GDW1376.2 start byte missing", offset=0, expected="68H",
                           got=byte_hex(frame[i]))
    total = frame[i + 1] | (frame[i + 2] << 8)
    if total < MIN_FRAME or total > MAX_FRAME:
        raise LengthError("Q/GDW1376.2 length out of range", offset=1,
                          expected="%d..%d" % (MIN_FRAME, MAX_FRAME), got=str(total))
    if n < total:
        raise TruncatedError("Q/GDW1376.2 frame ends early", offset=n,
                             expected="%d bytes (L)" % total, got="%d" % n)
    if n > total:
        raise LengthError("bytes after the Q/GDW1376.2 end byte", offset=total,
                          expected="%d bytes (L)" % total, got="%d" % n)
    if frame[i + total - 1] != 0x16:
        raise FramingError("Q/GDW1376.2 end byte missing", offset=total - 1, expected="16H",
                           got=byte_hex(frame[i + total - 1]))
    cs = sum8(frame, i + 3, i + total - 2)
    if frame[i + total - 2] != cs:
        raise ChecksumError("Q/GDW1376.2 checksum mismatch", offset=total - 2,
                            expected=byte_hex(cs), got=byte_hex(frame[i + total - 2]))
    info = bytes(frame[i + 4:i + 10])
    p = 10
    src = dst = None
    relays = []
    end = total - 2
    if info[0] & 4:
        level = info[0] >> 4
        if p + 12 + 6 * level + 3 > end:
            raise LengthError("Q/GDW1376.2 address field does not fit the frame", offset=p,
                              expected="%d address bytes + AFN DT" % (12 + 6 * level),
                              got="%d bytes" % (end - p))
        src = _addr(frame[i + p:i + p + 6])
        for k in range(level):
            q = i + p + 6 + 6 * k
            relays.append(_addr(frame[q:q + 6]))
        p += 6 + 6 * level
        dst = _addr(frame[i + p:i + p + 6])
        p += 6
    fn = dt_to_fn(frame[i + p + 1], frame[i + p + 2], p + 1)
    return Frame(frame[i + 3], info, src, relays, dst, frame[i + p], fn,
                 bytes(frame[i + p + 3:i + end]))


def data_offset(f):
    """Offset of the data unit in the frame (for error messages)."""
    return 13 + (12 + 6 * (f.info[0] >> 4) if f.info[0] & 4 else 0)


def parse(f):
    """The data unit of a Frame as a dict (inner meter frames as bytes)."""
    row = unit(f.afn, f.fn)
    layout = None if row is None else row[4 if f.up else 3]
    if layout is None:
        raise UnknownIdentifierError("Q/GDW1376.2 AFN/Fn not in the table for this direction",
                                     offset=data_offset(f) - 3,
                                     expected="a known AFN/Fn",
                                     got="AFN %02XH F%d %s" % (f.afn, f.fn,
                                                              "up" if f.up else "down"))
    return decode_unit(layout, f.data, data_offset(f))


def info_dict(info, up):
    """The R field as named parts (the keyword arguments ``build`` takes)."""
    r1 = info[0]
    if up:
        return {"routing": r1 & 1, "module": (r1 >> 2) & 1, "relay_level": r1 >> 4,
                "channel": info[1] & 15, "measured_phase": info[2] & 15,
                "meter_channel": info[2] >> 4, "cmd_quality": info[3] & 15,
                "reply_quality": info[3] >> 4, "event": info[4] & 1, "seq": info[5]}
    r45 = info[3] | (info[4] << 8)
    return {"routing": r1 & 1, "attached_node": (r1 >> 1) & 1, "module": (r1 >> 2) & 1,
            "conflict_detect": (r1 >> 3) & 1, "relay_level": r1 >> 4,
            "channel": info[1] & 15, "ecc": info[1] >> 4, "expected_reply_bytes": info[2],
            "rate": r45 & 0x7FFF, "rate_unit": "kbps" if r45 & 0x8000 else "bps",
            "seq": info[5]}


def decode_dict(frame):
    """One complete frame to a plain dict (see docs/codecs.md)."""
    f = decode(frame)
    up = f.up
    mode = f.control & 0x3F
    i = skip_wakeup(frame)
    out = {
        "length": len(frame) - i,
        "control": "0x%02X" % f.control,
        "dir": "up" if up else "down",
        "prm": f.prm,
        "comm_mode": mode,
        "comm_mode_meaning": _COMM_MODES.get(mode, "reserved"),
        "info_R": f.info.hex().upper(),
        "info": info_dict(f.info, up),
        "seq": f.info[5],
        "afn": "0x%02X" % f.afn,
        "fn": f.fn,
        "dt": fn_to_dt(f.fn).hex().upper(),
        "data": f.data.hex().upper(),
        "checksum": "0x%02X" % frame[-2],
    }
    if f.src is not None:
        out["src_address"] = f.src
        out["relay_addresses"] = f.relays
        out["dst_address"] = f.dst
    row = unit(f.afn, f.fn)
    out["function"] = row[2] if row else None
    fields = parse(f)
    if "inner_frame" in fields:
        fields["inner_frame"] = fields["inner_frame"].hex().upper()
    out["fields"] = fields
    return out


# ----------------------------------------------------------- builders ---

def _nibble(v, name, bits=4):
    if not isinstance(v, int) or v < 0 or v >> bits:
        raise BadValueError("%s must fit %d bit(s)" % (name, bits), got=repr(v))
    return v


def info_bytes(up, seq=0, module=0, relay_level=0, routing=0, attached_node=0,
               conflict_detect=0, channel=0, ecc=0, expected_reply_bytes=0, rate=0,
               rate_unit="bps", measured_phase=0, meter_channel=0, cmd_quality=0, reply_quality=0,
               event=0):
    """The 6 R bytes from named parts (downlink or uplink meaning)."""
    r1 = (_nibble(routing, "routing", 1) | (_nibble(module, "module", 1) << 2) |
          (_nibble(relay_level, "relay_level") << 4))
    if up:
        return bytes((r1, _nibble(channel, "channel"),
                      _nibble(measured_phase, "measured_phase") |
                      (_nibble(meter_channel, "meter_channel") << 4),
                      _nibble(cmd_quality, "cmd_quality") |
                      (_nibble(reply_quality, "reply_quality") << 4),
                      _nibble(event, "event", 1), _nibble(seq, "seq", 8)))
    r1 |= (_nibble(attached_node, "attached_node", 1) << 1) | (
        _nibble(conflict_detect, "conflict_detect", 1) << 3)
    r45 = _nibble(rate, "rate", 15) | (0x8000 if rate_unit == "kbps" else 0)
    return bytes((r1, _nibble(channel, "channel") | (_nibble(ecc, "ecc") << 4),
                  _nibble(expected_reply_bytes, "expected_reply_bytes", 8),
                  r45 & 0xFF, r45 >> 8, _nibble(seq, "seq", 8)))


def build(afn, fn, fields=None, up=False, prm=None, comm_mode=RADIO, seq=0, src=None,
          relays=(), dst=None, data=None, **info):
    """Any frame, either direction: the data unit from ``fields`` (the keys of
    ``decode_dict(...)["fields"]``) or raw ``data``; R parts as keywords
    (``info_dict`` names); the A field when ``src``/``dst`` are given.  PRM
    defaults to 1 for a frame that starts an exchange (every downlink AFN but
    00H and 14H; uplink 06H and 14H)."""
    row = unit(afn, fn)
    layout = None if row is None else row[4 if up else 3]
    if layout is None:
        raise UnknownIdentifierError("Q/GDW1376.2 AFN/Fn not in the table for this direction",
                                     got="AFN %02XH F%d %s" % (afn, fn, "up" if up else "down"))
    if data is None:
        data = encode_layout(layout, fields or {})
    if prm is None:
        prm = afn in REQUEST_AFNS_UP if up else afn not in ANSWER_AFNS_DOWN
    control = (0x80 if up else 0) | (0x40 if prm else 0) | _nibble(comm_mode, "comm_mode", 6)
    info.pop("module", None)
    info.pop("relay_level", None)
    addressed = src is not None or dst is not None
    r = info_bytes(up, seq, 1 if addressed else 0, len(relays), **info)
    return Frame(control, r, src, list(relays), dst, afn, fn, data).encode()
