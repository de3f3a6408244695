"""The atomic TinyDB storage: crash safety, clear errors on broken files, locking, caching."""

import json
import os
import threading

import pytest
from tinydb import Query

from store import StoreError, StoreFileError
from store.documents.jsonfile import AtomicJSONStorage, open_tinydb, set_table, table_rows


def _leftovers(directory):
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


def test_missing_file_reads_as_none_and_write_creates_it(tmp_path):
    s = AtomicJSONStorage(tmp_path / "a.json")
    assert s.read() is None
    s.write({"t": {"1": {"x": 1}}})
    assert json.loads((tmp_path / "a.json").read_text()) == {"t": {"1": {"x": 1}}}
    assert s.read() == {"t": {"1": {"x": 1}}}
    assert _leftovers(tmp_path) == []


def test_crash_at_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    s = AtomicJSONStorage(path)
    s.write({"t": {"1": {"v": "old"}}})
    before = path.read_bytes()

    def power_cut(src, dst):
        assert os.path.getsize(src) > 0  # the new contents were written in full
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(StoreFileError, match="previous contents are unchanged"):
        s.write({"t": {"1": {"v": "new"}}})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert AtomicJSONStorage(path).read() == {"t": {"1": {"v": "old"}}}
    assert _leftovers(tmp_path) == []


def test_crash_while_writing_the_temp_file_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    s = AtomicJSONStorage(path)
    s.write({"t": {"1": {"v": "old"}}})

    def fsync_fails(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(StoreFileError, match="No space left"):
        s.write({"t": {"1": {"v": "new"}}})
    monkeypatch.undo()
    assert AtomicJSONStorage(path).read() == {"t": {"1": {"v": "old"}}}
    assert _leftovers(tmp_path) == []


def test_write_fsyncs_file_and_directory(tmp_path, monkeypatch):
    calls = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    AtomicJSONStorage(tmp_path / "a.json").write({})
    assert len(calls) == 2


@pytest.mark.parametrize("content, words", [
    (b"{not json", "is not valid JSON"),
    (b"", "is empty"),
    (b"[1, 2]", "not a TinyDB document: it holds a JSON list"),
    (b'{"meters": [1]}', "table 'meters' holds a JSON list"),
    (b'{"meters": {"x": {}}}', "document 'x' is not an object under a numeric id"),
    (b'{"meters": {"1": 5}}', "document '1' is not an object"),
    (b"\xff\xfe{}", "is not valid JSON"),
])
def test_broken_files_raise_errors_naming_the_file(tmp_path, content, words):
    path = tmp_path / "archive.json"
    path.write_bytes(content)
    with pytest.raises(StoreFileError) as info:
        AtomicJSONStorage(path).read()
    assert str(path) in str(info.value)
    assert words in str(info.value)
    assert isinstance(info.value, StoreError)
    assert info.value.hint


def test_refuses_to_write_a_non_document(tmp_path):
    with pytest.raises(StoreFileError):
        AtomicJSONStorage(tmp_path / "a.json").write({"t": [1]})
    assert not (tmp_path / "a.json").exists()


def test_read_gives_a_copy(tmp_path):
    s = AtomicJSONStorage(tmp_path / "a.json")
    s.write({"t": {"1": {"x": [1]}}})
    doc = s.read()
    doc["t"]["1"]["x"].append(2)
    assert s.read() == {"t": {"1": {"x": [1]}}}


def test_cache_notices_a_write_by_another_storage(tmp_path):
    a = AtomicJSONStorage(tmp_path / "a.json")
    b = AtomicJSONStorage(tmp_path / "a.json")
    a.write({"t": {"1": {"x": 1}}})
    assert b.read() == {"t": {"1": {"x": 1}}}
    a.write({"t": {"1": {"x": 2}}})
    assert b.read() == {"t": {"1": {"x": 2}}}


def test_works_as_a_tinydb_storage(tmp_path):
    path = tmp_path / "db.json"
    db = open_tinydb(path)
    db.table("meters").insert({"id": "m-0001", "port": "rs485-1"})
    db.table("meters").insert({"id": "m-0002", "port": "rs485-2"})
    db.close()
    db = open_tinydb(path)
    assert [r["id"] for r in db.table("meters").search(Query().port == "rs485-2")] == ["m-0002"]
    assert _leftovers(tmp_path) == []


def test_update_is_one_locked_read_modify_write(tmp_path):
    path = tmp_path / "a.json"
    storages = [AtomicJSONStorage(path) for _ in range(4)]

    def bump(doc):
        rows = dict(table_rows(doc, "c"))
        n = rows.get(1, {}).get("n", 0)
        set_table(doc, "c", [{"n": n + 1}])

    def work(s):
        for _ in range(25):
            s.update(bump)

    threads = [threading.Thread(target=work, args=(s,)) for s in storages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AtomicJSONStorage(path).read() == {"c": {"1": {"n": 100}}}


def test_update_writes_nothing_when_the_change_raises(tmp_path):
    s = AtomicJSONStorage(tmp_path / "a.json")
    s.write({"t": {}})

    def bad(doc):
        doc["t"]["1"] = {"half": True}
        raise ValueError("no")

    with pytest.raises(ValueError):
        s.update(bad)
    assert s.read() == {"t": {}}


def test_table_helpers_use_tinydb_layout():
    doc = set_table({}, "m", [{"a": 1}, {"a": 2}])
    assert doc == {"m": {"1": {"a": 1}, "2": {"a": 2}}}
    assert table_rows(doc, "m") == [(1, {"a": 1}), (2, {"a": 2})]
    assert table_rows(None, "m") == []
