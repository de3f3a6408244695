"""Q/GDW 1376.2-2013: the deframer, and property tests (round trips, hostile bytes)."""

from hypothesis import HealthCheck, given, settings, strategies as st

from protocols.gdw1376_2 import codec as g
from protocols.core.errors import CodecError
from protocols.gdw1376_2.units import UNITS
from tests.corpus import vectors

CORPUS = vectors("gdw1376_2/vectors.json")
PAUSE = CORPUS[0]["bytes"]
MONITOR = CORPUS[10]["bytes"]        # carries a complete DL/T645 frame inside
SETTINGS = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _feed_all(chunks):
    d = g.Deframer()
    out = []
    for c in chunks:
        out.extend(d.feed(c))
    return d, out


# --------------------------------------------------------------- deframer ---

def test_deframer_whole_halves_and_byte_by_byte():
    for frame in (PAUSE, MONITOR):
        assert _feed_all([frame])[1] == [frame]
        half = len(frame) // 2
        assert _feed_all([frame[:half], frame[half:]])[1] == [frame]
        d, out = _feed_all([bytes((b,)) for b in frame])
        assert out == [frame] and d.pending() == b""


def test_deframer_skips_noise_and_fe_bytes_and_keeps_inner_frames_inside():
    noise = b"\xFE\xFE\xFE\xFE\x00\x16\x68\x00"
    d, out = _feed_all([noise + MONITOR + PAUSE])
    assert out == [MONITOR, PAUSE]
    assert d.skipped == len(noise)


def test_deframer_bad_checksum_then_good_frame():
    bad = bytearray(MONITOR)
    bad[-2] ^= 0x55
    d, out = _feed_all([bytes(bad) + PAUSE])
    assert out == [PAUSE] and d.rejected >= 1
    d, out = _feed_all([bytes((b,)) for b in bytes(bad) + PAUSE])
    assert out == [PAUSE]


def test_deframer_rejects_impossible_lengths_and_false_starts():
    d, out = _feed_all([b"\x68\x05\x00" + PAUSE])        # L below 15
    assert out == [PAUSE]
    d, out = _feed_all([b"\x68\x00\x04" + PAUSE])        # L = 1024: a stray 68H
    assert out == [PAUSE]


def test_deframer_buffer_stays_bounded_on_endless_garbage():
    d = g.Deframer()
    junk = bytes((0x68, 0x00, 0x08) + tuple(range(3, 250))) * 4
    for _ in range(200):
        assert d.feed(junk) == []
        assert len(d.pending()) <= g.Deframer.MAX_FRAME
    assert d.feed(bytes(2100) + PAUSE) == [PAUSE]


@SETTINGS
@given(st.binary(max_size=400), st.integers(1, 64))
def test_deframer_recovers_after_any_garbage(junk, step):
    d = g.Deframer()
    data = junk + bytes(2100) + MONITOR
    out = []
    for i in range(0, len(data), step):
        out.extend(d.feed(data[i:i + step]))
        assert len(d.pending()) <= g.Deframer.MAX_FRAME
    assert out[-1:] == [MONITOR]


# -------------------------------------------------------- hostile bytes ---

@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_codec_errors(data):
    for fn in (g.decode, g.decode_dict):
        try:
            fn(data)
        except CodecError:
            pass


def _envelope(user):
    total = len(user) + 5
    return b"\x68" + total.to_bytes(2, "little") + user + bytes((sum(user) & 0xFF, 0x16))


KNOWN = [(row[0], row[1]) for row in UNITS]


@SETTINGS
@given(st.integers(0, 255), st.binary(min_size=6, max_size=6),
       st.one_of(st.sampled_from(KNOWN), st.tuples(st.integers(0, 255), st.integers(1, 248))),
       st.binary(max_size=80))
def test_well_framed_random_units_raise_only_codec_errors(c, r, afn_fn, data):
    afn, fn = afn_fn
    user = bytes((c,)) + r + bytes((afn,)) + g.fn_to_dt(fn) + data
    try:
        d = g.decode_dict(_envelope(user))
    except CodecError:
        return
    assert d["fn"] == fn and d["afn"] == "0x%02X" % afn


# ------------------------------------------------------------ round trips ---

HEX = "0123456789ABCDEF"


