"""Modbus register maps: every profile is valid, units come out canonical,
reads are planned minimally, replies become exact value records."""

import pytest
from hypothesis import given, settings, strategies as st

from protocols.modbus import build as modbus_build
from protocols.modbus import frame as modbus_frame
from protocols.modbus import values as modbus_values
from protocols.modbus import profiles as mp
from protocols.core.errors import BadValueError, CodecError, LengthError, UnknownIdentifierError
from protocols.core.num import Num
from protocols.core.quantities import unit_of


@pytest.mark.parametrize("name", mp.names())
def test_every_profile_row_is_valid_and_canonical(name):
    rows = mp.profile(name)
    assert rows
    keys = set()
    for r in rows:
        assert mp.validate_row(r) == r
        quantity, table, start, dtype, order, scale, unit, label = r
        if quantity is not None:
            assert unit_of(quantity) is not None, quantity
            assert mp.unit_shift(r)[0] == unit_of(quantity)
        key = quantity or label
        assert key not in keys, key
        keys.add(key)
    # registers of one profile never overlap
    spans = sorted((r[1], r[2], r[2] + modbus_values.register_count(r[3])) for r in rows)
    for a, b in zip(spans, spans[1:]):
        assert a[0] != b[0] or a[2] <= b[1], (a, b)


def test_required_profiles_and_quantities():
    need = ("voltage.a", "current.a", "power.active.total", "power_factor.total", "frequency",
            "energy.active.import.total", "energy.active.export.total")
    for name in ("eastron-sdm120", "eastron-sdm630", "chint-ddsu666", "chint-dtsu666",
                 "carlo-gavazzi-em24"):
        have = set(r[0] for r in mp.profile(name))
        assert set(need) <= have, (name, set(need) - have)
    assert "energy.active.combined.total" in set(r[0] for r in mp.profile("eastron-sdm630"))
    dtsu = dict((r[0], r) for r in mp.profile("chint-dtsu666"))
    assert dtsu["voltage.a"][2] == 0x2006 and dtsu["energy.active.import.total"][2] == 0x401E
    em24 = dict((r[0], r) for r in mp.profile("carlo-gavazzi-em24"))
    assert em24["energy.active.import.total"][3:6] == ("int32", "little", -1)


def f32(text):
    return modbus_values.value_to_registers(Num.parse(text), "float32")


def test_sdm120_watts_become_kilowatts_exactly():
    rows = mp.profile("eastron-sdm120")
    plan = mp.plan_reads(rows, ["voltage.a", "power.active.total", "energy.active.import.total"])
    assert [(fc, start, count) for fc, start, count, _ in plan] == [(4, 0x00, 14), (4, 0x48, 2)]
    first = [0] * 14
    first[0:2] = [0x4366, 0x3334]               # the Tasmota capture: 230.20001 V
    first[12:14] = f32("-1234.5")               # W
    recs = mp.extract(plan, [first, f32("12345.67")])
    got = dict((r["quantity"], (str(r["value"]), r["unit"])) for r in recs)
    assert got == {"voltage.a": ("230.20001", "V"), "power.active.total": ("-1.2345", "kW"),
                   "energy.active.import.total": ("12345.67", "kWh")}
    assert (recs[0]["label"], recs[0]["table"], recs[0]["register"]) == ("Voltage", "input", 0)


