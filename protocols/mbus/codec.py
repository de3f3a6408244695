"""Wired M-Bus: EN 13757-2 link layer and EN 13757-3 application layer.

Link layer (EN 13757-2:2018 clause 5, the FT1.2 format of IEC 60870-5-1)::

    single character   E5                        ACK
    short frame        10 C A CS 16              CS = (C + A) mod 256
    control frame      68 03 03 68 C A CI CS 16  a long frame without data
    long frame         offset 0    68H
                              1, 2 L, L   bytes C..last data byte, 3..255
                              3    68H
                              4    C       5  A       6  CI
                              7..  data (L - 3 bytes)
                              L+4  CS      sum of bytes 4..L+3 mod 256
                              L+5  16H     (total length L + 6)

    C  bit 6 PRM (1 = from the master); master: bit 5 FCB, bit 4 FCV,
       bits 3..0 function (0 SND_NKE, 3 SND_UD, A REQ_UD1, B REQ_UD2);
       slave: bit 5 ACD, bit 4 DFC, function 8 RSP_UD
    A  primary address: 0 unconfigured, 1..250, 253 (FDH) the slave selected
       by secondary address, 254 all reply, 255 all, no reply

Application layer (EN 13757-3:2013 clause 5, 6 and annex B), by CI::

    72H/76H  long header (12 bytes) + variable data records
    7AH      short header (access number, status, signature) + records
    78H      records only
    73H/77H  fixed data structure (two counters)
    70H      application error: 1 code byte (mbus_tables.APPLICATION_ERRORS),
             none at all = unspecified error
    71H      alarm status
    master:  50H application reset [sub-code], 51H data send (records), 52H
             secondary address selection [+ records], B8H..BFH set baud rate

Modules: mbus_header (headers, fixed structure, selection), mbus_records
(DIF/VIF and records), mbus_values (BCD, dates, LVAR), mbus_tables (code
tables), mbus_encode (request builders and the RSP_UD encoder).  CI 76H/77H
are "mode 2", most significant byte first; we read their header that way too
[unverified: the only mode 2 vector, from pyMeterBus, fixes record values].
A control frame with a CI that needs data (72H, 76H, 7AH, 73H, 77H) is a
valid frame whose application part is not decoded ({"data": ""}).

``decode_dict`` returns::

    {"frame": "ack" | "short" | "control" | "long",
     "c": "0x08", "a": 8, "function": "RSP_UD" (SND_NKE, SND_UD, REQ_UD1,
     REQ_UD2, ACK, None if unknown), "prm": False, "fcb": None, "fcv": None,
     "acd": False, "dfc": False,      (fcb/fcv for the master, acd/dfc slave)
     "ci": "0x72" (None for ack/short), then by CI:
     "header": {"id": "11490378", "manufacturer": "ACW", "version": 14,
                "medium": 22, "medium_name": "Cold water", "access_no": 10,
                "status": 0, "status_bits": {"application": "ok",
                "power_low": False, "permanent_error": False,
                "temporary_error": False, "manufacturer": 0},
                "signature": "0000", "address": 8},   (absent fields None)
     "records": [record dicts, see mbus_records], "more_records_follow": False,
     "error": {"code": 8, "name": "Application busy"}               (70H),
     "alarm": 5                                                     (71H),
     "request": "snd_nke" | "deselect" | "req_ud1" | "req_ud2" |
                "select_secondary" | "set_primary_address" | "data_send" |
                "application_reset" | "set_baud"           (master frames),
     "selection": {"id": "1234FFFF", "manufacturer": "ACW" | None,
                   "version": 14 | None, "medium": 22 | None},     (52H),
     "new_address": 5, "baud": 2400, "subcode": None, "data": hex}

Where we follow the standard rather than the corpus (libmbus, pyMeterBus):
see mbus_records (BCD error digits, invalid dates, VIFE scaling), mbus_header
(fixed structure unit 3EH) and mbus_values (century of dates, LVAR F0H..FAH
is binary, not the floating point spec/protocols.md 5.8 suggests).
"""

from protocols.core.deframer import NEED_MORE, Deframer as _Base
from protocols.core.errors import (ChecksumError, FramingError, LengthError, TruncatedError,
                                   byte_hex, hex_of)
from protocols.mbus.header import fixed_structure, selection, variable_header
from protocols.mbus.records import parse_records
from protocols.mbus.tables import BAUD_OF_CI, C_FUNCTION_NAMES, ERROR_NAMES
from protocols.mbus.encode import (ack, application_error, application_reset, deselect,
                                   encode_long, encode_record, encode_rsp_ud, encode_short,
                                   manufacturer_code, req_ud1, req_ud2, select_secondary, set_baud,
                                   set_primary_address, snd_nke, snd_ud)

__all__ = ("Deframer", "Frame", "decode", "decode_dict", "parse_frame", "ack",
           "application_error", "application_reset", "deselect", "encode_long",
           "encode_record", "encode_rsp_ud", "encode_short", "manufacturer_code",
           "req_ud1", "req_ud2", "select_secondary", "set_baud", "set_primary_address",
           "snd_nke", "snd_ud")