def _kind(field):
    name, kind, arg = field
    if kind in ("u8", "enum"):
        return st.integers(0, 255)
    if kind == "u16":
        return st.integers(0, 0xFFFF)
    if kind == "u32":
        return st.integers(0, 0xFFFFFFFF)
    if kind == "addr":
        return st.text(HEX, min_size=12, max_size=12)
    if kind == "time6":
        return st.tuples(st.integers(0, 99), st.integers(1, 12), st.integers(1, 28),
                         st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)).map(
            lambda t: "20%02d-%02d-%02dT%02d:%02d:%02d" % t)
    if kind == "date3":
        return st.tuples(st.integers(0, 99), st.integers(1, 12), st.integers(1, 31)).map(
            lambda t: "20%02d-%02d-%02d" % t)
    if kind == "ascii":
        return st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=arg,
                       max_size=arg)
    if kind == "hexle":
        return st.text(HEX, min_size=2 * arg, max_size=2 * arg)
    if kind == "frame":
        return st.binary(max_size=60)
    if kind == "addrs":
        return st.lists(st.text(HEX, min_size=12, max_size=12), max_size=3)
    raise AssertionError(kind)


@st.composite
def _fields(draw, layout):
    out = {}
    for field in layout:
        name, kind, arg = field
        if kind == "bits":
            for key, shift, width in arg[1]:
                out[key] = draw(st.integers(0, (1 << width) - 1))
        elif kind == "rate":
            out[name] = draw(st.integers(0, 0x7FFF))
            out[name + "_unit"] = draw(st.sampled_from(["bps", "kbps"]))
        elif kind == "list":
            count_key, sub, counted = arg
            n = out[count_key] if counted else draw(st.integers(0, 3))
            out[name] = [draw(_fields(sub)) for _ in range(n)]
        elif kind == "frame":
            out["inner_frame"] = draw(_kind(field))
        else:
            out[name] = draw(_kind(field))
    return out


def _expected(layout, fields):
    """What decode gives back for ``fields``: inner frame as hex, counts added."""
    out = dict(fields)
    for name, kind, arg in layout:
        if kind == "frame":
            out["inner_frame"] = fields["inner_frame"].hex().upper()
            out["inner_len"] = len(fields["inner_frame"])
        elif kind == "addrs":
            out[arg] = len(fields[name])
        elif kind == "list" and not arg[2]:
            out[arg[0]] = len(fields[name])
            out[name] = [_expected(arg[1], item) for item in fields[name]]
    return out


CASES = [(row[0], row[1], up, row[3 + up]) for row in UNITS for up in (0, 1)
         if row[3 + up] is not None]

DOWN_INFO = st.fixed_dictionaries({
    "routing": st.integers(0, 1), "attached_node": st.integers(0, 1),
    "conflict_detect": st.integers(0, 1), "channel": st.integers(0, 15),
    "ecc": st.integers(0, 15), "expected_reply_bytes": st.integers(0, 255),
    "rate": st.integers(0, 0x7FFF), "rate_unit": st.sampled_from(["bps", "kbps"])})
UP_INFO = st.fixed_dictionaries({
    "routing": st.integers(0, 1), "channel": st.integers(0, 15),
    "measured_phase": st.integers(0, 15), "meter_channel": st.integers(0, 15),
    "cmd_quality": st.integers(0, 15), "reply_quality": st.integers(0, 15),
    "event": st.integers(0, 1)})


@st.composite
def _case(draw):
    afn, fn, up, layout = draw(st.sampled_from(CASES))
    fields = draw(_fields(layout))
    info = draw(UP_INFO if up else DOWN_INFO)
    addressed = draw(st.booleans())
    relays = draw(st.lists(st.text(HEX, min_size=12, max_size=12), max_size=3)) \
        if addressed else []
    ends = draw(st.tuples(st.text(HEX, min_size=12, max_size=12),
                          st.text(HEX, min_size=12, max_size=12))) if addressed else (None, None)
    return (afn, fn, up, layout, fields, info, relays, ends, draw(st.integers(0, 255)),
            draw(st.sampled_from([1, 2, 3, 10, 20])), draw(st.integers(0, 1)))


@SETTINGS
@given(_case())
def test_every_data_unit_round_trips_in_both_directions(case):
    afn, fn, up, layout, fields, info, relays, (src, dst), seq, mode, prm = case
    frame = g.build(afn, fn, fields, bool(up), prm, mode, seq, src, relays, dst, **info)
    d = g.decode_dict(frame)
    assert (d["afn"], d["fn"], d["dir"], d["prm"], d["comm_mode"], d["seq"]) == (
        "0x%02X" % afn, fn, "up" if up else "down", prm, mode, seq)
    for key, want in info.items():
        assert d["info"][key] == want, key
    assert d["info"]["module"] == (1 if src else 0)
    assert d["info"]["relay_level"] == len(relays)
    if src:
        assert (d["src_address"], d["relay_addresses"], d["dst_address"]) == (src, relays, dst)
    want = _expected(layout, fields)
    for key, value in want.items():
        assert _strip_names(d["fields"][key]) == value, key
    assert d["length"] == len(frame)


def _strip_names(value):
    if isinstance(value, list):
        return [_strip_names(v) for v in value]
    if isinstance(value, dict):
        return dict((k, _strip_names(v)) for k, v in value.items() if not k.endswith("_name"))
    return value
