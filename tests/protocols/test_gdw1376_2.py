"""Q/GDW 1376.2-2013 codec: the shared corpus, our own uplink vectors, builders, errors."""

import pytest

from protocols.gdw1376_2 import codec as g
from protocols.gdw1376_2 import build as gb
from protocols.core.deframer import frames_in
from protocols.core.errors import (BadValueError, ChecksumError, FramingError, LengthError,
                                   TruncatedError, UnknownIdentifierError)
from tests.corpus import own_vectors, vectors

CORPUS = vectors("gdw1376_2/vectors.json")
OWN = own_vectors("gdw1376_2")
R1_KEYS = (("routing_flag_D0", "routing"), ("attached_node_flag_D1", "attached_node"),
           ("module_flag_D2", "module"), ("conflict_detect_D3", "conflict_detect"),
           ("relay_level", "relay_level"))
R_KEYS = (("R2_channel", "channel"), ("R2_ecc", "ecc"),
          ("R3_expected_reply_bytes", "expected_reply_bytes"), ("R4R5_rate", "rate"),
          ("R4R5_rate_unit", "rate_unit"), ("seq", "seq"))
FIELD_KEYS = ("start_index", "count", "master_node_address", "node_count", "nodes",
              "protocol_type", "delay_related_flag", "attached_nodes", "inner_len")
HPLC = dict(comm_mode=3, expected_reply_bytes=40, rate=50)


def _hex(text):
    return text.replace(" ", "").upper()


def _inner_645(raw):
    """Address, control and data-33H of a DL/T645 frame, sliced by hand."""
    i = 0
    while raw[i] == 0xFE:
        i += 1
    f = raw[i:]
    assert f[0] == 0x68 and f[7] == 0x68 and f[-1] == 0x16
    assert sum(f[:-2]) & 0xFF == f[-2]
    data = bytes((b - 0x33) & 0xFF for b in f[10:10 + f[9]])
    return {"address": bytes(reversed(f[1:7])).hex().upper(), "control": "0x%02X" % f[8],
            "data_after_minus_33": data.hex().upper(), "checksum_ok": True,
            "di": bytes(reversed(data[:4])).hex().upper()}


@pytest.mark.parametrize("v", CORPUS, ids=lambda v: v["name"][:60])
def test_corpus_frame_decodes_as_expected(v):
    e = v["expect"]
    (frame,) = frames_in(g.Deframer(), v["bytes"])
    d = g.decode_dict(frame)
    for key in ("length", "control", "dir", "prm", "comm_mode", "comm_mode_meaning", "fn",
                "checksum"):
        assert d[key] == e[key], key
    assert d["info_R"] == _hex(e["info_R"])
    for theirs, ours in R1_KEYS:
        assert d["info"][ours] == e["R1"][theirs], theirs
    for theirs, ours in R_KEYS:
        assert d["info"][ours] == e[theirs], theirs
    assert d["seq"] == e["seq"]
    assert d["afn"] == "0x" + e["afn"][:2]
    assert d["dt"] == _hex(e["dt"])
    assert d["data"] == _hex(e["data"])
    for key in ("src_address", "relay_addresses", "dst_address"):
        if key in e:
            assert d[key] == e[key], key
        else:
            assert key not in d
    for key in FIELD_KEYS:
        if key in e:
            _subset(e[key], d["fields"][key], key)
    if "inner_frame" in e:
        assert d["fields"]["inner_frame"] == _hex(e["inner_frame"])
        assert d["fields"]["inner_len"] == len(bytes.fromhex(e["inner_frame"]))
    if "inner_645" in e:
        got = _inner_645(bytes.fromhex(d["fields"]["inner_frame"]))
        for key, want in e["inner_645"].items():
            assert got[key] == want, key


def _subset(want, got, path="fields"):
    if isinstance(want, dict):
        for k, w in want.items():
            assert k in got, "%s.%s missing" % (path, k)
            _subset(w, got[k], path + "." + k)
    elif isinstance(want, list):
        assert len(want) == len(got), path
        for k, (w, x) in enumerate(zip(want, got)):
            _subset(w, x, "%s[%d]" % (path, k))
    else:
        assert want == got, path


