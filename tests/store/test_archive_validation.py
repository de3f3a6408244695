"""Meter record validation: each bad field gets its own message; addresses per protocol."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import meter_rules
from protocols import registry
from store import Archive, ArchiveError, MeterRules, normalise

PORTS = ["rs485-1", "rs485-2", "mbus-1", "radio"]
RULES = MeterRules(registry.PROTOCOLS, PORTS, radio_port="radio",
                   choices={"profile": ["eastron-sdm120", "generic"]})


def rec(**kw):
    base = {"id": "m-0003", "address": "1", "protocol": "dlt645-2007", "port": "rs485-1"}
    base.update(kw)
    return dict((k, v) for k, v in base.items() if v is not ...)


@pytest.mark.parametrize("protocol, kind, given_, stored", [
    ("dlt645-2007", None, "12345678", "000012345678"),
    ("dlt645-2007", None, 12345678, "000012345678"),
    ("dlt645-1997", None, " 123456789012 ", "123456789012"),
    ("cjt188", "water", "1", "00000000000001"),
    ("cjt188", "heat", "12345678901234", "12345678901234"),
    ("mbus", "gas", "0", "0"),
    ("mbus", "heat", "007", "7"),
    ("mbus", "water", 250, "250"),
    ("mbus", "heat", "00012345", "00012345"),
    ("modbus", None, "1", "1"),
    ("modbus", None, 247, "247"),
    ("modbus", None, "010", "10"),
])
def test_addresses_are_normalised(protocol, kind, given_, stored):
    r = normalise(rec(protocol=protocol, kind=kind, address=given_), RULES)
    assert r["address"] == stored


@pytest.mark.parametrize("protocol, kind, address, words", [
    ("dlt645-2007", None, "1234567890123", "use 1 to 12 decimal digits"),
    ("dlt645-2007", None, "12AB", "use 1 to 12 decimal digits"),
    ("dlt645-2007", None, "999999999999", "is the DL/T645 broadcast address"),
    ("dlt645-1997", None, -5, "use 1 to 12 decimal digits"),
    ("dlt645-1997", None, True, "use 1 to 12 decimal digits"),
    ("cjt188", "water", "123456789012345", "use 1 to 14 decimal digits"),
    ("cjt188", "water", "AAAAAAAAAAAAAA", "use 1 to 14 decimal digits"),
    ("mbus", "heat", "251", "primary address 0 to 250 or an 8-digit secondary"),
    ("mbus", "heat", "12345", "primary address 0 to 250 or an 8-digit secondary"),
    ("mbus", "heat", 12345678, "primary address 0 to 250 or an 8-digit secondary"),
    ("modbus", None, "0", "use a slave id 1 to 247"),
    ("modbus", None, "248", "use a slave id 1 to 247"),
])
def test_bad_addresses_say_what_is_allowed(protocol, kind, address, words):
    with pytest.raises(ArchiveError) as info:
        normalise(rec(protocol=protocol, kind=kind, address=address), RULES)
    msg = str(info.value)
    assert msg.startswith("meter m-0003: address")
    assert "not valid for %s" % protocol in msg or "broadcast" in msg
    assert words in msg
    assert info.value.field == "address"


@pytest.mark.parametrize("changes, field, words", [
    ({"id": "bad id!"}, "id", "use 1 to 32 letters, digits"),
    ({"id": "x" * 33}, "id", "use 1 to 32 letters"),
    ({"protocol": "dlt645"}, "protocol", "use one of dlt645-2007, dlt645-1997, cjt188, mbus, modbus"),
    ({"protocol": ...}, "protocol", "protocol is missing"),
    ({"address": ...}, "address", "address is missing"),
    ({"address": ""}, "address", "address is missing"),
    ({"port": ...}, "port", "port is missing: use one of rs485-1, rs485-2, mbus-1, radio"),
    ({"port": "rs485-9"}, "port", "'rs485-9' does not exist: use one of rs485-1, rs485-2, mbus-1, radio"),
    ({"port": "radio"}, "port", "is the radio module: set radio=true, or choose a wired port"),
    ({"radio": True}, "port", "is not the radio port: a radio meter is on radio"),
    ({"radio": "maybe"}, "radio", "true or false"),
    ({"kind": "water"}, "kind", "is not allowed for dlt645-2007: use electricity"),
    ({"protocol": "cjt188"}, "kind", "kind is missing: cjt188 meters are water or gas or heat"),
    ({"protocol": "cjt188", "kind": "electricity"}, "kind", "use water or gas or heat"),
    ({"protocol": "modbus", "kind": "heat"}, "kind", "use electricity"),
    ({"colour": "red", "size": 1}, "field", "'colour, size' is not a meter field: use id, address,"),
    ({"name": 5}, "name", "is not text"),
    ({"area": "x" * 65}, "area", "up to 64 characters"),
    ({"tariff": "a\nb"}, "tariff", "without control characters"),
    ({"limits": "power=5"}, "limits", "is not a set of limits"),
    ({"limits": {"power": 5}}, "limits", "'power' is not a limit: use power_max_kw, daily_max, zero_days"),
    ({"limits": {"power_max_kw": "-1"}}, "limits.power_max_kw", "a decimal number >= 0"),
    ({"limits": {"daily_max": "lots"}}, "limits.daily_max", "a decimal number >= 0"),
    ({"limits": {"zero_days": "2.5"}}, "limits.zero_days", "a whole number >= 0"),
    ({"options": {"di_order": "le"}}, "options", "'di_order' is not an option of dlt645-2007: use password, operator, level"),
    ({"options": {"password": "12345"}}, "options.password", "6 hex digits"),
    ({"options": {"operator": "xyz"}}, "options.operator", "8 hex digits"),
    ({"options": {"level": 12}}, "options.level", "password level 0 to 9"),
    ({"protocol": "dlt645-1997", "options": {"operator": "00000000"}}, "options", "not an option of dlt645-1997: use password, level"),
    ({"protocol": "cjt188", "kind": "gas", "options": {"di_order": "middle"}}, "options.di_order", "le or be"),
    ({"protocol": "modbus", "options": {"profile": "abb-x"}}, "options.profile", "one of eastron-sdm120, generic"),
    ({"protocol": "mbus", "kind": "heat", "options": {"secondary": "123"}}, "options.secondary", "8-digit"),
    ({"protocol": "mbus", "kind": "heat", "address": "12345678", "options": {"secondary": "87654321"}},
     "options.secondary", "give the secondary address once"),
    ({"added": -1}, "added", "epoch seconds"),
])
def test_each_bad_field_has_its_message(changes, field, words):
    with pytest.raises(ArchiveError) as info:
        normalise(rec(**changes), RULES)
    assert info.value.field == field
    assert words in str(info.value)
    assert "meter " in str(info.value)


def test_not_a_record():
    with pytest.raises(ArchiveError, match="must be an object of fields"):
        normalise(["m-0001"], RULES)


def test_optional_fields_are_normalised():
    r = normalise(rec(protocol="DLT645-1997", radio="no", area=" B2 ", tariff="", name="门卫 1",
                      limits={"power_max_kw": 7.5, "daily_max": "030.50", "zero_days": "3"},
                      options={"password": "abcdef", "level": "4"}, added="17"), RULES)
    assert r == {"id": "m-0003", "address": "000000000001", "protocol": "dlt645-1997",
                 "port": "rs485-1", "kind": "electricity", "radio": False, "area": "B2",
                 "limits": {"daily_max": "30.50", "power_max_kw": "7.5", "zero_days": 3},
                 "options": {"level": 4, "password": "ABCDEF"}, "name": "门卫 1", "added": 17}
    assert list(r) == ["id", "address", "protocol", "port", "kind", "radio", "area",
                       "limits", "options", "name", "added"]


def test_radio_meter_gets_the_radio_port():
    r = normalise(rec(protocol="cjt188", kind="water", radio=True, port=...), RULES)
    assert r["port"] == "radio" and r["radio"] is True


def test_without_port_names_any_port_name_goes():
    assert normalise(rec(port="/dev/ttyS3"), meter_rules())["port"] == "/dev/ttyS3"


def test_without_protocol_rows_no_protocol_is_known():
    with pytest.raises(ArchiveError, match="is not supported"):
        normalise(rec(), MeterRules())


@given(st.text("0123456789", min_size=1, max_size=12))
def test_any_dlt645_address_pads_to_twelve(digits):
    if digits.zfill(12) == "9" * 12:
        return
    r = normalise(rec(address=digits), RULES)
    assert r["address"] == digits.zfill(12) and int(r["address"]) == int(digits)


@given(st.integers(0, 250))
def test_any_mbus_primary(n):
    assert normalise(rec(protocol="mbus", kind="heat", address=str(n)), RULES)["address"] == str(n)


# ------------------------------------------------------------ duplicates

@pytest.fixture
def archive(tmp_path):
    return Archive(tmp_path / "a.json", meter_rules(PORTS, "radio"))


def test_same_address_same_family_same_port_is_refused(archive):
    archive.add(rec(id="a", address="12345678"), now=1)
    with pytest.raises(ArchiveError) as info:
        archive.add(rec(id="b", address="012345678", protocol="dlt645-1997"), now=1)
    assert "meters a and b have the same address 000012345678 on port rs485-1 (dlt645)" \
        in str(info.value)
    assert archive.ids() == ["a"]


def test_same_address_within_one_list_is_refused(archive):
    with pytest.raises(ArchiveError, match="meters a and b have the same address"):
        archive.add([rec(id="a"), rec(id="b")], now=1)
    assert archive.count() == 0


@pytest.mark.parametrize("other", [
    {"port": "rs485-2"},
    {"protocol": "modbus"},
    {"protocol": "cjt188", "kind": "water"},
])
def test_same_address_elsewhere_is_fine(archive, other):
    archive.add(rec(id="a", address="1"), now=1)
    archive.add(rec(id="b", address="1", **other), now=1)
    assert archive.count() == 2


def test_mbus_secondary_option_counts_as_the_address(archive):
    archive.add(rec(id="a", protocol="mbus", kind="heat", port="mbus-1", address="12345678"), now=1)
    with pytest.raises(ArchiveError, match="meters a and b"):
        archive.add(rec(id="b", protocol="mbus", kind="heat", port="mbus-1", address="3",
                        options={"secondary": "12345678"}), now=1)


def test_update_into_a_duplicate_is_refused(archive):
    archive.add([rec(id="a", address="1"), rec(id="b", address="2")], now=1)
    with pytest.raises(ArchiveError, match="meters a and b have the same address"):
        archive.update("b", {"address": "1"})
    assert archive.get("b")["address"] == "000000000002"
