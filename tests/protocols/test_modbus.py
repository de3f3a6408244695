"""Modbus RTU codec: golden vectors, readings of ambiguous frames, builders, errors, deframer."""

import pytest

from protocols.modbus import build as modbus_build
from protocols.modbus import deframer as modbus_deframer
from protocols.modbus import frame as modbus_frame
from protocols.modbus import values as modbus_values
from protocols import registry
from protocols.core.checksum import crc16_modbus
from protocols.core.deframer import frames_in
from protocols.core.errors import (BadValueError, ChecksumError, CodecError, LengthError,
                                   TruncatedError, UnknownIdentifierError)
from protocols.core.num import Num
from tests.corpus import own_vectors

VECTORS = own_vectors("modbus")
GOOD = [v for v in VECTORS if v["expect"].get("valid", True)]
BAD = [v for v in VECTORS if not v["expect"].get("valid", True)]
EXTRA_KEYS = ("float32", "noise_bytes")

REQ = bytes.fromhex("01 03 00 00 00 01 84 0A")
REPLY = bytes.fromhex("11 03 06 AE 41 56 52 43 40 49 AD")


def bitwise_crc(data):
    # independent of common.CRC16_TABLE: the bit-serial definition
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def test_spec_crc_checks():
    for body, wire in (("01 03 00 00 00 01", "84 0A"), ("11 03 00 6B 00 03", "76 87")):
        crc = crc16_modbus(bytes.fromhex(body))
        assert bytes((crc & 0xFF, crc >> 8)) == bytes.fromhex(wire)
        assert bitwise_crc(bytes.fromhex(body)) == crc
        assert crc16_modbus(bytes.fromhex(body + wire)) == 0


def test_vectors_present():
    assert len(GOOD) >= 20 and len(BAD) >= 4
    kinds = set((v["expect"]["function"], v["expect"]["kind"]) for v in GOOD)
    for fc in (1, 2, 3, 4, 15, 16, 23):
        assert (fc, "request") in kinds and (fc, "reply") in kinds, fc
    assert (5, "request") in kinds and (6, "request") in kinds
    assert any(k == "exception" for _, k in kinds)


@pytest.mark.parametrize("vec", GOOD, ids=[v["name"] for v in GOOD])
def test_golden_vector(vec):
    data = vec["bytes"]
    assert bitwise_crc(data[vec["expect"].get("noise_bytes", 0):]) == 0
    results = registry.decode_bytes("modbus", data)
    assert len(results) == 1
    want = dict((k, v) for k, v in vec["expect"].items() if k not in EXTRA_KEYS)
    assert results[0] == want
    frame = data[vec["expect"].get("noise_bytes", 0):]
    assert modbus_build.encode(modbus_frame.decode(frame)) == frame
    if "float32" in vec["expect"]:
        value = modbus_values.registers_to_value(results[0]["registers"], "float32")
        assert str(value) == vec["expect"]["float32"]


@pytest.mark.parametrize("vec", BAD, ids=[v["name"] for v in BAD])
def test_negative_vector(vec):
    for attempt in (lambda: modbus_frame.decode(vec["bytes"]),
                    lambda: registry.decode_bytes("modbus", vec["bytes"])):
        with pytest.raises(CodecError) as info:
            attempt()
        assert type(info.value).__name__ == vec["expect"]["error"]


def test_error_messages_carry_offset_and_expectation():
    with pytest.raises(ChecksumError) as info:
        modbus_frame.decode(REQ[:-1] + b"\x0B")
    assert info.value.offset == 6 and info.value.expected == "84 0A" and info.value.got == "84 0B"
    with pytest.raises(BadValueError) as info:
        modbus_frame.decode(modbus_build.adu(0xF8, b"\x03\x00\x00\x00\x01"))
    assert info.value.offset == 0 and "248" in str(info.value)
    with pytest.raises(LengthError) as info:
        modbus_frame.decode(modbus_build.adu(1, bytes.fromhex("03 04 00 01")))
    assert info.value.offset == 2
    with pytest.raises(TruncatedError):
        modbus_frame.decode(b"\x01\x03")
    with pytest.raises(LengthError):
        modbus_frame.decode(bytes(300))


