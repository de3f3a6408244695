"""Archive CSV export/import: round trip, Excel's BOM, line-numbered errors, all or nothing."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import Archive, ArchiveCsvError, ArchiveError
from store.documents.archive_csv import export, import_, read_rows
from gateway.config import meter_rules

PORTS = ["rs485-1", "rs485-2", "mbus-1", "radio"]
HEADER = "id,address,protocol,port,kind,radio,area,tariff,limits,options,name,added\n"


def make(tmp_path, name="a.json"):
    return Archive(tmp_path / name, meter_rules(PORTS, "radio"))


def meters():
    return [
        {"id": "m-0001", "address": "12345678", "protocol": "dlt645-2007", "port": "rs485-1",
         "area": "B2", "limits": {"power_max_kw": "10", "zero_days": 3},
         "options": {"password": "000000", "operator": "0000000A", "level": 2}, "name": "门卫, 东"},
        {"id": "m-0002", "address": "1", "protocol": "cjt188", "kind": "water", "radio": True,
         "options": {"di_order": "be"}, "tariff": "居民"},
        {"id": "m-0003", "address": "00012345", "protocol": "mbus", "kind": "heat",
         "port": "mbus-1", "limits": {"daily_max": "12.5"}},
        {"id": "m-0004", "address": "7", "protocol": "modbus", "port": "rs485-2",
         "options": {"profile": "eastron-sdm630"}},
    ]


@pytest.mark.parametrize("bom", [False, True])
def test_round_trip(tmp_path, bom):
    a = make(tmp_path)
    a.add(meters(), now=1795000000)
    assert export(a, tmp_path / "m.csv", bom=bom) == 4
    raw = (tmp_path / "m.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    b = make(tmp_path, "b.json")
    result = import_(b, tmp_path / "m.csv")
    assert result == (["m-0001", "m-0002", "m-0003", "m-0004"], [])
    assert b.list() == a.list()
    # importing the same file again changes nothing
    assert import_(b, tmp_path / "m.csv") == ([], [])


def test_export_format(tmp_path):
    a = make(tmp_path)
    a.add(meters()[:1], now=5)
    out = io.StringIO()
    export(a, out)
    assert out.getvalue() == (
        HEADER.replace("\n", "\r\n") +
        'm-0001,000012345678,dlt645-2007,rs485-1,electricity,false,B2,,'
        'power_max_kw=10;zero_days=3,level=2;operator=0000000A;password=000000,"门卫, 东",5\r\n')


def test_excel_file_with_bom_and_some_columns(tmp_path):
    data = ("\ufeffAddress,Protocol,Port,Kind,Name\r\n"
            "000000000011,dlt645-2007,rs485-1,,一号楼\r\n"
            "\r\n"
            "22,cjt188,rs485-2,gas,\r\n").encode("utf-8")
    a = make(tmp_path)
    added, updated = import_(a, io.BytesIO(data), now=9)
    assert (added, updated) == (["m-0001", "m-0002"], [])
    assert a.get("m-0001")["name"] == "一号楼"
    assert a.get("m-0002")["address"] == "00000000000022"


def test_update_replaces_and_replace_removes(tmp_path):
    a = make(tmp_path)
    a.add(meters(), now=1)
    text = HEADER + "m-0001,12345678,dlt645-2007,rs485-2,,,,,,,,\nm-0009,5,modbus,rs485-1,,,,,,,,\n"
    result = import_(a, io.StringIO(text), replace=True, now=2)
    assert result == (["m-0009"], ["m-0001"])
    assert result.removed == ["m-0002", "m-0003", "m-0004"]
    m1 = a.get("m-0001")
    assert m1["port"] == "rs485-2" and "area" not in m1 and "limits" not in m1
    assert m1["added"] == 1
    assert a.ids() == ["m-0001", "m-0009"]


def _error(tmp_path, text, archive=None):
    a = archive or make(tmp_path)
    before = a.list()
    with pytest.raises(ArchiveCsvError) as info:
        import_(a, io.StringIO(text), now=1)
    assert a.list() == before
    return info.value


@pytest.mark.parametrize("text, line, words", [
    ("", 1, "the file is empty"),
    ("id,address,colour\n", 1, "column 'colour' is not a meter field"),
    ("id,address,address\n", 1, "column address appears twice"),
    (HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,,,,\nm-2,12AB,dlt645-2007,rs485-1,,,,,,,,\n", 3,
     "line 3: meter m-2: address '12AB' is not valid for dlt645-2007"),
    (HEADER + "m-1,1,dlt645-2007,rs485-9,,,,,,,,\n", 2, "line 2: meter m-1: port 'rs485-9' does not exist"),
    (HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,power_max_kw,,,\n", 2,
     "line 2, limits: 'power_max_kw' is not key=value"),
    (HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,,level=1;level=2,,\n", 2, "line 2, options: level is given twice"),
    (HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,,,,,extra\n", 2, "has 13 cells but the header names 12"),
    (HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,,,,\nm-1,2,dlt645-2007,rs485-1,,,,,,,,\n", 3,
     "line 3: meter id m-1 is on line 2 too"),
    (HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,,,,\nm-2,01,dlt645-1997,rs485-1,,,,,,,,\n", 3,
     "line 3: address 000000000001 on port rs485-1 (dlt645) is on line 2 too"),
    (HEADER + 'm-1,1,dlt645-2007,rs485-1,,,,,,,"unterminated\n', 2, "unexpected end of data"),
])
def test_errors_name_the_line_and_field(tmp_path, text, line, words):
    err = _error(tmp_path, text)
    assert err.line == line
    assert words in str(err)


def test_all_bad_lines_are_reported_at_once(tmp_path):
    text = HEADER + "".join("m-%d,x%d,dlt645-2007,rs485-1,,,,,,,,\n" % (i, i) for i in range(25))
    err = _error(tmp_path, text)
    assert "25 of 25 lines are not valid, nothing was imported" in str(err)
    assert "line 2: meter m-0:" in str(err) and "line 21: meter m-19:" in str(err)
    assert "... and 5 more" in str(err)
    assert len(err.errors) == 25


def test_clash_with_an_existing_meter_names_the_line(tmp_path):
    a = make(tmp_path)
    a.add(meters(), now=1)
    err = _error(tmp_path, HEADER + "m-0009,12345678,dlt645-1997,rs485-1,,,,,,,,\n", a)
    assert "line 2: meters m-0001 and m-0009 have the same address 000012345678" in str(err)
    assert "nothing was imported" in str(err)


def test_not_utf8(tmp_path):
    (tmp_path / "gbk.csv").write_bytes((HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,,,门卫,\n")
                                       .encode("gbk"))
    err = _error_path(tmp_path, tmp_path / "gbk.csv")
    assert 'save it as "CSV UTF-8"' in str(err)
    assert err.line == 2


def _error_path(tmp_path, path):
    with pytest.raises(ArchiveCsvError) as info:
        import_(make(tmp_path), path, now=1)
    return info.value


def test_read_rows_parses_pairs():
    rows = read_rows(io.StringIO(HEADER + "m-1,1,dlt645-2007,rs485-1,,,,,zero_days=3; daily_max=5,,,\n"))
    assert rows == [(2, {"id": "m-1", "address": "1", "protocol": "dlt645-2007",
                         "port": "rs485-1", "limits": {"zero_days": "3", "daily_max": "5"}})]


def test_csv_error_is_an_archive_error():
    assert issubclass(ArchiveCsvError, ArchiveError)


_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20).map(str.strip)


@given(name=_TEXT, area=_TEXT, tariff=_TEXT)
@settings(max_examples=60, deadline=None)
def test_any_text_fields_round_trip(tmp_path_factory, name, area, tariff):
    d = tmp_path_factory.mktemp("rt")
    a = make(d)
    a.add({"address": "1", "protocol": "dlt645-2007", "port": "rs485-1", "name": name,
           "area": area, "tariff": tariff}, now=1)
    out = io.StringIO()
    export(a, out)
    b = make(d, "b.json")
    import_(b, io.StringIO(out.getvalue()))
    assert b.list() == a.list()
