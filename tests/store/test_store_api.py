"""The SQLite store's small APIs for other packages: gaps, stored meters, quick_check,
and the exact number types it takes."""

from decimal import Decimal

import pytest

from store import Store

T = 1795017600   # 2026-11-20 00:00 local


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db", synchronous="normal")
    yield s
    s.close()


def reading(meter="m-0001", value=Decimal("1.5"), q="energy.active.import.total", ts=T):
    return {"meter": meter, "q": q, "unit": "kWh", "kind": "daily", "ts": ts, "value": value,
            "src": "meter"}


def test_given_up_gaps_are_kept_per_kind(store):
    assert store.gaps_given_up("daily") == set()
    store.gap_give_up("m-0001", "daily", T)
    store.gap_give_up("m-0001", "daily", T)            # twice: still one gap
    store.gap_give_up("m-0002", "daily", T - 86400)
    store.gap_give_up("m-0001", "hourly", T)
    assert store.gaps_given_up("daily") == {("m-0001", T), ("m-0002", T - 86400)}
    assert store.gaps_given_up("hourly") == {("m-0001", T)}
    assert store.gaps_given_up("monthly") == set()
    with pytest.raises(ValueError, match="frozen kind"):
        store.gap_give_up("m-0001", "realtime", T)
    store.wipe()
    assert store.gaps_given_up("daily") == set()


def test_given_up_gaps_survive_a_reopen(store, tmp_path):
    store.gap_give_up("m-0007", "monthly", T)
    store.close()
    again = Store(tmp_path / "s.db")
    try:
        assert again.gaps_given_up("monthly") == {("m-0007", T)}
    finally:
        again.close()


def test_stored_meter_ids_are_those_with_history(store):
    store.put_readings([reading("m-0001"), reading("m-0003")])
    assert store.stored_meter_ids(["m-0001", "m-0002", "m-0003"]) == {"m-0001", "m-0003"}
    assert store.stored_meter_ids([]) == set()
    many = ["m-%04d" % i for i in range(1, 2001)]          # more than one SQL statement's worth
    assert store.stored_meter_ids(many) == {"m-0001", "m-0003"}


def test_quick_check_says_ok_on_a_sound_file(store):
    store.put_readings([reading()])
    assert store.quick_check() == "ok"


@pytest.mark.parametrize("value", [1.5, "12.5x", b"1", [1]])
def test_a_number_of_another_type_is_refused_naming_the_type(store, value):
    store.put_readings([reading()])                     # the quantity is a number now
    with pytest.raises(TypeError, match=type(value).__name__):
        store.put_readings([reading(value=value, ts=T + 86400)])
    assert len(store.readings("daily")) == 1


def test_a_float_is_never_a_meter_value(store):
    with pytest.raises(TypeError, match="float"):
        store.put_readings([reading(value=1.5)])


def test_ints_and_decimals_are_numbers(store):
    store.put_readings([reading(value=12), reading(value=Decimal("12.50"), ts=T + 86400)])
    assert [x["value"] for x in store.readings("daily")] == [Decimal("12"), Decimal("12.50")]


def test_an_event_detail_with_an_unknown_type_is_refused(store):
    with pytest.raises(TypeError, match="object"):
        store.put_event(T, "value_implausible", detail={"value": object()})
