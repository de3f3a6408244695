"""M-Bus codec: link layer, master requests, records, encoder, own vectors."""

import pytest

from protocols.mbus import codec as mbus
from protocols.core.errors import (BadValueError, ChecksumError, CodecError, FramingError,
                                   LengthError, TruncatedError, UnknownIdentifierError)
from protocols.core.num import Num
from tests.corpus import own_vectors

VECTORS = own_vectors("mbus")


def h(text):
    return bytes.fromhex(text)


# ------------------------------------------------------------ own vectors ---

def _subset(got, exp, where):
    for key, value in exp.items():
        assert key in got, (where, key)
        g = got[key]
        if isinstance(value, dict):
            _subset(g, value, where + "." + key)
        elif isinstance(value, list):
            assert len(g) == len(value), (where, key)
            for i, (gi, vi) in enumerate(zip(g, value)):
                _subset(gi, vi, "%s.%s[%d]" % (where, key, i))
        elif isinstance(g, Num):
            assert str(g) == value, (where, key, g, value)
        else:
            assert g == value, (where, key, g, value)


@pytest.mark.parametrize("vec", VECTORS, ids=[v["name"] for v in VECTORS])
def test_own_vectors(vec):
    assert vec["protocol"] == "mbus" and vec["note"]
    d = mbus.decode_dict(vec["bytes"])
    _subset(d, vec["expect"], vec["name"])


def test_own_vectors_cover_every_frame_kind():
    kinds = set(mbus.decode_dict(v["bytes"])["frame"] for v in VECTORS)
    assert kinds == {"short", "control", "long"}
    cis = set(mbus.decode_dict(v["bytes"])["ci"] for v in VECTORS)
    assert {"0x52", "0x51", "0x7A", "0x78", "0x72", "0x73", "0xBD", "0x50"} <= cis


# ------------------------------------------------------------- link layer ---

def test_ack():
    f = mbus.decode(b"\xE5")
    assert f.kind == "ack" and f.function == "ACK" and f.c is None
    assert mbus.decode_dict(b"\xE5")["frame"] == "ack"


def test_short_frame_fields():
    f = mbus.decode(h("107B017C16"))
    assert (f.kind, f.c, f.a, f.ci, f.data) == ("short", 0x7B, 1, None, b"")
    assert (f.prm, f.fcb, f.fcv, f.acd, f.dfc) == (True, True, True, None, None)
    assert f.function == "REQ_UD2"


def test_rsp_ud_control_bits():
    f = mbus.parse_frame(mbus.encode_rsp_ud(3, acd=True, dfc=False, ci=0x78))
    assert (f.prm, f.fcb, f.fcv, f.acd, f.dfc, f.function) == (False, None, None, True, False,
                                                               "RSP_UD")
    assert f.c == 0x28 and f.ci == 0x78 and f.data == b""


@pytest.mark.parametrize("bad,err,offset", [
    ("10 7B 01 7D 16", ChecksumError, 3),
    ("10 7B 01 7C 17", FramingError, 4),
    ("68 04 05 68 08 01 70 00 79 16", LengthError, 2),
    ("68 04 04 69 08 01 70 00 79 16", FramingError, 3),
    ("68 04 04 68 08 01 70 00 78 16", ChecksumError, 8),
    ("68 04 04 68 08 01 70 00 79 17", FramingError, 9),
    ("68 02 02 68 08 01 09 16", LengthError, 1),
    ("68 04 04 68 08 01 70 00 79", TruncatedError, 9),
    ("68 04 04 68 08 01 70 00 79 16 00", LengthError, 10),
    ("E5 E5", LengthError, 1),
    ("00", FramingError, 0),
    ("", TruncatedError, 0),
])
def test_link_layer_rejects(bad, err, offset):
    with pytest.raises(err) as info:
        mbus.decode(h(bad))
    assert info.value.offset == offset


# -------------------------------------------------------- master requests ---

