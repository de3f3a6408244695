"""CJ/T 188-2004: the deframer, and property tests (round trips, hostile bytes)."""

from hypothesis import HealthCheck, given, settings, strategies as st

from protocols.cjt188 import fields as cjt188_fields
from protocols.cjt188 import codec as cjt188
from protocols.cjt188.tables import DATA_IDS, HEAT_CURRENT, UNITS, WATER_CURRENT
from protocols.core.errors import CodecError
from protocols.core.num import Num
from tests.corpus import vectors

CORPUS = vectors("cjt188/vectors.json")
WATER = CORPUS[1]["bytes"]                       # 556677.00 m3 reply, no preamble
HEAT = [v for v in CORPUS if "54427.88" in v["name"]][0]["bytes"]
BAD = CORPUS[2]["bytes"]                          # FE x4 + the same reply with checksum 08H
SETTINGS = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _feed_all(chunks):
    d = cjt188.Deframer()
    out = []
    for c in chunks:
        out.extend(d.feed(c))
    return d, out


# --------------------------------------------------------------- deframer ---

def test_deframer_whole_halves_and_byte_by_byte():
    for frame in (WATER, HEAT):
        assert _feed_all([frame])[1] == [frame]
        half = len(frame) // 2
        assert _feed_all([frame[:half], frame[half:]])[1] == [frame]
        d, out = _feed_all([bytes((b,)) for b in frame])
        assert out == [frame] and d.pending() == b""


def test_deframer_skips_noise_and_wake_up_bytes():
    noise = b"\x00\x16\xFF\x12" + b"\xFE" * 13
    d, out = _feed_all([noise + WATER + b"\xFE\xFE" + HEAT])
    assert out == [WATER, HEAT]
    assert d.skipped == len(noise) + 2
    assert cjt188.decode_dict(out[1])["meter_class"] == "heat"


def test_deframer_bad_checksum_then_good_frame():
    d, out = _feed_all([BAD + WATER])
    assert out == [WATER]
    assert d.rejected >= 1
    d, out = _feed_all([bytes((b,)) for b in BAD + b"\xFE\xFE" + WATER])
    assert out == [WATER]


def test_deframer_finds_a_frame_behind_a_false_start():
    # a 68H in noise whose "length" runs into the real frame
    d, out = _feed_all([b"\x68\x10\x01" + WATER])
    assert out == [WATER]


def test_deframer_buffer_stays_bounded_on_endless_garbage():
    d = cjt188.Deframer()
    junk = bytes((0x68, 0x10) + tuple(range(1, 200))) * 3
    for _ in range(300):
        assert d.feed(junk) == []
        assert len(d.pending()) <= cjt188.Deframer.MAX_FRAME
    assert d.feed(b"\xFE" * 300 + WATER) == [WATER]


@SETTINGS
@given(st.binary(max_size=300), st.binary(max_size=40), st.integers(1, 40))
def test_deframer_recovers_after_any_garbage(junk, tail, step):
    d = cjt188.Deframer()
    data = junk + b"\xFE" * 280 + WATER + tail
    out = []
    for i in range(0, len(data), step):
        out.extend(d.feed(data[i:i + step]))
        assert len(d.pending()) <= cjt188.Deframer.MAX_FRAME
    assert WATER in out


# -------------------------------------------------------- hostile bytes ---

@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_codec_errors(data):
    for fn in (cjt188.decode, cjt188.decode_dict):
        try:
            fn(data)
        except CodecError:
            pass


def _envelope(t, addr, c, data):
    body = bytes((0x68, t)) + addr + bytes((c, len(data))) + data
    return body + bytes((sum(body) & 0xFF, 0x16))


DI_WIRE = [bytes(((di & 0xFF), di >> 8)) for di, *_ in DATA_IDS] + \
          [bytes((di >> 8, di & 0xFF)) for di, *_ in DATA_IDS]


