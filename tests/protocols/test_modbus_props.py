"""Modbus property tests: every frame type round trips, random bytes only ever
raise CodecError, register values round trip for every data type and word order."""

import struct

from hypothesis import assume, given, settings, strategies as st

from protocols.modbus import build as modbus_build
from protocols.modbus import deframer as modbus_deframer
from protocols.modbus import frame as modbus_frame
from protocols.modbus import values as modbus_values
from protocols.core.errors import BadValueError, CodecError
from protocols.core.num import Num, float_digits

SETTINGS = settings(max_examples=250, deadline=None)

slave = st.integers(1, 247)
u16 = st.integers(0, 0xFFFF)


def regs(lo, hi):
    return st.lists(u16, min_size=lo, max_size=hi)


def bools(lo, hi):
    return st.lists(st.booleans(), min_size=lo, max_size=hi)


# (builder call, direction it is, the fields decode must give back)
FRAMES = st.one_of(
    st.builds(lambda a, f, s, c: (modbus_build.read_request(a, f, s, c), "request",
                                  {"start": s, "count": c}),
              slave, st.sampled_from((1, 2)), u16, st.integers(1, 2000)),
    st.builds(lambda a, f, s, c: (modbus_build.read_request(a, f, s, c), "request",
                                  {"start": s, "count": c}),
              slave, st.sampled_from((3, 4)), u16, st.integers(1, 125)),
    st.builds(lambda a, s, on: (modbus_build.write_coil_request(a, s, on), "request",
                                {"start": s, "value": on}),
              st.integers(0, 247), u16, st.booleans()),
    st.builds(lambda a, s, v: (modbus_build.write_register_request(a, s, v), "request",
                               {"start": s, "value": v}),
              st.integers(0, 247), u16, u16),
    st.builds(lambda a, s, b: (modbus_build.write_coils_request(a, s, b), "request",
                               {"start": s, "count": len(b), "values": b}),
              st.integers(0, 247), u16, bools(1, 1968)),
    st.builds(lambda a, s, r: (modbus_build.write_registers_request(a, s, r), "request",
                               {"start": s, "count": len(r), "values": r}),
              st.integers(0, 247), u16, regs(1, 123)),
    st.builds(lambda a, rs, rc, ws, r: (modbus_build.read_write_request(a, rs, rc, ws, r), "request",
                                        {"read_start": rs, "read_count": rc, "write_start": ws,
                                         "write_count": len(r), "values": r}),
              slave, u16, st.integers(1, 125), u16, regs(1, 121)),
    st.builds(lambda a, f, b: (modbus_build.bits_reply(a, f, b), "reply",
                               {"bits": b + [False] * (-len(b) % 8)}),
              slave, st.sampled_from((1, 2)), bools(1, 2000)),
    st.builds(lambda a, f, r: (modbus_build.registers_reply(a, f, r), "reply", {"registers": r}),
              slave, st.sampled_from((3, 4, 0x17)), regs(1, 125)),
    st.builds(lambda a, f, s, c: (modbus_build.write_reply(a, f, s, c), "reply",
                                  {"start": s, "count": c}),
              slave, st.just(0x10), u16, st.integers(1, 123)),
    st.builds(lambda a, f, s, c: (modbus_build.write_reply(a, f, s, c), "reply",
                                  {"start": s, "count": c}),
              slave, st.just(0x0F), u16, st.integers(1, 1968)),
    st.builds(lambda a, f, c: (modbus_build.exception_reply(a, f, c), "exception",
                               {"exception_code": c}),
              slave, st.sampled_from((1, 2, 3, 4, 5, 6, 0x0F, 0x10, 0x17)), st.integers(0, 255)),
)


@SETTINGS
@given(FRAMES)
def test_every_frame_type_round_trips(case):
    data, kind, fields = case
    direction = "reply" if kind == "exception" else kind
    frame = modbus_frame.decode(data, direction)
    assert frame.kind == kind
    for k in fields:
        assert frame.fields[k] == fields[k], k
    assert modbus_build.encode(frame) == data
    # without a direction the same frame is still found, as this or another reading
    loose = modbus_frame.decode(data)
    assert kind in (loose.kind, loose.alternative)
    assert modbus_build.encode(loose) == data
    # and the deframer cuts it out of a stream, whole and byte by byte
    d = modbus_deframer.Deframer(direction)
    assert d.feed(b"\xff" + data) == [data]
    d = modbus_deframer.Deframer(direction)
    got = []
    for i in range(len(data)):
        got += d.feed(data[i:i + 1])
    assert got == [data] and d.pending() == b""


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.sampled_from((None, "request", "reply")))
def test_random_bytes_into_decode_raise_only_codec_errors(data, direction):
    try:
        modbus_frame.decode_dict(data, direction)
    except CodecError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=2, max_size=250), st.sampled_from((None, "request", "reply")))
def test_random_frames_with_a_good_crc_raise_only_codec_errors(body, direction):
    frame = modbus_build.adu(body[0], body[1:])
    try:
        d = modbus_frame.decode_dict(frame, direction)
    except CodecError:
        return
    assert d["kind"] in ("request", "reply", "exception")
    assert modbus_build.encode(modbus_frame.decode(frame, direction)) == frame


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=12), st.sampled_from((None, "request", "reply")))
def test_random_bytes_into_the_deframer(chunks, direction):
    d = modbus_deframer.Deframer(direction)
    for chunk in chunks:
        for frame in d.feed(chunk):
            modbus_frame.decode(frame, direction)     # whatever it hands out decodes
        assert len(d.pending()) <= modbus_deframer.Deframer.MAX_FRAME
        d.need_more()


