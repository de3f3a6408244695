"""Simulated M-Bus meters: records, storage numbers, FCB, addressing, selection."""

import datetime

import pytest

from drivers.clock import VirtualClock
from protocols.mbus import codec
from sim.meters import MbusMeter
from sim.model_clock import epoch_of_local


def setup(address="5", **options):
    clk = VirtualClock(start=epoch_of_local(datetime.datetime(2026, 9, 21, 10, 20), 8 * 3600))
    options.setdefault("secondary", "12345678")
    return clk, MbusMeter(address, clk, **options)


def records(reply):
    d = codec.decode_dict(reply)
    return d, [(r["quantity"], r["storage"], r["value"]) for r in d["records"]]


def test_heat_meter_records_equal_the_oracle():
    clk, m = setup(manufacturer="ABC", version=3)
    assert m.handle(codec.snd_nke(5)) == b"\xE5"
    d, recs = records(m.handle(codec.req_ud2(5, True)))
    h = d["header"]
    assert (h["id"], h["manufacturer"], h["version"], h["medium"], h["address"]) == \
        ("12345678", "ABC", 3, 4, 5)
    current = dict((q, v) for q, s, v in recs if s == 0)
    for q in ("heat.energy.total", "volume.total", "heat.power", "flow.rate",
              "temperature.supply", "temperature.return", "temperature.difference",
              "time.operating"):
        assert current[q] == m.value(q), q
    assert current["meter.datetime"] == "2026-09-21T10:20:00"
    assert current["meter.fabrication_no"] == "12345678"
    assert current["volume.total"].e == -3                  # litres


def test_storage_numbers_are_the_monthly_due_date_values():
    clk, m = setup(storages=4)
    d, recs = records(m.handle(codec.req_ud2(5, True)))
    for k in range(1, 5):
        b = m.boundary("monthly", k)
        frozen = m.frozen("monthly", b)
        mine = dict((q, v) for q, s, v in recs if s == k)
        assert mine["meter.date"] == datetime.datetime.utcfromtimestamp(b + 8 * 3600).strftime(
            "%Y-%m-%d")
        assert mine["heat.energy.total"] == frozen["heat.energy.total"]
        assert mine["volume.total"] == frozen["volume.total"]
    assert max(s for _, s, _ in recs) == 4


def test_fcb_repeat_gets_the_same_telegram_toggle_the_next():
    clk, m = setup(kind="water")
    m.handle(codec.snd_nke(5))
    first = m.handle(codec.req_ud2(5, True))
    clk.advance(600)
    assert m.handle(codec.req_ud2(5, True)) == first                   # retry: same bytes
    second = m.handle(codec.req_ud2(5, False))
    d1, d2 = codec.decode_dict(first), codec.decode_dict(second)
    assert d2["header"]["access_no"] == d1["header"]["access_no"] + 1
    assert records(second)[1] != records(first)[1]                      # fresh values
    assert m.handle(codec.snd_nke(5)) == b"\xE5"
    third = m.handle(codec.req_ud2(5, False))                           # after NKE: new
    assert codec.decode_dict(third)["header"]["access_no"] == d2["header"]["access_no"] + 1
    assert m.repeats == 1


def test_multi_telegram_meter_uses_dif_1f():
    clk, m = setup(kind="water", telegrams=2, storages=8)
    m.handle(codec.snd_nke(5))
    t1 = codec.decode_dict(m.handle(codec.req_ud2(5, True)))
    t2 = codec.decode_dict(m.handle(codec.req_ud2(5, False)))
    t3 = codec.decode_dict(m.handle(codec.req_ud2(5, True)))
    assert t1["more_records_follow"] and not t2["more_records_follow"]
    assert max(r["storage"] for r in t1["records"]) == 1
    assert min(r["storage"] for r in t2["records"] if r["storage"] is not None) == 2
    assert t3["more_records_follow"]                                    # starts over


def test_primary_broadcast_and_wrong_addresses():
    clk, m = setup()
    assert m.handle(codec.req_ud2(6, True)) is None
    assert codec.decode_dict(m.handle(codec.req_ud2(254, True)))["a"] == 5
    assert m.handle(codec.req_ud2(255, True)) is None
    assert m.handle(codec.snd_nke(255)) is None
    assert m.handle(codec.set_primary_address(5, 17)) == b"\xE5"
    assert (m.address, m.handle(codec.snd_nke(17))) == ("17", b"\xE5")
    assert m.handle(codec.application_reset(17)) == b"\xE5"
    assert m.handle(codec.set_baud(17, 9600)) == b"\xE5" and m.baud == 9600
    assert m.handle(codec.req_ud1(17, True)) == b"\xE5"


def test_secondary_selection_with_wildcards():
    clk, m = setup(manufacturer="ABC")
    assert m.handle(codec.req_ud2(0xFD, True)) is None
    assert m.handle(codec.select_secondary("12FFFFF8")) == b"\xE5" and m.selected
    assert codec.decode_dict(m.handle(codec.req_ud2(0xFD, True)))["header"]["id"] == "12345678"
    assert m.handle(codec.select_secondary("1234567F", manufacturer="XYZ")) is None
    assert not m.selected                                  # another selection deselects
    assert m.handle(codec.select_secondary("FFFFFFFF", medium=4)) == b"\xE5"
    assert m.handle(codec.deselect()) == b"\xE5" and not m.selected
    assert m.handle(codec.deselect()) is None
    assert m.handle(codec.select_secondary("12345678", version=9)) is None


def test_too_many_storages_are_refused_when_built():
    with pytest.raises(ValueError, match="telegrams=2"):
        setup(storages=11)
    clk, m = setup(storages=13, telegrams=2)
    m.handle(codec.snd_nke(5))
    m.handle(codec.req_ud2(5, True))
    d = codec.decode_dict(m.handle(codec.req_ud2(5, False)))
    assert max(r["storage"] for r in d["records"]) == 13