def test_dtsu666_float_factors_and_em24_integers():
    dtsu = mp.profile("chint-dtsu666")
    plan = mp.plan_reads(dtsu, ["voltage.a", "current.a", "power.active.total", "frequency"])
    assert [(fc, s, c) for fc, s, c, _ in plan] == [(3, 0x2006, 14), (3, 0x2044, 2)]
    block = [0] * 14
    block[0:2] = f32("2301")                    # U x10
    block[6:8] = f32("5123")                    # I x1000
    block[12:14] = f32("11520.5")               # P x10 W
    recs = mp.extract(plan, [block, f32("4999")])
    got = dict((r["quantity"], str(r["value"])) for r in recs)
    assert got == {"voltage.a": "230.1", "current.a": "5.123", "power.active.total": "1.15205",
                   "frequency": "49.99"}
    em24 = mp.profile("carlo-gavazzi-em24")
    plan = mp.plan_reads(em24, ["energy.active.import.total", "power.active.total",
                                "frequency", "power_factor.total"])
    assert [(fc, s, c) for fc, s, c, _ in plan] == [(3, 0x28, 14)]
    block = [0] * 14
    block[0:2] = [0xCFC7, 0xFFFF]               # -12345 -> -1234.5 W
    block[9] = 0xFC18                           # PF -1000 -> -1.000
    block[11] = 500                             # 50.0 Hz
    block[12:14] = [0xD687, 0x0012]             # 0012D687H = 1234567 -> 123456.7 kWh
    got = dict((r["quantity"], str(r["value"])) for r in mp.extract(plan, [block]))
    assert got == {"power.active.total": "-1.2345", "power_factor.total": "-1.000",
                   "frequency": "50.0", "energy.active.import.total": "123456.7"}


def test_extract_from_reply_frames_and_errors_per_row():
    rows = mp.profile("chint-ddsu666")
    plan = mp.plan_reads(rows, ["voltage.a", "energy.active.import.total"])
    reqs = mp.read_requests(7, plan)
    assert [modbus_frame.decode_dict(r)["start"] for r in reqs] == [0x2000, 0x4000]
    replies = [modbus_build.registers_reply(7, 4, f32("231.5")),
               modbus_build.exception_reply(7, 4, 2)]
    recs = mp.extract(plan, replies)
    assert str(recs[0]["value"]) == "231.5" and "error" not in recs[0]
    assert recs[1]["value"] is None and "illegal_data_address" in recs[1]["error"]
    nan = mp.extract(plan, [[0x7FC0, 0], f32("1")])
    assert nan[0]["value"] is None and "NaN" in nan[0]["error"] and str(nan[1]["value"]) == "1"
    wrong = mp.extract(plan, [modbus_build.registers_reply(7, 3, [1, 2]), [1]])
    assert all(r["value"] is None for r in wrong)
    with pytest.raises(LengthError):
        mp.extract(plan, [[0, 0]])


def test_plan_respects_gap_and_size_limits():
    rows = mp.profile("eastron-sdm630")
    everything = mp.plan_reads(rows)
    for fc, start, count, chosen in everything:
        assert 1 <= count <= 125 and fc == 4
        for r in chosen:
            assert start <= r[2] and r[2] + modbus_values.register_count(r[3]) <= start + count
    assert sum(len(c) for _, _, _, c in everything) == len(rows)
    tight = mp.plan_reads(rows, max_gap=0)
    assert len(tight) > len(everything)
    small = mp.plan_reads(rows, max_count=10, max_gap=100)
    assert all(c <= 10 for _, _, c, _ in small)
    by_label = mp.plan_reads(rows, ["Line 1 to line 2 volts"])
    assert by_label[0][1:3] == (0xC8, 2)
    with pytest.raises(UnknownIdentifierError):
        mp.plan_reads(rows, ["voltage.x"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("holding", "input")), st.integers(0, 600),
                          st.sampled_from(("uint16", "int32", "float32", "float64"))),
                min_size=1, max_size=30),
       st.integers(0, 20), st.integers(4, 125))
def test_plan_covers_every_row_once_within_limits(specs, gap, limit):
    rows = tuple(mp.validate_row((None, t, s, d, "big", None, "", "r%d" % i))
                 for i, (t, s, d) in enumerate(specs))
    plan = mp.plan_reads(rows, max_gap=gap, max_count=limit)
    seen = []
    for fc, start, count, chosen in plan:
        assert count <= limit
        for r in chosen:
            assert fc == dict(mp.TABLES)[r[1]]
            assert start <= r[2] and r[2] + modbus_values.register_count(r[3]) <= start + count
            seen.append(r)
    assert sorted(seen) == sorted(rows)
    # greedy is minimal: two neighbouring requests of one table could not be merged
    for a, b in zip(plan, plan[1:]):
        if a[0] == b[0]:
            assert b[1] - (a[1] + a[2]) > gap or b[1] + b[2] - a[1] > limit


