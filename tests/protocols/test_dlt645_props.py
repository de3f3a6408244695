"""DL/T645 deframer behaviour and property tests (round trips, random bytes)."""

import random

from hypothesis import given, settings, strategies as st

from protocols.dlt645 import edition2007 as dlt645
from protocols.dlt645 import edition1997 as dlt645_1997
from protocols.dlt645 import formats as fmts
from protocols.dlt645 import items
from protocols.core.errors import CodecError
from protocols.core.num import Num
from protocols.dlt645.frame import Deframer, Frame

GOOD = bytes.fromhex("68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16")
BAD_CS = GOOD[:-2] + bytes((GOOD[-2] ^ 1, 0x16))


def feed_chunks(data, sizes):
    d = Deframer()
    out = []
    pos = 0
    for n in sizes:
        out += d.feed(data[pos:pos + n])
        pos += n
    out += d.feed(data[pos:])
    return d, out


def test_whole_halves_and_byte_by_byte():
    stream = b"\xfe\xfe\xfe\xfe" + GOOD
    assert Deframer().feed(stream) == [GOOD]
    half = len(stream) // 2
    d, out = feed_chunks(stream, [half])
    assert out == [GOOD]
    d, out = feed_chunks(stream, [1] * len(stream))
    assert out == [GOOD] and not d.need_more()


def test_partial_frame_says_need_more():
    d = Deframer()
    assert d.feed(GOOD[:9]) == []
    assert d.need_more()
    assert d.feed(GOOD[9:]) == [GOOD]
    assert not d.need_more()


def test_noise_before_and_bad_checksum_then_good():
    noise = bytes((0x00, 0xFF, 0x12, 0x68, 0x16, 0xFE))
    d = Deframer()
    out = d.feed(noise + BAD_CS + b"\xfe\xfe" + GOOD)
    assert out == [GOOD]
    assert d.rejected >= 1 and "checksum" in str(d.last_error)


def test_68_inside_data_does_not_hide_the_frame():
    # a value whose scrambled byte is 68H: the hunt restarts one byte later
    reply = dlt645.reply_read("000000000161", 0x00010000, fmts.encode("XXXXXX.XX", Num(3535, -2))).encode()
    assert b"\x68" in reply[14:-2]
    d = Deframer()
    assert d.feed(b"\x68\x68" + reply) == [reply[4:]]


def test_endless_garbage_stays_bounded():
    d = Deframer()
    rng = random.Random(7)
    for _ in range(2000):
        chunk = bytes(rng.getrandbits(8) for _ in range(64))
        d.feed(chunk)
        assert len(d.pending()) <= Deframer.MAX_FRAME
    # and it still finds a frame afterwards
    d.reset()
    assert d.feed(GOOD) == [GOOD]


# ------------------------------------------------------------ properties ---

addresses = st.integers(0, 10 ** 12 - 1).map(lambda n: "%012d" % n)
settings_ = settings(max_examples=250, deadline=None)


@settings_
@given(addresses, st.integers(0, 0xFF).filter(lambda c: c & 0x1F in dict(dlt645.FUNCTIONS)),
       st.binary(max_size=200))
def test_frame_round_trip(address, control, data):
    f = Frame(address, control, data)
    raw = f.encode()
    assert dlt645.decode(raw) == f
    assert Deframer().feed(raw) == [raw[4:]]


@settings_
@given(addresses, st.integers(0, 6))
def test_request_builders_round_trip(address, pick):
    frames = [dlt645.read(address, 0x00010000), dlt645.read_follow_up(address, 0x0001FF00, 3),
              dlt645.freeze(address, 0, 0), dlt645.change_baud(address, 9600),
              dlt645.relay_control(address, "trip", "123456", "00000001"),
              dlt645.broadcast_time((2026, 11, 23, 10, 0, 0)),
              dlt645.write(address, 0x04000102, fmts.encode("hhmmss", "10:20:30"))]
    f = frames[pick]
    d = dlt645.decode_dict(f.encode())
    assert d["address"] == f.address and d["control"] == "0x%02X" % f.control
    assert d["data"] == f.data.hex().upper()


