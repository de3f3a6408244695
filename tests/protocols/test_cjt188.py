"""CJ/T 188-2004 codec: the shared corpus, our own vectors, builders and errors."""

from decimal import Decimal

import pytest

from protocols.cjt188 import fields as cjt188_fields
from protocols.cjt188 import codec as cjt188
from protocols.cjt188.tables import UNITS
from protocols.core.deframer import frames_in
from protocols.core.errors import (BadValueError, ChecksumError, CodecError, FramingError,
                                   LengthError, TruncatedError, UnknownIdentifierError)
from protocols.core.num import Num
from tests.corpus import own_vectors, vectors

CORPUS = vectors("cjt188/vectors.json")
OWN = own_vectors("cjt188")
SHIFT = dict((row[1], row[3]) for row in UNITS)
VALVE_BITS = {0: "open", 1: "closed", 2: "fault", 3: "fault"}
HEAT_KEYS = (("settlement_heat", "settlement_heat_unit"), ("current_heat", "current_heat_unit"),
             ("power", "power_unit"), ("flow", "flow_unit"), ("volume", "volume_unit"))
WATER_KEYS = (("current_volume", "current_unit"), ("settlement_volume", "settlement_unit"))
TEMP_KEYS = (("supply_temp_c", "supply_temp"), ("return_temp_c", "return_temp"),
             ("working_hours", "working_hours"))


def _records(d):
    return dict((r["name"], r) for r in d.get("values", ()))


def _unit(text):
    return text.replace("m3", "m\u00b3")


def _same(rec, expected):
    """A decoded record against a corpus number given in the meter's own unit."""
    if expected is None:
        assert rec["value"] is None
        return
    shift = SHIFT.get(rec.get("meter_unit"), 0)
    got = Decimal(str(rec["value"]))
    assert got == Decimal(repr(expected)).scaleb(shift), (rec, expected)


def _frame(v):
    d = cjt188.Deframer()
    frames = d.feed(v["bytes"])
    assert len(frames) == 1
    return d, frames[0]


@pytest.mark.parametrize("v", [v for v in CORPUS if v["expect"].get("valid") is not False],
                         ids=lambda v: v["name"][:60])
def test_corpus_frame_decodes_as_expected(v):
    e = v["expect"]
    deframer, frame = _frame(v)
    assert deframer.skipped == len(bytes.fromhex(e["preamble"]))
    d = cjt188.decode_dict(frame)
    for key in ("meter_type", "meter_class", "address", "control", "function", "is_response",
                "is_error", "length", "di", "ser"):
        assert d[key] == e[key], key
    assert d["di_wire"] == e["di_wire"].replace(" ", "")
    assert "0x%02X" % frame[-2] == e["checksum_in_frame"] == e["checksum_computed"]
    if "valve_code" in e:
        assert d["valve_code"] == e["valve_code"]
        assert d["valve_meaning"] == e["valve_meaning"]
    recs = _records(d)
    for key, unit_key in WATER_KEYS + HEAT_KEYS:
        if key in e:
            _same(recs[key], e[key])
            assert recs[key]["meter_unit"] == _unit(e[unit_key])
    for key, name in TEMP_KEYS:
        if key in e:
            _same(recs[name], e[key])
    if "meter_time" in e:
        want = None if e["meter_time"] in ("zero", None) else e["meter_time"].replace(" ", "T")
        assert d["meter_time"] == want
        assert recs["meter_time"]["value"] == want
    if "status" in e:
        assert d["status"] == e["status"]
        assert recs["status"]["quantity"] == "meter.status"
    for bits_key in ("status_valve_bits", "valve_state_bits"):
        if bits_key in e:
            assert d["valve_state"] == VALVE_BITS[e[bits_key]]
            assert recs["valve_state"]["value"] == d["valve_state"]
    if "status_battery_low" in e:
        assert d["battery_low"] is e["status_battery_low"]