@pytest.mark.parametrize("v", OWN, ids=lambda v: v["name"][:60])
def test_own_vector_decodes_as_worked_out(v):
    assert v["note"] and v["source"]["kind"] == "synthetic"
    d = g.decode_dict(v["bytes"])
    assert d["dir"] == ("up" if v["direction"] == "module_to_concentrator" else "down")
    _subset(v["expect"], d, "")


def test_own_vectors_cover_the_uplink_units():
    seen = set()
    for v in OWN:
        d = g.decode_dict(v["bytes"])
        seen.add((d["afn"], d["fn"], d["dir"]))
    for afn, fn in ((0x00, 1), (0x00, 2), (0x03, 1), (0x03, 4), (0x03, 10), (0x06, 1),
                    (0x06, 2), (0x06, 3), (0x06, 4), (0x06, 5), (0x10, 1), (0x10, 2),
                    (0x10, 4), (0x13, 1), (0x14, 1), (0x14, 2), (0x14, 3)):
        assert ("0x%02X" % afn, fn, "up") in seen


@pytest.mark.parametrize("v", CORPUS + OWN, ids=lambda v: v["name"][:60])
def test_build_rebuilds_every_frame_from_its_decoding(v):
    d = g.decode_dict(v["bytes"])
    info = dict(d["info"])
    seq = info.pop("seq")
    rebuilt = g.build(int(d["afn"], 16), d["fn"], d["fields"], d["dir"] == "up", d["prm"],
                      d["comm_mode"], seq, d.get("src_address"), d.get("relay_addresses", ()),
                      d.get("dst_address"), **info)
    assert rebuilt == v["bytes"]


def test_named_builders_give_the_published_frames():
    hx = [v["bytes"] for v in CORPUS]
    inner = bytes.fromhex("68 04 33 00 00 00 00 68 11 04 33 33 34 33 E9 16")
    master, meter = "049999888888", "000000003304"
    assert gb.route_control(2, seq=0x52, **HPLC) == hx[0]
    assert gb.route_control(3, seq=0x54, **HPLC) == hx[1]
    assert gb.param_init(seq=0x4D, **HPLC) == hx[3]
    assert gb.query_slave_count(seq=0x4E, **HPLC) == hx[4]
    assert gb.query_slave_info(1, 1, seq=0x50, **HPLC) == hx[5]
    assert gb.query_router_status(seq=0x51, **HPLC) == hx[6]
    assert gb.set_master_address(master, seq=0x4B, **HPLC) == hx[7]
    assert gb.add_slaves([(meter, 2)], seq=0x4F, **HPLC) == hx[8]
    assert gb.monitor(master, meter, inner, 2, 1, seq=0x53, **HPLC) == hx[10]
    assert gb.corrected_frame_reply(inner, seq=1, **HPLC) == hx[12]
    assert gb.confirm(comm_mode=1) == hx[13]
    assert gb.confirm(comm_mode=3, seq=2) == hx[14]
    fe = bytes.fromhex("FE FE FE FE 68 04 33 00 00 00 00 68 11 04 34 34 34 45 FD 16")
    assert gb.monitor(master, meter, fe, comm_mode=1, routing=1, expected_reply_bytes=200,
                      seq=0x10) == hx[17]


def test_named_module_builders_match_our_vectors():
    own = dict((v["name"][:30], v["bytes"]) for v in OWN)

    def pick(prefix):
        return [b for n, b in own.items() if n.startswith(prefix)][0]

    up = dict(comm_mode=3, channel=1, measured_phase=2, meter_channel=1, cmd_quality=5,
              reply_quality=7)
    assert gb.vendor_reply("TC", "01", "2021-07-15", "0102", seq=1, **up) == \
        pick("AFN 03H F1 vendor")
    assert gb.master_address_reply("049999888888", seq=2, **up) == pick("AFN 03H F4")
    assert gb.slave_count_reply(5, 1024, seq=3, **up) == pick("AFN 10H F1 reply")
    assert gb.deny(12, up=True, seq=0x53, **up) == pick("AFN 00H F2 deny")
    assert gb.route_read_request("000000003304", 1, phase=1, seq=0x10, **up) == \
        pick("AFN 14H F1 uplink")
    assert gb.clock_request(seq=0x11, **up) == pick("AFN 14H F2 uplink")
    assert gb.clock_reply("2024-03-01T08:30:00", comm_mode=3, seq=0x11) == \
        pick("AFN 14H F2 downlink")
    assert gb.report_route_change(1, seq=0x22, **up) == pick("AFN 06H F3 report")
    assert gb.report_slaves([("000000003304", 2, 7)], seq=0x20, **up) == pick("AFN 06H F1")
    d = g.decode_dict(pick("AFN 13H F1 uplink"))
    inner = bytes.fromhex(d["fields"]["inner_frame"])
    assert gb.monitor_reply("000000003304", "049999888888", inner, duration_s=32, seq=0x53,
                            **up) == pick("AFN 13H F1 uplink")
    assert d["prm"] == 0 and d["info"]["module"] == 1
    req = g.decode_dict(gb.route_read_request("000000003304", 1))
    assert (req["control"], req["prm"], req["comm_mode"]) == ("0xCA", 1, 10)