def _value_for(item, rnd):
    kind, nbytes, dec = fmts.spec(item.fmt)
    if kind == "num":
        m = rnd.randrange(10 ** (2 * nbytes - (1 if item.signed else 0)))
        if item.signed and rnd.random() < 0.5:
            m = -m
        return Num(m, -dec)
    if kind == "date":
        return "20%02d-%02d-%02d" % (rnd.randrange(100), rnd.randint(1, 12), rnd.randint(1, 28))
    if kind == "time":
        return "%02d:%02d:%02d" % (rnd.randrange(24), rnd.randrange(60), rnd.randrange(60))
    if kind == "ymdhm":
        return "20%02d-%02d-%02dT%02d:%02d:00" % (rnd.randrange(1, 100), rnd.randint(1, 12),
                                                 rnd.randint(1, 28), rnd.randrange(24), rnd.randrange(60))
    if kind == "digits":
        return "%012d" % rnd.randrange(10 ** 12)
    if kind == "word":
        return "%04X" % rnd.randrange(1 << 16)
    if kind == "ddhh":
        return "%02dT%02d" % (rnd.randint(1, 28), rnd.randrange(24))
    if kind == "hm":
        return "%02d:%02d" % (rnd.randrange(24), rnd.randrange(60))
    if kind == "demand":
        return {"value": Num(rnd.randrange(10 ** 6), -4),
                "time": "2026-%02d-%02dT%02d:%02d:00" % (rnd.randint(1, 12), rnd.randint(1, 28),
                                                         rnd.randrange(24), rnd.randrange(60))}
    if kind == "event":                     # an event record's head: start, end (or None)
        def when():
            return "20%02d-%02d-%02dT%02d:%02d:%02d" % (
                rnd.randrange(1, 100), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randrange(24),
                rnd.randrange(60), rnd.randrange(60))
        return {"value": when(), "time": None if rnd.random() < 0.3 else when()}
    raise AssertionError(kind)


def _sample_dis():
    dis = [row[0] for row in items.SINGLE]
    dis += [0x00010000, 0x00000100, 0x0001000C, 0x00080400, 0x01010000, 0x05060001, 0x05040101,
            0x050402FE, 0x05010001]
    return dis


@settings_
@given(st.sampled_from(_sample_dis()), st.randoms(use_true_random=False))
def test_value_round_trip_every_identifier(di, rnd):
    item = items.lookup(di)
    value = _value_for(item, rnd)
    data = items.encode_items(di, value)
    (rec,) = items.decode_items(di, data)
    expect = value["value"] if isinstance(value, dict) else value
    assert rec["value"] == expect and rec["quantity"] == item.quantity
    frame = dlt645.reply_read("000000000001", di, data).encode()
    assert dlt645.values_of(frame)[0]["value"] == expect


@settings_
@given(st.sampled_from([0x0001FF00, 0x0201FF00, 0x0206FF00, 0x05060101, 0x0504FF01]),
       st.integers(1, 8), st.randoms(use_true_random=False))
def test_block_round_trip(di, count, rnd):
    size = items._member_size(di)
    members = items.members(di, size * count)
    values = [None if rnd.random() < 0.1 else _value_for(m, rnd) for m in members]
    data = items.encode_items(di, values)
    recs = items.decode_items(di, data)
    assert [r["value"] for r in recs] == [v["value"] if isinstance(v, dict) else v for v in values]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_codec_errors(data):
    for mod in (dlt645, dlt645_1997):
        try:
            mod.decode_dict(data)
        except CodecError:
            pass
    Deframer().feed(data)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 0xFF), st.binary(max_size=60))
def test_valid_frames_with_random_payload_raise_only_codec_errors(control, data):
    raw = Frame("000000000001", control, data).encode(b"")
    for mod in (dlt645, dlt645_1997):
        try:
            mod.decode_dict(raw)
        except CodecError:
            pass
    for di in (0x00010000, 0x0001FF00, 0x0201FF00, 0x05060101, 0x04000101):
        try:
            items.decode_items(di, data)
        except CodecError:
            pass


@settings_
@given(st.sampled_from([0x9010, 0x9410, 0x9120, 0xB611, 0xB621, 0xB630, 0xC010, 0xC011, 0xC032,
                        0xA010, 0x901F, 0xB61F]), st.randoms(use_true_random=False))
def test_1997_value_round_trip(di, rnd):
    item = dlt645_1997.lookup(di)
    if item is None:
        first = dlt645_1997.lookup(di & 0xFFF0) or dlt645_1997._SINGLE[dlt645_1997._BLOCKS[di][0]]
        its = dlt645_1997.members(di, first.size * 3 if di & 0xFFF0 != 0xB610 else 6)
        values = [_value_for(i, rnd) for i in its]
    else:
        values = _value_for(item, rnd)
    data = dlt645_1997.encode_items(di, values)
    frame = dlt645_1997.reply_read("000000000001", di, data).encode()
    d = dlt645_1997.decode_dict(frame)
    got = [r["value"] for r in d["values"]]
    assert got == (values if isinstance(values, list) else [values])