def test_corpus_negative_vector_is_rejected_by_checksum():
    bad = [v for v in CORPUS if v["expect"].get("valid") is False]
    assert len(bad) == 1
    with pytest.raises(ChecksumError) as err:
        frames_in(cjt188.Deframer(), bad[0]["bytes"])
    assert err.value.offset == 33
    with pytest.raises(ChecksumError):
        cjt188.decode(bad[0]["bytes"])


def test_water_reply_exact_digits_quantities_and_period():
    d = cjt188.decode_dict(CORPUS[1]["bytes"])
    recs = _records(d)
    cur, sett = recs["current_volume"], recs["settlement_volume"]
    assert (cur["quantity"], str(cur["value"]), cur["unit"]) == ("volume.total", "556677.00",
                                                                  "m\u00b3")
    assert "period" not in cur
    assert (sett["quantity"], sett["period"], str(sett["value"])) == (
        "volume.total", "settlement:1", "556677.00")
    assert recs["meter_time"]["quantity"] == "meter.datetime"
    assert recs["valve_state"] == {"name": "valve_state", "quantity": "valve.state",
                                   "value": "closed", "unit": ""}
    assert recs["battery_low"]["quantity"] == "battery.low"


def test_ff_filler_gives_none_and_heat_quantities():
    ff = [v for v in CORPUS if "FF (not supported)" in v["name"]][0]
    recs = _records(cjt188.decode_dict(ff["bytes"][2:]))
    assert recs["settlement_volume"]["value"] is None
    assert recs["settlement_volume"]["unit"] == "m\u00b3"
    assert str(recs["current_volume"]["value"]) == "5959.00"
    heat = [v for v in CORPUS if "54427.88" in v["name"]][0]
    recs = _records(cjt188.decode_dict(heat["bytes"]))
    assert recs["current_heat"]["quantity"] == "heat.energy.total"
    assert recs["settlement_heat"]["period"] == "settlement:1"
    assert recs["power"]["quantity"] == "heat.power"
    assert recs["flow"]["quantity"] == "flow.rate"
    assert recs["flow"]["value"] == Num(0, -4)
    assert (recs["supply_temp"]["quantity"], str(recs["supply_temp"]["value"]),
            recs["supply_temp"]["unit"]) == ("temperature.supply", "26.79", "\u00b0C")
    assert (recs["working_hours"]["quantity"], recs["working_hours"]["value"]) == (
        "time.operating", Num(74766))


# ------------------------------------------------------------ own vectors ---

def _check_own(v, d):
    e = v["expect"]
    recs = _records(d)
    for key, want in e.items():
        if key in d:
            assert d[key] == want, key
        elif key in recs:
            assert recs[key]["value"] == Num.parse(want), key
        elif key in ("period", "unit", "meter_unit"):
            assert d["values"][0][key] == want, key
        elif key == "energy_quantity":
            assert recs["settlement_heat"]["quantity"] == recs["current_heat"]["quantity"] == want
        elif key == "energy_unit":
            assert recs["settlement_heat"]["unit"] == want
        elif key.endswith("_unit") and key[:-5] in recs:
            assert recs[key[:-5]]["unit"] == want, key
        else:
            assert d[key] == want, key


@pytest.mark.parametrize("v", OWN, ids=lambda v: v["name"][:60])
def test_own_vector_decodes_as_worked_out(v):
    assert v["note"] and v["source"]["kind"] == "synthetic"
    _check_own(v, cjt188.decode_dict(v["bytes"]))


def test_own_vectors_cover_every_data_identifier_family():
    dis = set(cjt188.decode_dict(v["bytes"]).get("di") for v in OWN)
    for di in ("901F", "D121", "D12B", "8102", "8103", "8104", "8105", "8106", "A010", "A013",
               "A015", "A016", "A018"):
        assert di in dis
    assert len(OWN) >= 15


# ----------------------------------------------- rebuilding every frame ---

@pytest.mark.parametrize("v", [v for v in CORPUS + OWN if v["expect"].get("valid") is not False],
                         ids=lambda v: v["name"][:60])
