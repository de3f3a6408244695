"""The archive: adding, changing and removing meters; ids, revision, events; loading."""

import json
import os

import pytest

from store import Archive, ArchiveError, StoreFileError, UnknownMeterError, archive_record
from gateway.config import meter_rules

PORTS = ["rs485-1", "rs485-2", "mbus-1", "rs485-4", "radio"]
T0 = 1795000000


class FakeClock:
    def __init__(self, t):
        self.t = t

    def time(self):
        return self.t + 0.7


def elec(address, **kw):
    return dict({"address": address, "protocol": "dlt645-2007", "port": "rs485-1"}, **kw)


@pytest.fixture
def events():
    return []


@pytest.fixture
def archive(tmp_path, events):
    return Archive(tmp_path / "archive.json", meter_rules(PORTS, "radio"),
                   on_change=lambda kind, ids: events.append((kind, ids)), clock=FakeClock(T0))


def test_add_normalises_and_stamps(archive, events):
    added = archive.add(elec("12345678"))
    assert added == [{"id": "m-0001", "address": "000012345678", "protocol": "dlt645-2007",
                      "port": "rs485-1", "kind": "electricity", "radio": False, "added": T0}]
    assert archive.get("m-0001") == added[0]
    assert archive.count() == 1
    assert events == [("added", ["m-0001"])]


def test_add_with_explicit_now_and_own_id(archive):
    r = archive.add({"id": "gate.1", "address": "5", "protocol": "mbus", "port": "mbus-1",
                     "kind": "heat"}, now=42)
    assert r[0]["id"] == "gate.1" and r[0]["added"] == 42 and r[0]["address"] == "5"


def test_add_needs_a_time(tmp_path):
    a = Archive(tmp_path / "a.json", meter_rules())
    with pytest.raises(ArchiveError, match="pass now="):
        a.add(elec("1"))
    assert a.count() == 0


def test_list_filters_and_sorts(archive):
    archive.add([elec("3", id="b"), elec("1", id="a"),
                 {"id": "w", "address": "7", "protocol": "cjt188", "kind": "water", "port": "rs485-2"}])
    assert [m["id"] for m in archive.list()] == ["a", "b", "w"]
    assert [m["id"] for m in archive.list(port="rs485-2")] == ["w"]
    assert [m["id"] for m in archive.list(protocol="dlt645-2007")] == ["a", "b"]
    assert [m["id"] for m in archive.list(kind="water")] == ["w"]
    assert archive.list(port="radio") == []


def test_list_add_is_all_or_nothing(archive, events):
    archive.add(elec("1"))
    with pytest.raises(ArchiveError, match=r"record 2 of 2: meter \(new\): address 'x'"):
        archive.add([elec("2"), elec("x")])
    assert archive.ids() == ["m-0001"]
    assert events == [("added", ["m-0001"])]


def test_generated_ids_are_never_reused(archive):
    archive.add([elec("1"), elec("2")])
    archive.remove("m-0002")
    assert archive.add(elec("3"))[0]["id"] == "m-0003"
    archive.add(elec("4", id="m-0010"))
    assert archive.add(elec("5"))[0]["id"] == "m-0011"


def test_ids_survive_a_restart(tmp_path, archive):
    archive.add([elec("1"), elec("2")])
    archive.remove(["m-0001", "m-0002"])
    again = Archive(tmp_path / "archive.json", meter_rules(PORTS), clock=FakeClock(T0))
    assert again.add(elec("1"))[0]["id"] == "m-0003"


def test_existing_id_is_refused(archive):
    archive.add(elec("1", id="x"))
    with pytest.raises(ArchiveError, match="meter x exists already"):
        archive.add(elec("2", id="x"))


def test_update_merges_fields_and_limits(archive, events):
    archive.add(elec("1", area="B2", limits={"power_max_kw": "10", "zero_days": 3}))
    r = archive.update("m-0001", {"name": "门卫", "area": None,
                                  "limits": {"daily_max": "50.5", "zero_days": None}})
    assert r["name"] == "门卫" and "area" not in r
    assert r["limits"] == {"power_max_kw": "10", "daily_max": "50.5"}
    assert r["added"] == T0
    assert archive.get("m-0001") == r
    assert events[-1] == ("updated", ["m-0001"])


def test_update_revalidates_the_whole_record(archive):
    archive.add(elec("123456789012"))
    with pytest.raises(ArchiveError, match="not valid for cjt188") as info:
        archive.update("m-0001", {"protocol": "cjt188", "kind": "water", "address": "x1"})
    assert info.value.field == "address"
    r = archive.update("m-0001", {"protocol": "cjt188", "kind": "water"})
    assert r["address"] == "00123456789012"


def test_update_unchanged_is_not_an_event(archive, events):
    archive.add(elec("1"))
    rev = archive.revision
    archive.update("m-0001", {"address": "000000000001"})
    assert archive.revision == rev
    assert events == [("added", ["m-0001"])]