def test_overrides_and_device_settings():
    rows = mp.profile("generic", [
        {"quantity": "energy.active.import.total", "table": "input", "start": "0x0100",
         "type": "uint32", "order": "little", "scale": -2, "unit": "kWh"},
        ("power.active.total", "input", 0x0110, "int32", "little", None, "W", "P"),
    ])
    assert rows[0][1:6] == ("input", 0x100, "uint32", "little", -2) and len(rows) == 2
    plan = mp.plan_reads(rows)
    recs = mp.extract(plan, [[0x5678, 0x1234] + [0] * 14 + [0xFFFF, 0xFFFF]])
    assert [str(r["value"]) for r in recs] == ["3054198.96", "-0.001"]
    moved = mp.profile("eastron-sdm120", order="little", table="holding")
    assert set(r[1] for r in moved) == {"holding"} and set(r[4] for r in moved) == {"little"}


@pytest.mark.parametrize("row", [
    ("voltage.a", "coils", 0, "uint16", "big", None, "V", "x"),
    ("voltage.a", "input", -1, "uint16", "big", None, "V", "x"),
    ("voltage.a", "input", 0xFFFF, "uint32", "big", None, "V", "x"),
    ("voltage.a", "input", 0, "float", "big", None, "V", "x"),
    ("voltage.a", "input", 0, "uint16", "middle", None, "V", "x"),
    ("voltage.a", "input", 0, "uint16", "big", 0.5, "V", "x"),
    ("voltage.a", "input", 0, "uint16", "big", None, "kV", "x"),      # no power-of-ten map
    ("power.active.total", "input", 0, "uint16", "big", None, "A", "x"),
    ("voltage.z", "input", 0, "uint16", "big", None, "V", "x"),
    (None, "input", 0, "uint16", "big", None, "V"),                    # no name at all
    ("voltage.a", "input", "zz", "uint16", "big", None, "V", "x"),
    ("voltage.a", "input", 0, ["uint16"], "big", None, "V", "x"),
    ("voltage.a", ["input"], 0, "uint16", "big", None, "V", "x"),
    ("voltage.a", "input", 0, "uint16", "big", None, {"V": 1}, "x"),
    (7, "input", 0, "uint16", "big", None, "V", "x"),
])
def test_bad_rows_are_refused_clearly(row):
    with pytest.raises((BadValueError, UnknownIdentifierError)):
        mp.validate_row(row)


def test_config_row_with_a_misspelt_field_is_refused():
    row = {"quantity": "voltage.a", "table": "input", "adress": 0, "type": "uint16",
           "order": "big", "unit": "V"}
    with pytest.raises(BadValueError) as info:
        mp.validate_row(row)
    assert "adress" in str(info.value)


def test_unknown_profile():
    with pytest.raises(UnknownIdentifierError) as info:
        mp.profile("acme-1000")
    assert "eastron-sdm120" in str(info.value)


@pytest.mark.parametrize("name", mp.names())
def test_simulated_meter_image_reads_back(name):
    rows = mp.profile(name)
    values = {}
    for i, r in enumerate(rows):
        dtype, scale = r[3], r[5] or 0
        # a value every row can hold exactly: digits at the row's own scale, shifted to
        # the canonical unit
        raw = Num(100 + 37 * i if not dtype.startswith("u") else 1000 + 37 * i, scale)
        values[r[0] or r[7]] = raw.scaled(mp.unit_shift(r)[1])
    image = mp.register_image(rows, values)
    plan = mp.plan_reads(rows)
    replies = [[image.get((r[1], a), 0) for a in range(s, s + c)]
               for fc, s, c, chosen in plan for r in chosen[:1]]
    for rec in mp.extract(plan, replies):
        assert rec["value"] == values[rec["quantity"] or rec["label"]], rec
        assert "error" not in rec


def test_row_registers_refuses_unrepresentable_values():
    em24 = dict((r[0], r) for r in mp.profile("carlo-gavazzi-em24"))
    with pytest.raises(CodecError):
        mp.row_registers(em24["voltage.a"], Num(23015, -2))     # 0.01 V: finer than x10
    assert mp.row_registers(em24["voltage.a"], Num(2301, -1)) == [2301, 0]
