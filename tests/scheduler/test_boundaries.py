"""Freeze boundaries in local time (UTC+8, settlement day)."""

import calendar

from hypothesis import given, strategies as st

from scheduler.boundaries import Calendar

CAL = Calendar(8 * 3600, settlement_day=1, settlement_hour=0)


def utc(y, mo, d, h=0, mi=0):
    return calendar.timegm((y, mo, d, h, mi, 0, 0, 0, 0)) - 8 * 3600


def test_floors_and_nexts_are_local():
    t = utc(2026, 11, 23, 14, 37)
    assert CAL.floor("hourly", t) == utc(2026, 11, 23, 14)
    assert CAL.floor("daily", t) == utc(2026, 11, 23)
    assert CAL.floor("monthly", t) == utc(2026, 11, 1)
    assert CAL.next("monthly", t) == utc(2026, 12, 1)
    assert CAL.next("monthly", utc(2026, 12, 5)) == utc(2027, 1, 1)
    assert CAL.iso(utc(2026, 11, 23)) == "2026-11-23T00:00:00"


def test_settlement_day_and_hour():
    cal = Calendar(8 * 3600, settlement_day=15, settlement_hour=8)
    assert cal.floor("monthly", utc(2026, 11, 15, 7)) == utc(2026, 10, 15, 8)
    assert cal.floor("monthly", utc(2026, 11, 15, 8)) == utc(2026, 11, 15, 8)
    assert cal.floor("monthly", utc(2026, 1, 3)) == utc(2025, 12, 15, 8)


def test_between_and_steps():
    days = CAL.between("daily", utc(2026, 11, 20), utc(2026, 11, 23, 1))
    assert days == [utc(2026, 11, d) for d in (20, 21, 22, 23)]
    assert CAL.steps("daily", utc(2026, 11, 20), utc(2026, 11, 23)) == 3
    assert CAL.steps("monthly", utc(2026, 10, 1), utc(2027, 2, 1)) == 4
    months = CAL.between("monthly", utc(2026, 10, 15), utc(2027, 1, 2))
    assert months == [utc(2026, 11, 1), utc(2026, 12, 1), utc(2027, 1, 1)]


@given(st.integers(1_700_000_000, 2_000_000_000), st.sampled_from(["hourly", "daily", "monthly"]))
def test_floor_is_a_boundary_at_or_before_and_next_after(t, kind):
    b = CAL.floor(kind, t)
    assert b <= t < CAL.next(kind, t)
    assert CAL.floor(kind, b) == b and CAL.previous(kind, CAL.next(kind, b)) == b