@pytest.mark.parametrize("changes, words", [
    ({"id": "other"}, "the id cannot be changed"),
    ({"added": 5}, "added is set by the archive"),
    ({"colour": "red"}, "'colour' is not a meter field: use id, address"),
])
def test_update_refusals(archive, changes, words):
    archive.add(elec("1"))
    with pytest.raises(ArchiveError, match=words):
        archive.update("m-0001", changes)


def test_unknown_ids(archive):
    archive.add(elec("1"))
    with pytest.raises(UnknownMeterError) as info:
        archive.get("m-0009")
    assert info.value.message == "no meter m-0009"
    with pytest.raises(UnknownMeterError, match="no meter m-0009"):
        archive.update("m-0009", {"name": "x"})
    with pytest.raises(UnknownMeterError, match="no meters m-0008, m-0009"):
        archive.remove(["m-0001", "m-0008", "m-0009"])
    assert archive.ids() == ["m-0001"]


def test_remove(archive, events):
    archive.add([elec("1"), elec("2"), elec("3")])
    assert archive.remove(["m-0001", "m-0003"]) == ["m-0001", "m-0003"]
    assert archive.ids() == ["m-0002"]
    assert events[-1] == ("removed", ["m-0001", "m-0003"])


def test_revision_increases_and_persists(tmp_path, archive):
    r0 = archive.revision
    archive.add(elec("1"))
    archive.update("m-0001", {"name": "a"})
    archive.remove("m-0001")
    assert archive.revision == r0 + 3
    assert Archive(tmp_path / "archive.json", meter_rules()).revision == r0 + 3


def test_change_by_another_instance_is_noticed(tmp_path, archive):
    other = Archive(tmp_path / "archive.json", meter_rules(PORTS), clock=FakeClock(T0))
    rev = archive.revision
    other.add(elec("1"))
    assert archive.ids() == ["m-0001"]
    assert archive.revision == rev + 1


def test_failing_listener_does_not_undo(tmp_path):
    def boom(kind, ids):
        raise RuntimeError("listener")

    a = Archive(tmp_path / "a.json", meter_rules(), on_change=boom, clock=FakeClock(T0))
    a.add(elec("1"))
    assert a.count() == 1


def test_crash_during_a_change_keeps_the_old_archive(tmp_path, archive, monkeypatch):
    archive.add(elec("1"))

    def power_cut(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(StoreFileError):
        archive.add(elec("2"))
    monkeypatch.undo()
    assert archive.ids() == ["m-0001"]
    assert Archive(tmp_path / "archive.json", meter_rules()).ids() == ["m-0001"]


def _stored(path, rows):
    doc = {"meters": dict((str(i), r) for i, r in enumerate(rows, 1))}
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("rows, words", [
    ([{"id": "a", "address": "1", "protocol": "dlt645-2007", "port": "rs485-9"}],
     "meters document 1: meter a: port 'rs485-9' does not exist"),
    ([{"address": "1", "protocol": "dlt645-2007", "port": "rs485-1"}],
     "meters document 1: the id is missing"),
    ([{"id": "a", "address": "1", "protocol": "dlt645-2007", "port": "rs485-1"},
      {"id": "a", "address": "2", "protocol": "dlt645-2007", "port": "rs485-1"}],
     "meters document 2: meter id a appears twice"),
    ([{"id": "a", "address": "1", "protocol": "dlt645-2007", "port": "rs485-1"},
      {"id": "b", "address": "01", "protocol": "dlt645-1997", "port": "rs485-1"}],
     "meters a and b have the same address 000000000001"),
])
def test_loading_a_broken_archive_fails_clearly(tmp_path, rows, words):
    path = tmp_path / "archive.json"
    _stored(path, rows)
    with pytest.raises(ArchiveError) as info:
        Archive(path, meter_rules(PORTS))
    assert words in str(info.value)
    assert str(path) in str(info.value)


def test_other_tables_in_the_file_are_kept(tmp_path):
    path = tmp_path / "archive.json"
    path.write_text(json.dumps({"users": {"1": {"name": "op"}}}))
    a = Archive(path, meter_rules(), clock=FakeClock(T0))
    a.add(elec("1"))
    assert json.loads(path.read_text())["users"] == {"1": {"name": "op"}}


def test_concurrent_adds_get_distinct_ids(tmp_path):
    a = Archive(tmp_path / "a.json", meter_rules(), clock=FakeClock(T0))
    b = Archive(tmp_path / "a.json", meter_rules(), clock=FakeClock(T0))

    def work(archive, base):
        for i in range(10):
            archive.add(elec(str(base + i)))

    import threading
    threads = [threading.Thread(target=work, args=(x, 100 * n))
               for n, x in enumerate([a, b, a, b])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert a.count() == 40 and len(set(a.ids())) == 40
    assert Archive(tmp_path / "a.json", meter_rules()).revision == 40