def test_request_builders_match_the_standard_examples():
    assert mbus.snd_nke(1) == h("1040014116")
    assert mbus.req_ud2(1, True) == h("107B017C16")
    assert mbus.req_ud2(1, False) == h("105B015C16")
    assert mbus.req_ud1(1, True) == h("107A017B16")
    assert mbus.deselect() == h("1040FD3D16")
    assert mbus.select_secondary("12345678") == h("680B0B6853FD5278563412FFFFFFFFB216")
    assert mbus.select_secondary(12345678) == mbus.select_secondary("12345678")
    assert mbus.set_primary_address(1, 5) == h("68060668530151017A052516")
    assert mbus.ack() == b"\xE5"


def test_select_secondary_with_wildcards_and_fields():
    frame = mbus.select_secondary("1234ffff", manufacturer="ACW", version=0x0E, medium=0x16,
                                  fcb=True)
    assert frame[4:7] == h("73FD52") and frame[7:15] == h("FFFF341277040E16")
    d = mbus.decode_dict(frame)
    assert d["selection"] == {"id": "1234FFFF", "manufacturer": "ACW", "version": 14,
                              "medium": 22}


def test_set_baud_and_reset_are_control_frames():
    assert mbus.set_baud(1, 2400) == h("680303685301BB0F16")
    d = mbus.decode_dict(mbus.set_baud(1, 38400))
    assert (d["frame"], d["request"], d["baud"]) == ("control", "set_baud", 38400)
    d = mbus.decode_dict(mbus.application_reset(7))
    assert (d["frame"], d["request"], d["a"]) == ("control", "application_reset", 7)
    d = mbus.decode_dict(mbus.application_reset(7, subcode=0x10))
    assert (d["frame"], d["subcode"]) == ("long", 0x10)


def test_snd_ud_fcb_and_data():
    frame = mbus.snd_ud(9, 0x51, h("017A03"), fcb=True)
    d = mbus.decode_dict(frame)
    assert (d["c"], d["fcb"], d["request"], d["new_address"]) == ("0x73", True,
                                                                  "set_primary_address", 3)


@pytest.mark.parametrize("call", [
    lambda: mbus.snd_nke(256), lambda: mbus.req_ud2(-1, True), lambda: mbus.set_baud(1, 1234),
    lambda: mbus.select_secondary("1234567"), lambda: mbus.select_secondary("1234567X"),
    lambda: mbus.select_secondary("12345678", manufacturer="AC"),
    lambda: mbus.set_primary_address(1, 251), lambda: mbus.snd_ud(1, 0x51, bytes(253)),
])
def test_builders_refuse_bad_arguments(call):
    with pytest.raises(BadValueError):
        call()


# ---------------------------------------------------------------- records ---

def rsp(records_hex, ci="78", header=""):
    body = h("0801" + ci + header + records_hex)
    n = len(body)
    return bytes((0x68, n, n, 0x68)) + body + bytes((sum(body) & 0xFF, 0x16))


def records(records_hex, **kw):
    return mbus.decode_dict(rsp(records_hex), **kw)["records"]


@pytest.mark.parametrize("rec,value", [
    ("01 13 FF", "-0.001"), ("02 13 00 80", "-32.768"), ("03 13 FF FF 7F", "8388.607"),
    ("04 13 FF FF FF FF", "-0.001"), ("06 13 01 00 00 00 00 80", "-140737488355.327"),
    ("07 13 FF FF FF FF FF FF FF 7F", "9223372036854775.807"),
    ("09 13 99", "0.099"), ("0A 13 34 F2", "-0.234"), ("0B 13 56 34 12", "123.456"),
    ("0E 13 12 90 78 56 34 12", "123456789.012"), ("05 13 CD CC 4C 3E", "0.0002"),
    ("0D 13 C2 34 12", "1.234"), ("0D 13 D2 34 12", "-1.234"),
])
def test_data_field_codings(rec, value):
    (r,) = records(rec.replace(" ", ""))
    assert str(r["value"]) == value and r["unit"] == "m\u00b3"


def test_lvar_text_and_binary():
    a, b = records("0DFD0C03434241" + "0DFD0CE2ABCD")
    assert a["value"] == "ABC" and b["value"] == "CDAB"


def test_dates():
    g, f, i, j = records("026C1F3C" + "046D2B0F791A" + "066D1E2D0D4C3500" + "036D1E2D0D")
    assert g["value"] == "2024-12-31"
    assert f["value"] == "2011-10-25T15:43:00"
    assert i["value"] == "2026-05-12T13:45:30"
    assert j["value"] == "13:45:30"
    (iv,) = records("046DAB0F791A")
    assert iv["value"] is None and iv["quantity"] == "meter.datetime"
    (old,) = records("046D100905C5")
    assert old["value"] == "1996-05-05T09:16:00"


