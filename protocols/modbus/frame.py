"""Modbus RTU frames: function and exception tables, the Frame object, decode.

The ADU layout, per function, is drawn in ``protocols/modbus.py`` (the module
the registry loads); this file holds the tables of MODBUS Application
Protocol V1.1b3 clause 6 (function codes and quantity limits) and clause 7
(exception codes), and turns one complete frame into a ``Frame``: address,
function, kind ("request", "reply" or "exception"), fields, CRC, and the
other reading when a frame fits both (05/06 echoes, rare 01/02 and 17H).
"""

import struct

from protocols.core.checksum import crc16_modbus
from protocols.core.errors import (BadValueError, ChecksumError, CodecError, LengthError,
                                   TruncatedError, UnknownIdentifierError, byte_hex)

MAX_ADU = 256
MAX_SLAVE = 247

# (code, name, PDU shape, largest quantity a request may carry)
FUNCTIONS = (
    (0x01, "read_coils", "read_bits", 2000),
    (0x02, "read_discrete_inputs", "read_bits", 2000),
    (0x03, "read_holding_registers", "read_registers", 125),
    (0x04, "read_input_registers", "read_registers", 125),
    (0x05, "write_single_coil", "write_coil", 1),
    (0x06, "write_single_register", "write_register", 1),
    (0x0F, "write_multiple_coils", "write_coils", 1968),
    (0x10, "write_multiple_registers", "write_registers", 123),
    (0x17, "read_write_multiple_registers", "read_write", 125),
)
RW_WRITE_MAX = 121          # 17H: write quantity 1-121 (V1.1b3 6.17)

# exception codes, V1.1b3 clause 7
EXCEPTIONS = (
    (0x01, "illegal_function"),
    (0x02, "illegal_data_address"),
    (0x03, "illegal_data_value"),
    (0x04, "server_device_failure"),
    (0x05, "acknowledge"),
    (0x06, "server_device_busy"),
    (0x08, "memory_parity_error"),
    (0x0A, "gateway_path_unavailable"),
    (0x0B, "gateway_target_device_failed_to_respond"),
)

FUNCTION_ROWS = dict((row[0], row) for row in FUNCTIONS)
_EXC = dict(EXCEPTIONS)
READ_SHAPES = ("read_bits", "read_registers", "read_write")
DIRECTIONS = (None, "request", "reply")


def function_name(code):
    row = FUNCTION_ROWS.get(code)
    return row[1] if row else None


def exception_name(code):
    return _EXC.get(code)


class ExceptionReplyError(CodecError):
    """The meter answered with an exception reply (function|80H, code)."""

    def __init__(self, function, code):
        super().__init__("meter replied with exception %02XH (%s) to function %02XH"
                         % (code, _EXC.get(code) or "unknown code", function), offset=2)
        self.function = function
        self.code = code


class Frame:
    """One decoded ADU: who, which function, request/reply/exception, fields."""

    __slots__ = ("address", "function", "kind", "fields", "crc", "alternative")

    def __init__(self, address, function, kind, fields, crc=None, alternative=None):
        self.address = address
        self.function = function
        self.kind = kind
        self.fields = fields
        self.crc = crc
        self.alternative = alternative

    def as_dict(self):
        base = self.function & 0x7F
        d = {"address": self.address, "function": base,
             "function_name": function_name(base), "kind": self.kind,
             "crc": None if self.crc is None else "0x%04X" % self.crc}
        for k in self.fields:
            v = self.fields[k]
            d[k] = list(v) if isinstance(v, (list, tuple)) else v
        if self.alternative:
            d["alternative"] = self.alternative
        return d


# ------------------------------------------------------------ decoding ---