def test_direction_argument_forces_a_reading():
    echo = bytes.fromhex("11 06 00 01 00 03 9A 9B")
    assert modbus_frame.decode_dict(echo)["alternative"] == "reply"
    as_reply = modbus_frame.decode_dict(echo, "reply")
    assert as_reply["kind"] == "reply" and "alternative" not in as_reply
    with pytest.raises(LengthError):
        modbus_frame.decode(REQ, "reply")            # byte count 00 cannot be a reply
    with pytest.raises(LengthError):
        modbus_frame.decode(REPLY, "request")
    with pytest.raises(BadValueError):
        modbus_frame.decode(bytes.fromhex("01 83 02 C0 F1"), "request")
    with pytest.raises(ValueError):
        modbus_frame.decode(REQ, "sideways")


def test_ambiguous_read_coils_frame_reads_both_ways():
    # start 0300H count 0010H is also a 3-byte coil reply: report request + alternative
    frame = modbus_build.read_request(5, 1, 0x0300, 0x10)
    d = modbus_frame.decode_dict(frame)
    assert (d["kind"], d["start"], d["count"], d["alternative"]) == ("request", 0x300, 16, "reply")
    r = modbus_frame.decode_dict(frame, "reply")
    assert r["byte_count"] == 3 and r["bits"][:8] == [False] * 8


def test_exception_with_unknown_code_keeps_the_code():
    d = modbus_frame.decode_dict(modbus_build.exception_reply(7, 0x10, 0x07))
    assert (d["kind"], d["function"], d["exception_code"], d["exception_name"]) == (
        "exception", 16, 7, None)
    with pytest.raises(UnknownIdentifierError):
        modbus_frame.decode(modbus_build.adu(1, b"\x88\x01"))    # exception to diagnostics: not ours


def test_builders_make_the_documented_bytes():
    assert modbus_build.read_request(1, 3, 0, 1) == REQ
    assert modbus_build.read_request(0x11, 1, 0x13, 0x25).hex() == "110100130025" + "0e84"
    assert modbus_build.write_coil_request(0x11, 0xAC, True).hex() == "110500acff004e8b"
    assert modbus_build.write_register_request(0x11, 1, 3).hex() == "1106000100039a9b"
    assert modbus_build.write_coils_request(0x11, 0x13, [1, 0, 1, 1, 0, 0, 1, 1, 1, 0]).hex() == (
        "110f0013000a02cd01bf0b")
    assert modbus_build.write_registers_request(0x11, 1, [10, 258]).hex() == "11100001000204000a0102c6f0"
    assert modbus_build.read_write_request(1, 3, 6, 14, [255] * 3).hex() == (
        "011700030006000e00030600ff00ff00ff4691")
    assert modbus_build.registers_reply(0x11, 3, [0xAE41, 0x5652, 0x4340]) == REPLY
    assert modbus_build.bits_reply(0x11, 2, [0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1,
                                       1, 0, 1, 0, 1, 1]).hex() == "110203acdb352018"
    assert modbus_build.write_reply(0x11, 0x10, 1, 2).hex() == "1110000100021298"
    assert modbus_build.exception_reply(10, 1, 2).hex() == "0a8102b053"


@pytest.mark.parametrize("call", [
    lambda: modbus_build.read_request(1, 3, 0, 126),
    lambda: modbus_build.read_request(1, 3, 0, 0),
    lambda: modbus_build.read_request(0, 3, 0, 1),           # no broadcast reads
    lambda: modbus_build.read_request(248, 3, 0, 1),
    lambda: modbus_build.read_request(1, 6, 0, 1),           # not a read function
    lambda: modbus_build.read_request(1, 1, 0, 2001),
    lambda: modbus_build.write_registers_request(1, 0, [0] * 124),
    lambda: modbus_build.write_registers_request(1, 0, [70000]),
    lambda: modbus_build.write_register_request(1, 0x10000, 0),
    lambda: modbus_build.write_coils_request(1, 0, [1] * 1969),
    lambda: modbus_build.read_write_request(1, 0, 1, 0, [0] * 122),
    lambda: modbus_build.registers_reply(0, 3, [1]),
    lambda: modbus_build.exception_reply(1, 3, 256),
])
def test_builders_refuse_what_the_standard_forbids(call):
    with pytest.raises(CodecError):
        call()


