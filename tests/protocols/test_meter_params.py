"""The meter parameters each protocol package says a concentrator may write."""

import pytest

from protocols import registry
from protocols.core.errors import BadValueError
from protocols.core.num import Num
from protocols.dlt645 import items


def test_dlt645_params_checked_and_encodable():
    p = registry.meter_params("dlt645-2007")
    assert p.check("settlement.day.1", "15T08") == "15T08"
    assert p.check("settlement.day.2", "99T99") == "99T99"
    assert p.check("freeze.daily.time", "23:59") == "23:59"
    assert p.check("freeze.hourly.interval", "30") == Num(30, 0)
    for name, value in (("settlement.day.1", "99T99"), ("settlement.day.1", "29T00"),
                        ("settlement.day.1", "1T00"), ("freeze.daily.time", "24:00"),
                        ("freeze.hourly.interval", 45), ("freeze.hourly.interval", True),
                        ("tariff", 1)):
        with pytest.raises(BadValueError):
            p.check(name, value)
    for name in p.names():          # each is a DI the codec reads and writes
        item = items.lookup(p.di_of(name))
        assert item is not None and item.quantity == name
    assert items.encode_items(p.di_of("freeze.daily.time"), "00:30") == b"\x30\x00"


def test_cjt188_params_and_who_has_none():
    p = registry.meter_params("cjt188")
    assert p.check("settlement.day", "20") == 20 and p.dis_of("settlement.day")[1] == 0xA011
    for value in (0, 29, "x", None, True):
        with pytest.raises(BadValueError):
            p.check("settlement.day", value)
    assert registry.meter_params("mbus") is None and registry.meter_params("modbus") is None
