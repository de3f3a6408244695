"""Modbus RTU frame builders: master requests and slave replies.

Every builder checks its arguments against MODBUS Application Protocol
V1.1b3 clause 6 (address 1-247, 0 only for writes; quantities 1-2000 bits,
1-125 registers read, 1-123 written, 1-1968 coils written, 1-121 registers
written by 17H; register values 0-65535) and appends the CRC low byte first::

    read_request(a, fc, start, count)          01/02/03/04 request
    write_coil_request(a, start, on)           05 request = its reply (echo)
    write_register_request(a, start, value)    06 request = its reply (echo)
    write_coils_request(a, start, bits)        0F request
    write_registers_request(a, start, values)  10 request
    read_write_request(a, rs, rn, ws, values)  17 request
    bits_reply(a, fc, bits)                    01/02 reply (padded to bytes)
    registers_reply(a, fc, registers)          03/04/17 reply
    write_reply(a, fc, start, count)           0F/10 reply
    exception_reply(a, fc, code)               fc|80H reply
    encode(frame)                              any decoded Frame back to bytes
"""

import struct

from protocols.core.checksum import crc16_modbus
from protocols.core.errors import BadValueError, UnknownIdentifierError
from protocols.modbus.frame import FUNCTION_ROWS, MAX_SLAVE, RW_WRITE_MAX, check_count

def _u16(value, what):
    if not isinstance(value, int) or value < 0 or value > 0xFFFF:
        raise BadValueError(what + " must be 0-65535", got=repr(value))
    return value


def _slave(address, reply=False):
    if not isinstance(address, int) or address < (1 if reply else 0) or address > MAX_SLAVE:
        raise BadValueError("slave address", expected="1-247" if reply else "0-247",
                            got=repr(address))
    return address


def _pack_registers(values, limit, what="register count"):
    check_count(len(values), limit, None, what)
    for v in values:
        _u16(v, "register value")
    return struct.pack(">%dH" % len(values), *values)


def _pack_bits(bits):
    out = bytearray((len(bits) + 7) // 8)
    for i in range(len(bits)):
        if bits[i]:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def _shape(function, shapes):
    row = FUNCTION_ROWS.get(function)
    if row is None or row[2] not in shapes:
        raise UnknownIdentifierError("function code not allowed here",
                                     expected="/".join(s for s in shapes), got=repr(function))
    return row


def adu(address, pdu):
    """Address + PDU + CRC (low byte first)."""
    body = bytes((address,)) + bytes(pdu)
    crc = crc16_modbus(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def read_request(address, function, start, count):
    """01/02/03/04 request: read ``count`` bits or registers from ``start``."""
    row = _shape(function, ("read_bits", "read_registers"))
    check_count(count, row[3], None)
    return adu(_slave(address, True), struct.pack(">BHH", function, _u16(start, "start"), count))


def write_coil_request(address, start, on):
    """05 request (its reply is the same bytes)."""
    return adu(_slave(address), struct.pack(">BHH", 5, _u16(start, "start"), 0xFF00 if on else 0))


def write_register_request(address, start, value):
    """06 request (its reply is the same bytes)."""
    return adu(_slave(address), struct.pack(">BHH", 6, _u16(start, "start"),
                                            _u16(value, "register value")))


def write_coils_request(address, start, bits):
    check_count(len(bits), 1968, None, "coil count")
    data = _pack_bits(bits)
    return adu(_slave(address), struct.pack(">BHHB", 0x0F, _u16(start, "start"), len(bits),
                                            len(data)) + data)


def write_registers_request(address, start, values):
    data = _pack_registers(values, 123)
    return adu(_slave(address), struct.pack(">BHHB", 0x10, _u16(start, "start"), len(values),
                                            len(data)) + data)


def read_write_request(address, read_start, read_count, write_start, values):
    check_count(read_count, 125, None, "read quantity")
    data = _pack_registers(values, RW_WRITE_MAX, "write quantity")
    return adu(_slave(address, True), struct.pack(
        ">BHHHHB", 0x17, _u16(read_start, "read start"), read_count,
        _u16(write_start, "write start"), len(values), len(data)) + data)


def bits_reply(address, function, bits):
    """01/02 reply; ``bits`` is padded with zeros to whole bytes."""
    _shape(function, ("read_bits",))
    data = _pack_bits(bits)
    check_count(len(data), 250, None, "byte count")
    return adu(_slave(address, True), bytes((function, len(data))) + data)


def registers_reply(address, function, registers):
    """03/04/17 reply carrying ``registers``."""
    _shape(function, ("read_registers", "read_write"))
    data = _pack_registers(registers, 125)
    return adu(_slave(address, True), bytes((function, len(data))) + data)


def write_reply(address, function, start, count):
    """0F/10 reply.  (05/06 replies echo the request: use the request builders.)"""
    row = _shape(function, ("write_coils", "write_registers"))
    check_count(count, row[3], None)
    return adu(_slave(address, True), struct.pack(">BHH", function, _u16(start, "start"), count))


def exception_reply(address, function, code):
    _shape(function & 0x7F, ("read_bits", "read_registers", "write_coil", "write_register",
                             "write_coils", "write_registers", "read_write"))
    if not isinstance(code, int) or code < 0 or code > 0xFF:
        raise BadValueError("exception code must be 0-255", got=repr(code))
    return adu(_slave(address, True), bytes((function | 0x80, code)))


def encode(frame):
    """A Frame (as ``decode`` returns it) back to its bytes."""
    a, fc, f = frame.address, frame.function & 0x7F, frame.fields
    if frame.kind == "exception":
        return exception_reply(a, fc, f["exception_code"])
    shape = _shape(fc, ("read_bits", "read_registers", "write_coil", "write_register",
                        "write_coils", "write_registers", "read_write"))[2]
    if shape == "write_coil":
        return write_coil_request(a, f["start"], f["value"])
    if shape == "write_register":
        return write_register_request(a, f["start"], f["value"])
    if frame.kind == "reply":
        if shape == "read_bits":
            return bits_reply(a, fc, f["bits"])
        if shape in ("read_registers", "read_write"):
            return registers_reply(a, fc, f["registers"])
        return write_reply(a, fc, f["start"], f["count"])
    if shape in ("read_bits", "read_registers"):
        return read_request(a, fc, f["start"], f["count"])
    if shape == "write_coils":
        return write_coils_request(a, f["start"], f["values"])
    if shape == "write_registers":
        return write_registers_request(a, f["start"], f["values"])
    return read_write_request(a, f["read_start"], f["read_count"], f["write_start"], f["values"])