# ---------------------------------------------------------------- deframer ---

def feed_chunks(data, sizes, direction=None):
    d = modbus_deframer.Deframer(direction)
    out = []
    pos = 0
    for n in sizes:
        out += d.feed(data[pos:pos + n])
        pos += n
    out += d.feed(data[pos:])
    return d, out


@pytest.mark.parametrize("frame", [REQ, REPLY, bytes.fromhex(
    "01 17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF 46 91")])
def test_whole_halves_and_byte_by_byte(frame):
    for sizes in ([len(frame)], [len(frame) // 2], [1] * len(frame)):
        d, out = feed_chunks(frame, sizes)
        assert out == [frame], sizes
        assert not d.need_more() and d.pending() == b"" and d.frames == 1
        assert d.rejected == 0 and d.skipped == 0


def test_noise_before_a_frame():
    noise = bytes.fromhex("FF 00 F9 FE 13")
    d, out = feed_chunks(noise + REPLY, [1] * (len(noise) + len(REPLY)))
    assert out == [REPLY] and d.skipped == len(noise)


def test_noise_that_looks_like_a_long_frame_does_not_hide_a_good_one():
    # "01 03 F0" promises a 245-byte reply; the request right after it must still come out
    d = modbus_deframer.Deframer()
    assert d.feed(b"\x01\x03\xF0" + REQ) == [REQ]
    assert d.pending() == b""


def test_bad_crc_frame_then_good_one():
    bad = REPLY[:-1] + bytes((REPLY[-1] ^ 0xFF,))
    for sizes in ([len(bad) + len(REQ)], [len(bad)], [1] * (len(bad) + len(REQ))):
        d, out = feed_chunks(bad + REQ, sizes)
        assert out == [REQ]
        assert d.rejected >= 1 and isinstance(d.last_error, ChecksumError)


def test_back_to_back_request_and_reply_and_direction():
    stream = REQ + bytes.fromhex("01 03 02 12 34 B5 33") + REQ
    assert modbus_deframer.Deframer().feed(stream) == [REQ, stream[8:15], REQ]
    d = modbus_deframer.Deframer("reply")
    assert d.feed(stream) == [stream[8:15]]
    assert modbus_deframer.Deframer("request").feed(stream) == [REQ, REQ]
    with pytest.raises(ValueError):
        modbus_deframer.Deframer("both")


def test_partial_frame_needs_more_and_reset_forgets_it():
    d = modbus_deframer.Deframer()
    assert d.feed(REPLY[:5]) == [] and d.need_more() and d.pending() == REPLY[:5]
    d.reset()
    assert not d.need_more() and d.pending() == b"" and d.skipped == 5
    assert d.feed(REPLY) == [REPLY]


def test_frames_in_reports_the_reason():
    with pytest.raises(TruncatedError):
        frames_in(modbus_deframer.Deframer(), REPLY[:-1])
    with pytest.raises(ChecksumError):
        frames_in(modbus_deframer.Deframer(), REQ[:-1] + b"\x0B")
    with pytest.raises(BadValueError):
        frames_in(modbus_deframer.Deframer(), modbus_build.adu(0xFA, b"\x03\x00\x10\x00\x10"))


def test_endless_garbage_keeps_the_buffer_bounded():
    import random
    rnd = random.Random(1)
    d = modbus_deframer.Deframer()
    worst = 0
    for _ in range(300):
        d.feed(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 40))))
        worst = max(worst, len(d.pending()))
    assert worst <= modbus_deframer.Deframer.MAX_FRAME
    # garbage built to look like the start of long frames
    d = modbus_deframer.Deframer()
    for _ in range(200):
        d.feed(b"\x01\x10\x00\x00\x00\x7B\xF6")
        assert len(d.pending()) <= d.MAX_FRAME
    assert d.feed(REQ)[-1:] == [REQ]


def test_registry_decodes_several_frames():
    out = registry.decode_bytes("modbus", REQ + REPLY)
    assert [r["kind"] for r in out] == ["request", "reply"]
    assert out[1]["registers"] == [44609, 22098, 17216]


def test_values_reexported():
    assert modbus_values.registers_to_value([0x4366, 0x3333], "float32") == Num(2302, -1)
