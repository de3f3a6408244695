"""M-Bus property tests: encode/decode round trips, random bytes into every decoder."""

import struct

from hypothesis import assume, given, settings, strategies as st

from protocols.mbus import codec as mbus
from protocols.core.errors import BadValueError, CodecError
from protocols.core.num import Num, float_digits
from protocols.mbus.tables import PRIMARY

SETTINGS = settings(max_examples=250, deadline=None)
BYTE = st.integers(0, 255)

# ---------------------------------------------------------- link layer ---


@SETTINGS
@given(BYTE, BYTE)
def test_short_frame_round_trip(c, a):
    f = mbus.parse_frame(mbus.encode_short(c, a))
    assert (f.kind, f.c, f.a, f.ci) == ("short", c, a, None)


@SETTINGS
@given(BYTE, BYTE, BYTE, st.binary(max_size=252))
def test_long_and_control_frame_round_trip(c, a, ci, data):
    frame = mbus.encode_long(c, a, ci, data)
    f = mbus.parse_frame(frame)
    assert (f.kind, f.c, f.a, f.ci, f.data) == ("long" if data else "control", c, a, ci, data)
    assert mbus.Deframer().feed(frame) == [frame]


@SETTINGS
@given(st.integers(0, 250), st.booleans(), st.integers(0, 250))
def test_master_request_round_trips(a, fcb, new):
    assert mbus.decode_dict(mbus.req_ud2(a, fcb))["fcb"] is fcb
    assert mbus.decode_dict(mbus.req_ud1(a, fcb))["request"] == "req_ud1"
    assert mbus.decode_dict(mbus.snd_nke(a))["function"] == "SND_NKE"
    d = mbus.decode_dict(mbus.set_primary_address(a, new, fcb))
    assert (d["a"], d["new_address"], d["fcb"]) == (a, new, fcb)
    d = mbus.decode_dict(mbus.application_reset(a, None, fcb))
    assert d["request"] == "application_reset" and d["a"] == a


@SETTINGS
@given(st.sampled_from((300, 600, 1200, 2400, 4800, 9600, 19200, 38400)), st.integers(0, 250))
def test_set_baud_round_trip(baud, a):
    assert mbus.decode_dict(mbus.set_baud(a, baud))["baud"] == baud


@SETTINGS
@given(st.text("0123456789F", min_size=8, max_size=8),
       st.none() | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
       st.none() | st.integers(0, 254), st.none() | st.integers(0, 254), st.booleans())
def test_select_secondary_round_trip(ident, manufacturer, version, medium, fcb):
    d = mbus.decode_dict(mbus.select_secondary(ident, manufacturer, version, medium, fcb))
    assert d["selection"] == {"id": ident, "manufacturer": manufacturer, "version": version,
                              "medium": medium}
    assert d["a"] == 0xFD and d["fcb"] is fcb


@SETTINGS
@given(st.integers(0, 255), st.integers(0, 250))
def test_application_error_round_trip(code, a):
    d = mbus.decode_dict(mbus.application_error(a, code))
    assert d["error"]["code"] == code and d["a"] == a


# --------------------------------------------------------------- RSP_UD ---

NUMERIC_VIFS = [v for v, e in PRIMARY.items() if e[4] == "n" and v not in (0x7E, 0x7F)]
INT_CODINGS = (("int8", 1), ("int16", 2), ("int24", 3), ("int32", 4), ("int48", 6),
               ("int64", 8))
BCD_CODINGS = (("bcd2", 1), ("bcd4", 2), ("bcd6", 3), ("bcd8", 4), ("bcd12", 6))
FUNCTIONS = ("instantaneous", "maximum", "minimum", "error")


@st.composite
def int_record(draw):
    vif = draw(st.sampled_from(NUMERIC_VIFS))
    coding, n = draw(st.sampled_from(INT_CODINGS))
    raw = draw(st.integers(-(1 << (8 * n - 1)), (1 << (8 * n - 1)) - 1))
    return (vif, Num(raw, PRIMARY[vif][2]), coding)