def test_builders_rebuild_every_frame_from_its_decoding(v):
    _, frame = _frame(v)
    d = cjt188.decode_dict(frame)
    t = int(d["meter_type"], 16)
    if d["is_error"]:
        rebuilt = cjt188.error_reply(t, d["address"], int(d["control"], 16) & 0x3F, d["status"],
                                     d["ser"])
    else:
        if frame[-11:-4] == b"\xFF" * 7:
            # an FF-filled clock decodes to None, which builds as the standard's unset clock
            frame = _fix(frame[:-11] + bytes(7) + frame[-4:])
        build = cjt188.reply if d["is_response"] else cjt188.request
        rebuilt = build(t, d["address"], d["di"], cjt188_fields.fields_from_dict(d), d["ser"],
                        d["di_order"], wake_up=b"")
    assert rebuilt == frame


def test_request_builders_give_the_published_frames():
    hx = dict((v["name"], v["hex"]) for v in CORPUS)
    fe3, fe4 = b"\xFE" * 3, b"\xFE" * 4

    def same(built, prefix):
        hit = [h for n, h in hx.items() if n.startswith(prefix)]
        assert built == bytes.fromhex(hit[0]), prefix

    same(cjt188.read_data(0x10, "78330011223344"), "read metering data (01H, DI 1F 90)")
    same(cjt188.valve(0x10, "78331505900569", "open", ser=1), "valve open (04H, DI A0 17, 55H)")
    same(cjt188.valve(0x10, "78331505900569", "close", ser=1), "valve close (04H, DI A0 17, 99H")
    same(cjt188.valve(0x10, "00000019121301", 0x66, ser=1, wake_up=fe3),
         "VENDOR: valve \"free open")
    same(cjt188.read_address(ser=0xA7, meter_type=0x10, wake_up=b""),
         "read address request DI 0A 81, SER A7")
    same(cjt188.read_address(ser=1, meter_type=0x10, di_order="be", wake_up=fe3),
         "read address (03H) with DI bytes 81 0A")
    same(cjt188.read_data(0x10, cjt188.WILDCARD, ser=1, di_order="be", wake_up=fe3),
         "broadcast read metering data, DI bytes 90")
    same(cjt188.read_data(0x20, "00312718241912", ser=0x12, wake_up=b"\xFE" * 5),
         "heat meter read, type 20H, SER 12H, FE x5")
    same(cjt188.valve_reply(0x10, "78331505900569", cjt188_fields.status_bytes("open"), ser=1,
                            wake_up=fe4), "valve control reply (84H) status 00 00")
    same(cjt188.address_reply(0x10, "78330123456789", ser=0xA7, wake_up=b"\xFE\xFE"),
         "read address reply (83H): meter ID 7833")


def test_meter_reply_builders_from_values():
    water = cjt188.current_reply(0x10, "78330011223344", {
        "current_volume": Num(55667700, -2), "settlement_volume": (Num.parse("556677"), "m3"),
        "meter_time": (2015, 5, 11, 22, 1, 31), "status": "2184"})
    assert water == CORPUS[1]["bytes"]
    heat = [v for v in CORPUS if "54427.88" in v["name"]][0]
    built = cjt188.current_reply(0x25, "00312718241912", {
        "settlement_heat": Num.parse("274.11"), "current_heat": (Num.parse("54427.88"), "kWh"),
        "power": 0, "flow": 0, "volume": Num.parse("7156.08"), "supply_temp": "26.79",
        "return_temp": Num.parse("26.64"), "working_hours": 74766,
        "meter_time": "2025-09-03T17:52:11", "status": "0005"}, ser=3)
    assert built == heat["bytes"]
    hist = cjt188.history_reply(0x10, "12345678901234", 2, Num.parse("321.50"), ser=1)
    assert hist == OWN[1]["bytes"]
    err = cjt188.error_reply(0x10, "12345678901234", 0x01,
                             cjt188_fields.status_bytes("fault", battery_low=True), ser=8)
    assert err == [v for v in OWN if "abnormal" in v["name"]][0]["bytes"]
    t = cjt188.write_time(0x10, "12345678901234", "2024-03-01T08:30:00", ser=9, wake_up=b"")
    assert t == [v for v in OWN if v["name"].startswith("write standard time A015")][0]["bytes"]
    wa = cjt188.write_address(0x10, cjt188.WILDCARD, "78330000000001", ser=10, wake_up=b"")
    assert wa == [v for v in OWN if v["name"].startswith("write address A018")][0]["bytes"]
    wb = cjt188.write_meter_base(0x10, "12345678901234", Num.parse("123.45"), "m\u00b3", ser=11,
                                 wake_up=b"")
    assert wb == [v for v in OWN if v["name"].startswith("write meter base A016")][0]["bytes"]
    rh = cjt188.read_history(0x10, "12345678901234", 12, wake_up=b"")
    assert cjt188.decode_dict(rh)["di"] == "D12B"
    kv = cjt188.decode_dict(cjt188.read_key_version(0x10, "12345678901234", ser=3))
    assert (kv["control"], kv["function"], kv["di"]) == ("0x09", "read_key_version", "8106")


