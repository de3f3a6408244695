"""protocols.core: exact numbers, BCD, checksums, CRC, errors, the deframer base."""

import struct
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from protocols.core import bcd, checksum, deframer, errors
from protocols.core.bcd import bcd_be, bcd_le, to_bcd_be, to_bcd_le
from protocols.core.checksum import crc16_modbus
from protocols.core.errors import BadValueError, ChecksumError, CodecError
from protocols.core.num import Num, float_digits


def test_num_prints_the_meters_digits():
    assert str(Num(1234567, -2)) == "12345.67"
    assert str(Num(26, -2)) == "0.26"
    assert str(Num(0, -4)) == "0.0000"
    assert str(Num(-5, -3)) == "-0.005"
    assert str(Num(12, 2)) == "1200"
    assert Num(260, -3) == Num(26, -2) and hash(Num(260, -3)) == hash(Num(26, -2))
    assert Num(5, 0) == 5
    assert Decimal(Num(-1250, -2).to_decimal_tuple()) == Decimal("-12.50")


@given(st.integers(-10 ** 15, 10 ** 15), st.integers(-9, 3))
def test_num_parse_round_trip(m, e):
    n = Num(m, e)
    assert Num.parse(str(n)) == n
    assert Decimal(str(n)) == Decimal(n.to_decimal_tuple())


def test_num_parse_rejects_text():
    with pytest.raises(BadValueError):
        Num.parse("12a")


def test_bcd_both_byte_orders():
    assert bcd_le(bytes.fromhex("78563412")) == 12345678
    assert bcd_be(bytes.fromhex("12345678")) == 12345678
    assert to_bcd_le(12345678, 4) == bytes.fromhex("78563412")
    assert to_bcd_be(42, 2) == bytes.fromhex("0042")


@given(st.integers(0, 10 ** 12 - 1))
def test_bcd_round_trip(n):
    assert bcd_le(to_bcd_le(n, 6)) == n and bcd_be(to_bcd_be(n, 6)) == n


def test_non_bcd_digit_names_its_offset():
    with pytest.raises(BadValueError) as err:
        bcd_le(bytes.fromhex("12 3A 56"), offset=10)
    assert "at byte 11" in str(err.value) and "3AH" in str(err.value)
    with pytest.raises(BadValueError):
        to_bcd_le(10 ** 8, 4)


def test_scrambling_and_sum():
    assert bcd.add33(b"\x00\x00\x01\x00") == bytes.fromhex("33333433")
    assert bcd.sub33(bytes.fromhex("33333433")) == b"\x00\x00\x01\x00"
    assert checksum.sum8(bytes.fromhex("68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33")) == 0x8A
    assert checksum.sum8(b"\x01\x02\x03\x04", 1, 3) == 5


@given(st.binary(max_size=64))
def test_scrambling_inverse(data):
    assert bcd.sub33(bcd.add33(data)) == data


def test_crc16_modbus_check_values():
    # spec/protocols.md 6 and the CRC-16/MODBUS catalogue check value
    assert crc16_modbus(bytes.fromhex("01 03 00 00 00 01")) == 0x0A84
    assert crc16_modbus(bytes.fromhex("11 03 00 6B 00 03")) == 0x8776
    assert crc16_modbus(b"123456789") == 0x4B37
    frame = bytes.fromhex("01 03 00 00 00 01 84 0A")
    assert crc16_modbus(frame) == 0


def _bitwise_crc(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@given(st.binary(max_size=100))
def test_table_crc_equals_bitwise_crc(data):
    assert crc16_modbus(data) == _bitwise_crc(data)


def test_error_messages_carry_offset_expected_and_got():
    e = ChecksumError("checksum mismatch", offset=18, expected="8AH", got="8BH")
    assert str(e) == "checksum mismatch at byte 18: expected 8AH, got 8BH"
    assert isinstance(e, CodecError) and e.offset == 18
    for cls in (errors.LengthError, errors.TruncatedError, errors.FramingError,
                errors.UnknownIdentifierError, BadValueError):
        assert issubclass(cls, CodecError)


@settings(max_examples=500)
@given(st.integers(0, 0xFFFFFFFF))
def test_float_digits_reads_back_to_the_same_bits(bits):
    if (bits >> 23) & 0xFF == 0xFF:
        with pytest.raises(BadValueError):
            float_digits(bits)
        return
    n = float_digits(bits)
    back = struct.unpack("<I", struct.pack("<f", float(str(n))))[0]
    assert back == bits or (bits & 0x7FFFFFFF == 0 and back & 0x7FFFFFFF == 0)


def test_float_digits_is_the_shortest_form():
    f32 = lambda x: struct.unpack("<I", struct.pack("<f", x))[0]  # noqa: E731
    assert str(float_digits(f32(0.2))) == "0.2"
    assert str(float_digits(f32(230.2))) == "230.2"
    assert str(float_digits(f32(45.64))) == "45.64"
    d64 = struct.unpack("<Q", struct.pack("<d", 0.1))[0]
    assert str(float_digits(d64, 52, 11)) == "0.1"


class _Toy(deframer.Deframer):
    """A toy protocol: AA len payload sum8."""
    START = b"\xAA"
    MAX_FRAME = 10

    def check(self, buf, i):
        if len(buf) - i < 2:
            return deframer.NEED_MORE
        n = buf[i + 1]
        if n > 7:
            raise errors.LengthError("too long", offset=1)
        if len(buf) - i < n + 3:
            return deframer.NEED_MORE
        if buf[i + 2 + n] != sum(buf[i + 2:i + 2 + n]) & 0xFF:
            raise ChecksumError("bad", offset=n + 2)
        return n + 3


def test_deframer_base_counts_skips_and_rejects():
    d = _Toy()
    good = b"\xAA\x02\x01\x02\x03"
    out = d.feed(b"\x00\x01" + b"\xAA\x02\x01\x02\x09" + good)
    assert out == [good]
    assert d.rejected == 1 and isinstance(d.last_error, ChecksumError)
    assert d.skipped >= 2 and d.frames == 1
    d.reset()
    assert d.last_error is None


def test_frames_in_explains_an_empty_result():
    with pytest.raises(errors.TruncatedError):
        deframer.frames_in(_Toy(), b"\xAA\x02\x01")
    with pytest.raises(errors.FramingError) as err:
        deframer.frames_in(_Toy(), b"\x01\x02")
    assert "AAH" in str(err.value)