@st.composite
def bcd_record(draw):
    vif = draw(st.sampled_from(NUMERIC_VIFS))
    coding, n = draw(st.sampled_from(BCD_CODINGS))
    raw = draw(st.integers(-(10 ** (2 * n - 1) - 1), 10 ** (2 * n) - 1))
    return (vif, Num(raw, PRIMARY[vif][2]), coding)


@st.composite
def real_record(draw):
    vif = draw(st.sampled_from(NUMERIC_VIFS))
    bits = draw(st.integers(0, 0xFFFFFFFF))
    assume((bits >> 23) & 0xFF != 0xFF)
    return (vif, float_digits(bits).scaled(PRIMARY[vif][2]), "real32")


@st.composite
def date_record(draw):
    y = draw(st.integers(1981, 2080))  # the years the 7-bit field can carry
    mo = draw(st.integers(1, 12))
    d = draw(st.integers(1, 31))
    hh, mi, ss = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    kind = draw(st.sampled_from(("G", "F", "I", "J")))
    if kind == "G":
        return (0x6C, "%04d-%02d-%02d" % (y, mo, d), "int16")
    if kind == "F":
        return (0x6D, "%04d-%02d-%02dT%02d:%02d:00" % (y, mo, d, hh, mi), "int32")
    if kind == "I":
        return (0x6D, "%04d-%02d-%02dT%02d:%02d:%02d" % (y, mo, d, hh, mi, ss), "int48")
    return (0x6D, "%02d:%02d:%02d" % (hh, mi, ss), "int24")


TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)


@st.composite
def text_record(draw):
    kind = draw(st.sampled_from(("ascii", "bcd", "id", "plain", "bin")))
    if kind == "ascii":
        return ((0xFD, 0x0C), draw(TEXT), "var")
    if kind == "bcd":
        return (0x13, Num(draw(st.integers(-10 ** 12, 10 ** 12)), -3), "var")
    if kind == "id":
        return (0x78, "%08d" % draw(st.integers(0, 10 ** 8 - 1)), "bcd8")
    if kind == "bin":
        n = draw(st.sampled_from((0, 1, 5, 15, 16, 20)))
        return ((0xFD, 0x16), draw(st.binary(min_size=n, max_size=n)).hex().upper(), "varbin")
    unit = draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                        max_size=6))
    return {"vif": 0x7C, "value": Num(draw(st.integers(-100, 100))), "coding": "int16",
            "text": unit}


@st.composite
def record(draw):
    rec = draw(int_record() | bcd_record() | real_record() | date_record() | text_record())
    if isinstance(rec, dict):
        return rec
    return {"vif": rec[0], "value": rec[1], "coding": rec[2],
            "storage": draw(st.integers(0, 2000)), "tariff": draw(st.integers(0, 20)),
            "subunit": draw(st.integers(0, 3)), "function": draw(st.sampled_from(FUNCTIONS))}


HEADER = st.fixed_dictionaries({
    "id": st.text("0123456789", min_size=8, max_size=8),
    "manufacturer": st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    "version": BYTE, "medium": BYTE, "access_no": BYTE, "status": BYTE,
    "signature": st.integers(0, 0xFFFF).map(lambda v: "%04X" % v)})


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 250), HEADER, st.lists(record(), max_size=8),
       st.sampled_from((0x72, 0x7A, 0x78)), st.booleans(), st.none() | st.binary(max_size=8))