def test_storage_tariff_subunit_from_difes():
    # DIF C4: storage LSB 1; DIFE F5: storage bits 0101, tariff 11, subunit 1, E;
    # DIFE 4A: storage bits 1010, tariff 00, subunit 1
    (r,) = records("C4F54A13 01000000")
    assert r["storage"] == 1 | 0b0101 << 1 | 0b1010 << 5
    assert r["tariff"] == 3 and r["subunit"] == 3 and r["function"] == "instantaneous"


def test_functions():
    rs = records("0113 01" "1113 01" "2113 01" "3113 01")
    assert [r["function"] for r in rs] == ["instantaneous", "maximum", "minimum", "error"]


def test_vife_scaling_and_names():
    a, b, c = records("049374 01000000" "04937D 01000000" "02933B 0100".replace(" ", ""))
    assert str(a["value"]) == "0.00001" and a["modifiers"] == "multiplicative correction factor"
    assert str(b["value"]) == "1" and b["modifiers"] == "multiplicative correction factor 1000"
    assert b["quantity"] == "volume.total"
    assert c["modifiers"] == "accumulation only if positive contributions"


def test_unknown_modifier_drops_the_quantity():
    (r,) = records("0493 20 01000000".replace(" ", ""))
    assert r["modifiers"] == "per second" and r["quantity"] is None


def test_energy_quantity_follows_the_medium():
    heat = mbus.decode_dict(mbus.encode_rsp_ud(
        1, [(0x06, Num(5))], header={"id": "1", "manufacturer": "ABC", "medium": 0x04}))
    elec = mbus.decode_dict(mbus.encode_rsp_ud(
        1, [(0x06, Num(5), "int32", 0, 2), ((0x86, 0x3C), Num(7))],
        header={"medium": 0x02}))
    water = mbus.decode_dict(mbus.encode_rsp_ud(1, [(0x06, Num(5))], header={"medium": 0x07}))
    assert heat["records"][0]["quantity"] == "heat.energy.total"
    assert [r["quantity"] for r in elec["records"]] == ["energy.active.import.t2",
                                                        "energy.active.export.total"]
    assert water["records"][0]["quantity"] is None
    short = mbus.decode_dict(mbus.encode_rsp_ud(1, [(0x06, Num(5))], ci=0x7A), medium=0x04)
    assert short["records"][0]["quantity"] == "heat.energy.total"


def test_units_are_normalised_by_powers_of_ten_only():
    rs = records("0407 01000000" "040F 01000000" "041E 01000000" "042E 01000000"
                 "0436 01000000" "0426 01000000" "0427 01000000" "0446 01000000"
                 "044E 01000000".replace(" ", ""))
    got = [(str(r["value"]), r["unit"]) for r in rs]
    assert got == [("10", "kWh"), ("0.01", "GJ"), ("1", "t"), ("1", "kW"),
                   ("0.001", "GJ/h"), ("1", "h"), ("1", "d"), ("0.1", "m\u00b3/min"),
                   ("0.001", "m\u00b3/s")]


def test_plain_text_unit_with_vife():
    (r,) = records("02FC03485225 74 D411".replace(" ", ""))
    assert (str(r["value"]), r["unit"], r["label"], r["vif"]) == ("45.64", "%RH", "%RH", "FC")


def test_manufacturer_vif_and_chain():
    a, b = records("02FF680000" "02ACFF014F00")
    assert a["label"] == "Manufacturer specific" and a["quantity"] is None
    assert str(b["value"]) == "0.79" and b["quantity"] is None and b["vife"] == "FF01"


@pytest.mark.parametrize("bad,err", [
    ("8B" + "8B" * 10 + "60 04 371802", BadValueError),      # 11 DIFEs
    ("8B60 84" + "84" * 10 + "04 371802", BadValueError),     # 11 VIFEs
    ("8B60", TruncatedError), ("8B", TruncatedError), ("0B", TruncatedError),
    ("0B13 3712", TruncatedError), ("0DFC", TruncatedError), ("0D13 05 4142", TruncatedError),
    ("3F", UnknownIdentifierError), ("0D13 FB", UnknownIdentifierError), ("04FD", TruncatedError),
])
def test_bad_records_are_rejected(bad, err):
    with pytest.raises(err) as info:
        records(bad.replace(" ", ""))
    assert info.value.offset is not None