def _registers(data):
    return list(struct.unpack(">%dH" % (len(data) // 2), data))


def _bits(data, n):
    return [bool((data[i >> 3] >> (i & 7)) & 1) for i in range(n)]


def check_count(value, limit, offset, what="quantity"):
    if value < 1 or value > limit:
        raise BadValueError(what + " out of range", offset=offset,
                            expected="1-%d" % limit, got=value)


def _length(frame, want, kind):
    if len(frame) != want:
        raise LengthError("%s is %d bytes" % (kind, want), offset=0,
                          expected="%d bytes" % want, got="%d bytes" % len(frame))


def _parse_request(frame, shape, limit):
    n = len(frame)
    if shape in ("read_bits", "read_registers", "write_coil", "write_register"):
        _length(frame, 8, "this request")
        start, value = struct.unpack_from(">HH", frame, 2)
        if shape == "write_register":
            return {"start": start, "value": value}
        if shape == "write_coil":
            if value not in (0xFF00, 0):
                raise BadValueError("coil value", offset=4, expected="FF00H (on) or 0000H (off)",
                                    got="%04XH" % value)
            return {"start": start, "value": value == 0xFF00}
        check_count(value, limit, 4)
        return {"start": start, "count": value}
    head = 11 if shape == "read_write" else 7
    if n < head + 2:
        raise TruncatedError("request shorter than its header", offset=n,
                             expected="at least %d bytes" % (head + 2), got="%d bytes" % n)
    if shape == "read_write":
        rs, rc, ws, wc = struct.unpack_from(">HHHH", frame, 2)
        check_count(rc, limit, 4, "read quantity")
        check_count(wc, RW_WRITE_MAX, 8, "write quantity")
        count = wc
    else:
        start, count = struct.unpack_from(">HH", frame, 2)
        check_count(count, limit, 4)
    bc = frame[head - 1]
    want = (count + 7) // 8 if shape == "write_coils" else 2 * count
    if bc != want:
        raise LengthError("byte count disagrees with quantity", offset=head - 1,
                          expected=want, got=bc)
    _length(frame, head + bc + 2, "a request with byte count %d" % bc)
    data = frame[head:head + bc]
    if shape == "read_write":
        return {"read_start": rs, "read_count": rc, "write_start": ws, "write_count": wc,
                "byte_count": bc, "values": _registers(data)}
    values = _bits(data, count) if shape == "write_coils" else _registers(data)
    return {"start": start, "count": count, "byte_count": bc, "values": values}


def _parse_reply(frame, shape, limit):
    n = len(frame)
    if frame[0] == 0:
        raise BadValueError("a broadcast (address 0) gets no reply", offset=0,
                            expected="reply from slave 1-247", got=0)
    if shape in ("write_coil", "write_register"):
        return _parse_request(frame, shape, limit)      # the reply echoes the request
    if shape in ("write_coils", "write_registers"):
        _length(frame, 8, "this reply")
        start, count = struct.unpack_from(">HH", frame, 2)
        check_count(count, limit, 4)
        return {"start": start, "count": count}
    bc = frame[2]
    if n != bc + 5:
        raise LengthError("byte count disagrees with frame length", offset=2,
                          expected=n - 5, got=bc)
    if shape == "read_bits":
        if bc < 1 or bc > 250:
            raise LengthError("byte count out of range", offset=2, expected="1-250", got=bc)
        return {"byte_count": bc, "bits": _bits(frame[3:3 + bc], 8 * bc)}
    if bc < 2 or bc > 250 or bc & 1:
        raise LengthError("register byte count", offset=2, expected="even, 2-250", got=bc)
    return {"byte_count": bc, "registers": _registers(frame[3:3 + bc])}


def interpret(frame, direction):
    """Frame (CRC already checked) -> (kind, fields, alternative)."""
    address, fc = frame[0], frame[1]
    if fc & 0x80:
        if (fc & 0x7F) not in FUNCTION_ROWS:
            raise UnknownIdentifierError("exception reply to an unknown function", offset=1,
                                         expected="81H-86H, 8FH, 90H, 97H", got=byte_hex(fc))
        if direction == "request":
            raise BadValueError("function with bit 7 set is an exception reply", offset=1,
                                expected="a request function code", got=byte_hex(fc))
        if address == 0:
            raise BadValueError("a broadcast (address 0) gets no reply", offset=0,
                                expected="reply from slave 1-247", got=0)
        _length(frame, 5, "an exception reply")
        code = frame[2]
        return "exception", {"exception_code": code, "exception_name": _EXC.get(code)}, None
    row = FUNCTION_ROWS.get(fc)
    if row is None:
        raise UnknownIdentifierError("unknown function code", offset=1,
                                     expected="01-06, 0FH, 10H, 17H or an exception",
                                     got=byte_hex(fc))
    shape, limit = row[2], row[3]
    found = []
    errors = []
    for kind in (("request", "reply") if direction is None else (direction,)):
        try:
            if kind == "request":
                if address == 0 and shape in READ_SHAPES:
                    raise BadValueError("broadcast (address 0) is only for write functions",
                                        offset=0, expected="slave 1-247", got=0)
                found.append((kind, _parse_request(frame, shape, limit)))
            else:
                found.append((kind, _parse_reply(frame, shape, limit)))
        except CodecError as err:
            errors.append(err)
    if not found:
        # the reading that got furthest explains best what is wrong
        best = errors[0]
        for err in errors[1:]:
            if (not isinstance(err, LengthError), err.offset or 0) > (
                    not isinstance(best, LengthError), best.offset or 0):
                best = err
        raise best
    return found[0][0], found[0][1], (found[1][0] if len(found) > 1 else None)


def crc_error(frame):
    good = crc16_modbus(frame[:-2])
    return ChecksumError("CRC-16/MODBUS mismatch", offset=len(frame) - 2,
                         expected="%02X %02X" % (good & 0xFF, good >> 8),
                         got="%02X %02X" % (frame[-2], frame[-1]))


def decode(frame, direction=None):
    """One complete RTU frame to a Frame; ``direction`` "request", "reply" or None."""
    if direction not in DIRECTIONS:
        raise ValueError("direction must be 'request', 'reply' or None")
    frame = bytes(frame)
    n = len(frame)
    if n < 5:
        raise TruncatedError("Modbus RTU frame too short", offset=n,
                             expected="at least 5 bytes", got="%d bytes" % n)
    if n > MAX_ADU:
        raise LengthError("longer than the largest RTU frame", offset=MAX_ADU,
                          expected="at most %d bytes" % MAX_ADU, got="%d bytes" % n)
    if frame[0] > MAX_SLAVE:
        raise BadValueError("reserved slave address", offset=0,
                            expected="0 (broadcast) or 1-247", got=frame[0])
    crc = frame[-2] | (frame[-1] << 8)
    if crc16_modbus(frame) != 0:
        raise crc_error(frame)
    kind, fields, alternative = interpret(frame, direction)
    return Frame(frame[0], frame[1], kind, fields, crc, alternative)


def decode_dict(frame, direction=None):
    return decode(frame, direction).as_dict()