def test_a_relay_path_is_encoded_in_r1_and_the_address_field():
    inner = bytes.fromhex("68 04 33 00 00 00 00 68 11 04 33 33 34 33 E9 16")
    f = gb.monitor("049999888888", "000000003304", inner, relays=["000000009999", "000000008888"])
    d = g.decode_dict(f)
    assert d["info"]["relay_level"] == 2 and d["info"]["module"] == 1
    assert d["relay_addresses"] == ["000000009999", "000000008888"]
    assert d["info_R"][:2] == "24"


# ---------------------------------------------------------------- errors ---

def _fix(frame):
    body = bytes(frame[:-2])
    return body + bytes((sum(body[3:]) & 0xFF, 0x16))


def test_errors_name_the_byte_and_what_was_expected():
    good = CORPUS[10]["bytes"]
    with pytest.raises(TruncatedError):
        g.decode(good[:-1])
    with pytest.raises(LengthError) as err:
        g.decode(good + b"\x16")
    assert err.value.offset == len(good)
    bad = bytearray(good)
    bad[-2] ^= 1
    with pytest.raises(ChecksumError) as err:
        g.decode(bytes(bad))
    assert err.value.offset == len(good) - 2
    with pytest.raises(LengthError):
        g.decode(b"\x68\x0E\x00" + bytes(11))
    with pytest.raises(FramingError):
        g.decode(good[:-1] + b"\x17")
    two_bits = bytearray(good)
    two_bits[23] = 0x03
    with pytest.raises(BadValueError) as err:
        g.decode(_fix(two_bits))
    assert err.value.offset == 23
    no_room = bytearray(CORPUS[0]["bytes"])
    no_room[4] = 0x04                                 # says "A field present" in a 15-byte frame
    with pytest.raises(LengthError):
        g.decode(_fix(no_room))
    unknown = bytearray(CORPUS[0]["bytes"])
    unknown[10] = 0xF0
    with pytest.raises(UnknownIdentifierError) as err:
        g.decode_dict(_fix(unknown))
    assert err.value.offset == 10
    wrong_dir = bytearray(CORPUS[0]["bytes"])
    wrong_dir[3] = 0x83                               # 12H F2 does not exist uplink
    with pytest.raises(UnknownIdentifierError):
        g.decode_dict(_fix(wrong_dir))
    short_unit = bytes.fromhex("68 11 00 43 00 00 28 32 00 50 10 02 00 01 00") + b"\x00\x16"
    with pytest.raises(TruncatedError):
        g.decode_dict(_fix(short_unit))
    long_unit = _fix(CORPUS[5]["bytes"][:-2] + b"\x00" + b"\x00\x16")
    long_unit = long_unit[:1] + bytes((len(long_unit), 0)) + long_unit[3:]
    with pytest.raises(LengthError):
        g.decode_dict(_fix(long_unit))


def test_builders_refuse_what_they_cannot_encode():
    with pytest.raises(UnknownIdentifierError):
        g.build(0x12, 2, up=True)
    with pytest.raises(BadValueError):
        gb.query_slave_info(70000, 1)
    with pytest.raises(BadValueError):
        gb.clock_reply("yesterday")
    with pytest.raises(BadValueError):
        g.build(0x12, 1, seq=256)
    with pytest.raises(BadValueError):
        gb.forward(2, "zz")
    with pytest.raises(BadValueError):
        gb.forward(2, bytes(300))