@SETTINGS
@given(st.integers(0, 255), st.binary(min_size=7, max_size=7),
       st.sampled_from([0x01, 0x03, 0x04, 0x09, 0x15, 0x16, 0x81, 0x83, 0x84, 0x89, 0x95, 0x96,
                        0xC1, 0xC4, 0x00, 0xFF]),
       st.one_of(st.binary(max_size=60),
                 st.tuples(st.sampled_from(DI_WIRE), st.binary(max_size=60)).map(
                     lambda p: p[0] + p[1])))
def test_well_framed_random_payloads_raise_only_codec_errors(t, addr, c, data):
    frame = _envelope(t, addr, c, data)
    try:
        d = cjt188.decode_dict(frame)
    except CodecError:
        return
    assert d["length"] == len(data)


@SETTINGS
@given(st.sampled_from([WATER, HEAT]), st.integers(11, 60), st.integers(0, 255))
def test_corrupted_fields_with_fixed_checksum_raise_only_codec_errors(frame, pos, value):
    b = bytearray(frame)
    pos = min(pos, len(b) - 3)
    b[pos] = value
    try:
        cjt188.decode_dict(_envelope(b[1], bytes(b[2:9]), b[9], bytes(b[11:-2])))
    except CodecError:
        pass


# ------------------------------------------------------------ round trips ---

def _num(size, dec):
    return st.one_of(st.none(), st.integers(0, 10 ** (2 * size) - 1).map(lambda m: Num(m, dec)))


def _field(field):
    name, kind, size, dec, quantity, extra = field
    if kind == "vu":
        return st.tuples(_num(size, dec), st.sampled_from([row[0] for row in UNITS]))
    if kind == "bcd":
        return _num(size, dec)
    if kind == "time":
        return st.one_of(st.none(), st.tuples(
            st.integers(2000, 2099), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23),
            st.integers(0, 59), st.integers(0, 59)).map(
                lambda t: "%04d-%02d-%02dT%02d:%02d:%02d" % t))
    if kind == "st":
        return st.binary(min_size=2, max_size=2).map(lambda b: b.hex().upper())
    if kind == "u8":
        return st.integers(0, 255)
    if kind == "day":
        return st.one_of(st.none(), st.integers(1, 31))
    if kind == "hex":
        return st.binary(min_size=size, max_size=size).map(lambda b: b.hex().upper())
    if kind == "addr":
        return st.text("0123456789", min_size=14, max_size=14)
    return st.sampled_from(["55", "99", "66", "77"])


def _fields(layout):
    return st.fixed_dictionaries(dict((f[0], _field(f)) for f in layout))


CASES = []
for _di, _name, _order, _req, _rep in DATA_IDS:
    for _t in (0x10, 0x20, 0x30):
        if _rep == "current":
            _rep_layout = HEAT_CURRENT if _t == 0x20 else WATER_CURRENT
        elif _rep == "history":
            _rep_layout = ((("settlement_heat" if _t == 0x20 else "settlement_volume"),
                            "vu", 4, -2, None, None),)
        else:
            _rep_layout = _rep
        CASES.append((_di, _t, False, _req))
        CASES.append((_di, _t, True, _rep_layout))


@st.composite
def _case(draw):
    di, t, is_reply, layout = draw(st.sampled_from(CASES))
    return (di, t, is_reply, draw(_fields(layout)), draw(st.integers(0, 255)),
            draw(st.sampled_from(["le", "be"])), draw(st.text("0123456789", min_size=14,
                                                              max_size=14)))


@SETTINGS
@given(_case())
def test_every_frame_type_round_trips(case):
    di, t, is_reply, fields, ser, order, address = case
    build = cjt188.reply if is_reply else cjt188.request
    frame = build(t, address, di, fields, ser, order, wake_up=b"")
    d = cjt188.decode_dict(frame)
    assert (d["di"], d["ser"], d["address"], d["di_order"]) == ("%04X" % di, ser, address, order)
    assert d["is_response"] is is_reply
    again = cjt188_fields.fields_from_dict(d)
    for key, want in fields.items():
        got = again[key]
        if isinstance(want, tuple):
            assert got[1] == want[1] and got[0] == want[0], key
        else:
            assert got == want, key
    assert build(t, address, di, again, ser, order, wake_up=b"") == frame