def test_ten_difes_and_ten_vifes_are_allowed():
    (r,) = records("8B" + "80" * 9 + "00" + "84" + "80" * 9 + "00" + "563412")
    assert str(r["value"]) == "1234.56"


def test_bcd_error_pattern_is_not_a_number():
    (r,) = records("3C2BBDEBDDDD")
    assert r["value"] == "DDDDEBBD" and r["quantity"] is None and r["function"] == "error"


def test_mode2_big_endian():
    body = "0801 76 12345678 0477 01 07 00 00 0000 04 13 00 00 30 39 02 6C 23 12".replace(" ", "")
    d = mbus.decode_dict(rsp(body[6:], ci="76"))
    assert d["header"]["id"] == "12345678" and d["header"]["manufacturer"] == "ACW"
    assert str(d["records"][0]["value"]) == "12.345"
    assert d["records"][1]["value"] == "2016-03-18"


def test_application_error_and_alarm():
    d = mbus.decode_dict(mbus.application_error(1, 8))
    assert d["error"] == {"code": 8, "name": "Application busy"}
    d = mbus.decode_dict(rsp("05", ci="71"))
    assert d["alarm"] == 5


# ---------------------------------------------------------------- encoder ---

def test_rsp_ud_encoder_reproduces_a_corpus_telegram():
    # ACW Itron BM +m (corpus test-frames/ACW_Itron-BM-plus-m.hex), rebuilt
    frame = mbus.encode_rsp_ud(
        8,
        [(0x78, "11490378", "bcd8"), (0x13, Num.parse("54.321")),
         (0x6C, "2000-00-00", "int16", 1), (0x13, Num(0, -3), "int32", 1),
         (0x6D, "2014-03-13T11:11:00"), (0x27, Num(0), "int16"),
         ((0xFD, 0x0E), Num(2), "bcd2"), ((0xFD, 0x0F), Num(6), "bcd2")],
        header={"id": "11490378", "manufacturer": "ACW", "version": 14, "medium": 0x16,
                "access_no": 10, "status": 0, "signature": "0000"},
        mfr_data=h("00017513"))
    assert frame == h("683C3C680808727803491177040E160A0000000C78780349110413"
                      "31D40000426C0000441300000000046D0B0BCD1302270000"
                      "09FD0E0209FD0F060F00017513D316")


@pytest.mark.parametrize("args", [
    (0x13, Num(1, -4)),                      # more decimals than the VIF gives
    (0x13, Num(1 << 40), "int32"),           # does not fit
    (0x13, Num(-10 ** 7), "bcd8"),           # negative BCD leaves 7 digits
    (0x13, "x", "int32"), (0x6C, "2000-13", "int16"), (0x13, None, "nope"),
    (0x13, Num(1), "none"), ((0x93,), Num(1)), (0x78, "12AB", "bcd8"),
    (0x6C, "1980-01-01", "int16"), ((0xFD, 0x0C), "\u20ac", "var"),
    ((0xFD, 0x16), "XYZ", "varbin"),
])
def test_encoder_refuses(args):
    with pytest.raises(BadValueError):
        mbus.encode_record(*args)


def test_encode_record_storage_tariff_subunit():
    rec = mbus.encode_record(0x13, Num(1, -3), "int8", storage=5, tariff=6, subunit=2,
                             function="maximum")
    # DIF D1 = E + storage LSB 1 + maximum + int8; DIFE A2 = E + tariff bits 10 +
    # storage bits 0010; DIFE 50 = subunit bit 1 + tariff bits 01; VIF 13; data 01
    assert rec == h("D1A2501301")
    (r,) = records(rec.hex())
    assert (r["storage"], r["tariff"], r["subunit"], r["function"]) == (5, 6, 2, "maximum")


def test_codec_errors_only():
    with pytest.raises(CodecError):
        mbus.decode(h("6803036808017216"))  # checksum 7A expected