# ---------------------------------------------------------------- errors ---

def _fix(frame):
    """Recompute the checksum of a hand-edited frame."""
    body = bytes(frame[:-2])
    return body + bytes((sum(body) & 0xFF, 0x16))


def test_errors_name_the_byte_and_what_was_expected():
    good = bytearray(CORPUS[1]["bytes"])
    with pytest.raises(TruncatedError):
        cjt188.decode(bytes(good[:-1]))
    with pytest.raises(LengthError) as err:
        cjt188.decode(bytes(good) + b"\x00")
    assert err.value.offset == 35
    bad_end = bytearray(good)
    bad_end[-1] = 0x17
    with pytest.raises(FramingError):
        cjt188.decode(bytes(bad_end))
    unknown = bytearray(good)
    unknown[11:13] = b"\x1F\x91"
    with pytest.raises(UnknownIdentifierError) as err:
        cjt188.decode_dict(_fix(unknown))
    assert err.value.offset == 11 and "1F 91" in str(err.value)
    nonbcd = bytearray(good)
    nonbcd[15] = 0x5A
    with pytest.raises(BadValueError) as err:
        cjt188.decode_dict(_fix(nonbcd))
    assert err.value.offset == 15
    bad_month = bytearray(good)
    bad_month[28] = 0x13
    with pytest.raises(BadValueError) as err:
        cjt188.decode_dict(_fix(bad_month))
    assert err.value.offset == 24
    short = bytes(good[:10]) + b"\x15" + bytes(good[11:32])
    with pytest.raises(LengthError) as err:
        cjt188.decode_dict(_fix(short + b"\x00\x16"))
    assert "L=24" in str(err.value) or "L=22" in str(err.value)
    with pytest.raises(CodecError):
        cjt188.decode(b"\x68\x10")


def test_write_replies_tolerate_a_status_the_standard_leaves_out():
    bare = cjt188.reply(0x10, "12345678901234", "A015", ser=1)
    d = cjt188.decode_dict(bare)
    assert d["di"] == "A015" and "status" not in d
    with_st = cjt188.Frame(0x10, "12345678901234", 0x84, b"\xA0\x15\x01\x01\x00").encode()
    assert cjt188.decode_dict(with_st)["valve_state"] == "closed"


def test_builders_refuse_values_they_cannot_write_exactly():
    with pytest.raises(BadValueError):
        cjt188.current_reply(0x10, "1", {"current_volume": Num(1, -3)})
    with pytest.raises(BadValueError):
        cjt188.current_reply(0x10, "1", {"current_volume": (1, "furlong")})
    with pytest.raises(BadValueError):
        cjt188.write_time(0x10, "1", "2024-13-01T00:00:00")
    with pytest.raises(BadValueError):
        cjt188.read_data(0x10, "1", di_order="middle")
    with pytest.raises(UnknownIdentifierError):
        cjt188.read_data(0x10, "1", di="9999")
    with pytest.raises(BadValueError):
        cjt188.read_history(0x10, "1", 13)
    with pytest.raises(BadValueError):
        cjt188.address_bytes("123456789012345")