ADDRESS_NETWORK = 0xFD
ADDRESS_BROADCAST_REPLY = 0xFE
ADDRESS_BROADCAST = 0xFF
KINDS = ("ack", "short", "control", "long")
# CIs whose telegram cannot be empty: a control frame with them is not decoded
_NEEDS_DATA = (0x72, 0x76, 0x7A, 0x73, 0x77)


class Deframer(_Base):
    """Cuts E5 / short / control / long frames out of an M-Bus byte stream.

    A lone E5 is an ACK wherever it appears outside a frame: the single
    character cannot be told from line noise of the same value (EN 13757-2
    leaves that to timing), so a caller expecting an ACK should look for it
    and nothing else."""

    START = b"\xE5\x10\x68"
    MAX_FRAME = 261

    def check(self, buf, i):
        b = buf[i]
        n = len(buf) - i
        if b == 0xE5:
            return 1
        if b == 0x10:
            if n < 5:
                return NEED_MORE
            _check_short(buf, i)
            return 5
        if n < 4:
            return NEED_MORE
        length = _check_head(buf, i)
        if n < length + 6:
            return NEED_MORE
        _check_tail(buf, i, length)
        return length + 6


def _check_short(buf, i):
    if buf[i + 4] != 0x16:
        raise FramingError("short frame without stop byte", offset=4, expected="16H",
                           got=byte_hex(buf[i + 4]))
    cs = (buf[i + 1] + buf[i + 2]) & 0xFF
    if buf[i + 3] != cs:
        raise ChecksumError("short frame checksum", offset=3, expected=byte_hex(cs),
                            got=byte_hex(buf[i + 3]))


def _check_head(buf, i):
    length = buf[i + 1]
    if buf[i + 2] != length:
        raise LengthError("the two L fields differ", offset=2, expected=byte_hex(length),
                          got=byte_hex(buf[i + 2]))
    if buf[i + 3] != 0x68:
        raise FramingError("no second start byte", offset=3, expected="68H",
                           got=byte_hex(buf[i + 3]))
    if length < 3:
        raise LengthError("L is too small for C, A and CI", offset=1, expected=">= 3",
                          got=str(length))
    return length


def _check_tail(buf, i, length):
    end = i + 4 + length
    cs = sum(buf[i + 4:end]) & 0xFF
    if buf[end] != cs:
        raise ChecksumError("long frame checksum", offset=4 + length, expected=byte_hex(cs),
                            got=byte_hex(buf[end]))
    if buf[end + 1] != 0x16:
        raise FramingError("long frame without stop byte", offset=5 + length,
                           expected="16H", got=byte_hex(buf[end + 1]))


class Frame:
    """One link-layer frame.  ``data`` is the user data after the CI field
    (bytes, empty for ack/short/control frames); ``app`` the decoded
    application layer (a dict, see the module docstring) once ``decode`` ran."""

    __slots__ = ("kind", "c", "a", "ci", "data", "raw", "app")

    def __init__(self, kind, c=None, a=None, ci=None, data=b"", raw=b""):
        self.kind = kind
        self.c = c
        self.a = a
        self.ci = ci
        self.data = data
        self.raw = raw
        self.app = None

    @property
    def prm(self):
        return None if self.c is None else bool(self.c & 0x40)

    @property
    def fcb(self):
        return bool(self.c & 0x20) if self.c is not None and self.c & 0x40 else None

    @property
    def fcv(self):
        return bool(self.c & 0x10) if self.c is not None and self.c & 0x40 else None

    @property
    def acd(self):
        return bool(self.c & 0x20) if self.c is not None and not self.c & 0x40 else None

    @property
    def dfc(self):
        return bool(self.c & 0x10) if self.c is not None and not self.c & 0x40 else None

    @property
    def function(self):
        if self.kind == "ack":
            return "ACK"
        return C_FUNCTION_NAMES.get(self.c & 0x4F)

    def as_dict(self):
        c = self.c
        if c is None:
            chex, fn, prm, fcb, fcv, acd, dfc = _ACK_LINK
        else:
            chex, fn, prm, fcb, fcv, acd, dfc = _LINK[c]
        out = {"frame": self.kind, "c": chex, "a": self.a, "function": fn, "prm": prm,
               "fcb": fcb, "fcv": fcv, "acd": acd, "dfc": dfc,
               "ci": None if self.ci is None else _HEX[self.ci]}
        if self.app:
            out.update(self.app)
        return out

    def __repr__(self):
        return "Frame(%s c=%s a=%s ci=%s data=%s)" % (self.kind, self.c, self.a, self.ci,
                                                      self.data.hex().upper())


_HEX = tuple("0x%02X" % c for c in range(256))
_ACK_LINK = (None, "ACK", None, None, None, None, None)