def test_rsp_ud_round_trip(address, header, recs, ci, more, mfr):
    try:
        frame = mbus.encode_rsp_ud(address, recs, header, ci, mfr_data=mfr,
                                   more_records_follow=more)
    except BadValueError:
        assume(False)  # more than one frame's worth of records
    d = mbus.decode_dict(frame)
    assert d["ci"] == "0x%02X" % ci and d["a"] == address
    h = d["header"]
    if ci == 0x72:
        assert {k: h[k] for k in header} == header
    elif ci == 0x7A:
        assert (h["access_no"], h["status"], h["signature"]) == (
            header["access_no"], header["status"], header["signature"])
    trailer = 1 if (mfr is not None or more) else 0
    assert len(d["records"]) == len(recs) + trailer
    assert d["more_records_follow"] is more
    for got, exp in zip(d["records"], recs):
        assert got["value"] == exp["value"], (got, exp)
        for key in ("storage", "tariff", "subunit", "function"):
            if key in exp:
                assert got[key] == exp[key]
    if trailer:
        assert d["records"][-1]["value"] == (mfr or b"").hex().upper()


@SETTINGS
@given(st.lists(record(), min_size=1, max_size=4))
def test_reencoding_decoded_records_gives_the_same_bytes(recs):
    try:
        frame = mbus.encode_rsp_ud(1, recs, ci=0x78)
    except BadValueError:
        assume(False)
    again = []
    for got, exp in zip(mbus.decode_dict(frame)["records"], recs):
        e = dict(exp)
        e["value"] = got["value"]
        again.append(e)
    assert mbus.encode_rsp_ud(1, again, ci=0x78) == frame


# ---------------------------------------------------- random bytes ---

CIS = st.sampled_from((0x72, 0x76, 0x78, 0x7A, 0x73, 0x77, 0x70, 0x71, 0x51, 0x52, 0x50,
                       0xB8, 0x00, 0xFF))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_codec_errors(data):
    for fn in (mbus.decode, mbus.decode_dict, mbus.parse_frame):
        try:
            fn(data)
        except CodecError:
            pass


@settings(max_examples=300, deadline=None)
@given(BYTE, BYTE, CIS, st.binary(max_size=252), st.none() | BYTE)
def test_random_user_data_in_valid_frames(c, a, ci, data, medium):
    frame = mbus.encode_long(c, a, ci, data)
    try:
        d = mbus.decode_dict(frame, medium=medium)
    except CodecError as err:
        assert err.offset is None or 0 <= err.offset <= len(frame)
        return
    for rec in d.get("records") or ():
        assert rec["value"] is None or isinstance(rec["value"], (Num, str))


@st.composite
def record_soup(draw):
    # records made of plausible DIF/VIF bytes, so the parser goes deep
    out = b""
    for _ in range(draw(st.integers(1, 6))):
        dif = draw(st.sampled_from((0x01, 0x02, 0x04, 0x05, 0x06, 0x07, 0x0A, 0x0C, 0x0D, 0x0E,
                                    0x84, 0x8C, 0xC4, 0x2F, 0x0F, 0x1F, 0x7F, 0x08)))
        out += bytes((dif,))
        if dif & 0x80:
            out += bytes((draw(BYTE) & 0x7F,))
        vif = draw(st.sampled_from((0x13, 0x06, 0x6C, 0x6D, 0xFD, 0xFB, 0x7C, 0xFC, 0x78, 0x93,
                                    0xFF, 0x7B)))
        out += bytes((vif,))
        if vif in (0x7C, 0xFC):
            out += bytes((draw(st.integers(0, 4)),)) + b"abcd"
        if vif & 0x80:
            out += bytes((draw(BYTE) & 0x7F,))
        out += draw(st.binary(max_size=8))
    return out


@settings(max_examples=300, deadline=None)
@given(record_soup(), st.sampled_from((0x78, 0x76, 0x51)))
def test_record_soup_raises_only_codec_errors(body, ci):
    try:
        frame = mbus.encode_long(0x08, 1, ci, body)
    except BadValueError:
        return
    try:
        mbus.decode_dict(frame)
    except CodecError:
        pass


def test_float_encoding_uses_float32():
    frame = mbus.encode_rsp_ud(1, [(0x5B, Num(92), "real32")], ci=0x78)
    assert frame[-6:-2] == struct.pack("<f", 92.0)