@SETTINGS
@given(st.binary(max_size=40), FRAMES, st.integers(1, 7))
def test_frame_after_noise_comes_out(noise, case, chunk):
    data, kind, _ = case
    direction = "reply" if kind == "exception" else kind
    d = modbus_deframer.Deframer(direction)
    stream = noise + data
    got = []
    for i in range(0, len(stream), chunk):
        got += d.feed(stream[i:i + chunk])
    # noise may itself hold a valid frame (it is random), but ours is the last one out
    assert got and got[-1] == data


# ------------------------------------------------------------ register values ---

INT_TYPES = (("uint16", 16, False), ("int16", 16, True), ("uint32", 32, False),
             ("int32", 32, True), ("uint64", 64, False), ("int64", 64, True))
ORDERS = st.sampled_from(("big", "little"))
SCALES = st.one_of(st.none(), st.integers(-6, 3))


@SETTINGS
@given(st.sampled_from(INT_TYPES), st.data(), ORDERS, SCALES)
def test_integer_registers_round_trip(spec, data, order, scale):
    name, bits, signed = spec
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    raw = data.draw(st.integers(lo, hi))
    value = Num(raw, scale or 0)
    words = modbus_values.value_to_registers(value, name, order, scale)
    assert len(words) == bits // 16 and all(0 <= w <= 0xFFFF for w in words)
    back = modbus_values.registers_to_value(words, name, order, scale)
    assert back == value and back.e == (scale or 0)
    # word order: "little" is "big" with the words reversed
    assert modbus_values.value_to_registers(value, name, "little", scale) == list(
        reversed(modbus_values.value_to_registers(value, name, "big", scale)))


@SETTINGS
@given(st.integers(0, 0xFFFFFFFF), ORDERS, SCALES)
def test_float32_bits_round_trip(bits, order, scale):
    assume(bits & 0x7F800000 != 0x7F800000 and bits != 0x80000000)
    words = [bits >> 16, bits & 0xFFFF]
    if order == "little":
        words.reverse()
    value = modbus_values.registers_to_value(words, "float32", order, scale)
    assert value.scaled(-(scale or 0)) == float_digits(bits)
    assert modbus_values.value_to_registers(value, "float32", order, scale) == words


@SETTINGS
@given(st.integers(0, (1 << 64) - 1), ORDERS)
def test_float64_bits_round_trip(bits, order):
    assume(bits >> 52 & 0x7FF != 0x7FF and bits != 1 << 63)
    words = [(bits >> s) & 0xFFFF for s in (48, 32, 16, 0)]
    if order == "little":
        words.reverse()
    value = modbus_values.registers_to_value(words, "float64", order)
    assert modbus_values.value_to_registers(value, "float64", order) == words


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_float32_decoding_matches_ieee(x):
    words = list(struct.unpack(">HH", struct.pack(">f", x)))
    value = modbus_values.registers_to_value(words, "float32")
    # the shortest decimal reads back as the same float32 (checked with CPython's parser)
    assert struct.pack(">f", float(str(value))) == struct.pack(">f", x) or x == 0


@SETTINGS
@given(st.integers(-10 ** 12, 10 ** 12), st.integers(-8, 4))
def test_decimal_to_float_rounds_to_nearest(m, e):
    value = Num(m, e)
    words = modbus_values.value_to_registers(value, "float32")
    nearest = struct.pack(">f", float(str(value)))     # CPython rounds correctly
    assert struct.pack(">HH", *words) == nearest


def test_known_values():
    assert str(modbus_values.registers_to_value([0x4366, 0x3334], "float32")) == "230.20001"
    assert str(modbus_values.registers_to_value([0x3E4C, 0xCCCD], "float32")) == "0.2"
    assert str(modbus_values.registers_to_value([0xCCCD, 0x3E4C], "float32", "little")) == "0.2"
    assert str(modbus_values.registers_to_value([0x0001, 0xE240], "uint32", "big", -2)) == "1234.56"
    assert str(modbus_values.registers_to_value([0xE240, 0x0001], "int32", "little", -2)) == "1234.56"
    assert str(modbus_values.registers_to_value([0xFFFF], "int16", "big", -1)) == "-0.1"
    assert str(modbus_values.registers_to_value([0xFFFF], "uint16")) == "65535"
    assert modbus_values.value_to_registers(Num(2302, -1), "float32") == [0x4366, 0x3333]
    assert modbus_values.value_to_registers(Num(-12345, -2), "int32", "little", -2) == [0xCFC7, 0xFFFF]


def test_bad_values_raise_bad_value_error():
    import pytest
    for words, dtype in (([0x7F80, 0], "float32"), ([0x7FC0, 0], "float32"),
                         ([0xFFF0, 0, 0, 0], "float64")):
        with pytest.raises(BadValueError):
            modbus_values.registers_to_value(words, dtype)
    with pytest.raises(CodecError):
        modbus_values.registers_to_value([1], "float32")
    with pytest.raises(CodecError):
        modbus_values.registers_to_value([1, 2], "float31")
    with pytest.raises(CodecError):
        modbus_values.registers_to_value([1, 2], "int32", "middle")
    with pytest.raises(BadValueError):
        modbus_values.registers_to_value([70000], "uint16")
    with pytest.raises(BadValueError):
        modbus_values.value_to_registers(Num(1234, -3), "int32", "big", -2)   # one decimal too many
    with pytest.raises(BadValueError):
        modbus_values.value_to_registers(70000, "uint16")
    with pytest.raises(BadValueError):
        modbus_values.value_to_registers(-1, "uint32")
    with pytest.raises(BadValueError):
        modbus_values.value_to_registers(Num(1, 39), "float32")               # beyond float32