def _link(c):
    """The dict fields a C byte decides: hex, function, prm, fcb, fcv, acd, dfc."""
    f = Frame("short", c)
    return (_HEX[c], f.function, f.prm, f.fcb, f.fcv, f.acd, f.dfc)


_LINK = tuple(_link(c) for c in range(256))


def parse_frame(frame):
    """A complete frame (exactly one, as the Deframer hands it out) to a
    Frame, link layer only; raises a CodecError if it is not a valid frame."""
    frame = bytes(frame)
    n = len(frame)
    if n == 0:
        raise TruncatedError("empty frame", offset=0, expected="E5H, 10H or 68H")
    b = frame[0]
    if b == 0xE5:
        if n != 1:
            raise LengthError("bytes after a single character", offset=1, expected="nothing",
                              got=hex_of(frame[1:9]))
        return Frame("ack", raw=frame)
    if b == 0x10:
        if n < 5:
            raise TruncatedError("short frame", offset=n, expected="5 bytes", got=str(n))
        _check_short(frame, 0)
        if n != 5:
            raise LengthError("bytes after a short frame", offset=5, expected="nothing",
                              got=hex_of(frame[5:13]))
        return Frame("short", frame[1], frame[2], raw=frame)
    if b != 0x68:
        raise FramingError("no start byte", offset=0, expected="E5H, 10H or 68H",
                           got=byte_hex(b))
    if n < 4:
        raise TruncatedError("frame header", offset=n, expected="4 bytes", got=str(n))
    length = _check_head(frame, 0)
    if n < length + 6:
        raise TruncatedError("long frame shorter than its L field", offset=n,
                             expected="%d bytes" % (length + 6), got=str(n))
    _check_tail(frame, 0, length)
    if n != length + 6:
        raise LengthError("bytes after the stop byte", offset=length + 6, expected="nothing",
                          got=hex_of(frame[length + 6:length + 14]))
    kind = "control" if length == 3 else "long"
    return Frame(kind, frame[4], frame[5], frame[6], frame[7:n - 2], frame)


def decode(frame, medium=None):
    """A complete frame to a Frame with its application layer decoded in
    ``app``.  ``medium`` names the meter's medium for telegrams without a
    long header (CI 78H/7AH), so that energy and power get a quantity."""
    f = parse_frame(frame)
    if f.kind == "control" and f.ci in _NEEDS_DATA:
        # a control frame carries a CI and nothing else: no header to read
        f.app = {"data": ""}
    elif f.ci is not None:
        f.app = _application(f, medium)
    elif f.kind == "short":
        fn = f.c & 0x4F
        if fn == 0x40:
            f.app = {"request": "deselect" if f.a == ADDRESS_NETWORK else "snd_nke"}
        elif fn == 0x4B:
            f.app = {"request": "req_ud2"}
        elif fn == 0x4A:
            f.app = {"request": "req_ud1"}
    return f


def decode_dict(frame, medium=None):
    """One complete frame as a plain dict (see the module docstring)."""
    return decode(frame, medium).as_dict()


def _application(f, medium):
    ci = f.ci
    raw = f.raw
    end = len(raw) - 2
    if ci == 0x72 or ci == 0x7A or ci == 0x78 or ci == 0x76:
        big = ci == 0x76
        header, i = variable_header(raw, 7, ci, f.a, big)
        if header["medium"] is not None:
            medium = header["medium"]
        records, more = parse_records(raw, i, end, medium, big, 0)
        return {"header": header, "records": records, "more_records_follow": more}
    if ci == 0x73 or ci == 0x77:
        return fixed_structure(raw, f.a, ci == 0x77)
    if ci == 0x70:
        code = raw[7] if end > 7 else None
        out = {"error": {"code": code, "name": ERROR_NAMES.get(code if code is not None else 0,
                                                               "Reserved")}}
        if end > 8:
            out["data"] = raw[8:end].hex().upper()
        return out
    if ci == 0x71:
        return {"alarm": raw[7] if end > 7 else None, "data": raw[8:end].hex().upper()}
    if ci == 0x51:
        records, more = parse_records(raw, 7, end, medium, False, 0)
        out = {"request": "data_send", "records": records, "more_records_follow": more}
        if len(records) == 1 and records[0]["vif"] == "7A" and records[0]["value"] is not None:
            out["request"] = "set_primary_address"
            out["new_address"] = records[0]["value"].m
        return out
    if ci == 0x52:
        return selection(raw, end)
    if ci == 0x50:
        return {"request": "application_reset",
                "subcode": raw[7] if end > 7 else None}
    baud = BAUD_OF_CI.get(ci)
    if baud is not None:
        return {"request": "set_baud", "baud": baud}
    return {"data": raw[7:end].hex().upper()}


def addressee(frame):
    """The primary address a short or long frame names ("5"), or None for
    the network/broadcast addresses 251..255 (secondary selection)."""
    if frame[:1] == b"\x10" and len(frame) > 2:
        a = frame[2]
    elif frame[:1] == b"\x68" and len(frame) > 5:
        a = frame[5]
    else:
        return None
    return None if a >= 251 else str(a)
