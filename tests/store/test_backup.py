"""Backup and restore: a live WAL database copied consistently; damaged backups refused."""

import io
import json
import os
import shutil
import sqlite3
import tarfile

import pytest

from store import Archive, BackupError, Params, backup, restore
from gateway.config import meter_rules

T0 = 1795000000


def connect(path):
    con = sqlite3.connect(path, isolation_level=None, timeout=5)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")  # keep committed pages in the -wal file
    return con


def rows(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, v FROM r ORDER BY id").fetchall()
    finally:
        con.close()


@pytest.fixture
def live(tmp_path):
    """A running agent's store: WAL database with committed rows, archive and params files."""
    src = tmp_path / "live"
    src.mkdir()
    db = connect(src / "store.db")
    db.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)")
    db.executemany("INSERT INTO r (v) VALUES (?)", [("row %d" % i,) for i in range(500)])
    Archive(src / "archive.json", meter_rules()).add(
        {"address": "12345678", "protocol": "dlt645-2007", "port": "rs485-1"}, now=T0)
    Params(src / "params.json").set("plan.hourly", False)
    yield src, db
    db.close()


def paths(d):
    return str(d / "store.db"), str(d / "archive.json"), str(d / "params.json")


def test_round_trip_of_a_live_wal_database(tmp_path, live):
    src, db = live
    assert os.path.getsize(src / "store.db-wal") > 0  # the rows are in the WAL only
    writer = connect(src / "store.db")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO r (v) VALUES ('uncommitted')")
    manifest = backup(tmp_path / "b.tar.gz", *paths(src), created=T0)
    assert manifest["version"] == 1 and manifest["created"] == T0
    assert set(manifest["files"]) == {"db", "archive", "params"}
    writer.execute("COMMIT")
    writer.close()

    dst = tmp_path / "restored"
    dst.mkdir()
    assert restore(tmp_path / "b.tar.gz", *paths(dst)) == manifest
    got = rows(dst / "store.db")
    assert len(got) == 500 and ("uncommitted",) not in [(v,) for _, v in got]
    assert Archive(dst / "archive.json", meter_rules()).list() == Archive(src / "archive.json", meter_rules()).list()
    assert Params(dst / "params.json").get("plan.hourly") is False
    assert sorted(os.listdir(dst)) == ["archive.json", "params.json", "store.db"]

    # committed meanwhile: the next backup has it
    backup(tmp_path / "b2.tar.gz", *paths(src), created=T0 + 1)
    restore(tmp_path / "b2.tar.gz", *paths(dst))
    assert rows(dst / "store.db")[-1] == (501, "uncommitted")


def test_restore_over_an_old_store_drops_its_stale_wal(tmp_path, live):
    src, _ = live
    backup(tmp_path / "b.tar.gz", *paths(src), created=T0)
    old = tmp_path / "old"
    old.mkdir()
    con = connect(old / "store.db")
    con.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)")
    con.executemany("INSERT INTO r (v) VALUES (?)", [("old %d" % i,) for i in range(50)])
    shutil.copy(old / "store.db-wal", tmp_path / "stale-wal")
    con.close()
    shutil.copy(tmp_path / "stale-wal", old / "store.db-wal")  # left behind by a crash
    (old / "store.db-shm").write_bytes(b"\0" * 32768)
    restore(tmp_path / "b.tar.gz", *paths(old))
    assert not (old / "store.db-wal").exists() and not (old / "store.db-shm").exists()
    assert rows(old / "store.db") == rows(src / "store.db")


def test_absent_files_are_absent_after_restore(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    sqlite3.connect(src / "store.db").execute("CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)")
    manifest = backup(tmp_path / "b.tar.gz", *paths(src), created=T0)
    assert manifest["files"]["archive"] is None and manifest["files"]["params"] is None
    dst = tmp_path / "dst"
    dst.mkdir()
    Params(dst / "params.json").set("plan.daily", False)
    restore(tmp_path / "b.tar.gz", *paths(dst))
    assert not (dst / "params.json").exists()
    assert Params(dst / "params.json").get("plan.daily") is True


def test_restore_refuses_a_database_in_use(tmp_path, live):
    src, _ = live
    backup(tmp_path / "b.tar.gz", *paths(src), created=T0)
    reader = sqlite3.connect(src / "store.db", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM r").fetchone()
    with pytest.raises(BackupError, match="is in use: stop the agent"):
        restore(tmp_path / "b.tar.gz", *paths(src))
    reader.close()
    assert [n for n in os.listdir(src) if ".restore" in n] == []


def _rewrite(src, dst, change):
    """Copy the backup ``src`` to ``dst`` with ``change(name, bytes) -> bytes`` applied."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for info in tin.getmembers():
            data = change(info.name, tin.extractfile(info).read())
            if data is None:
                continue
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


def _targets_untouched(dst):
    before = dict((n, (dst / n).read_bytes()) for n in os.listdir(dst))
    return lambda: dict((n, (dst / n).read_bytes()) for n in os.listdir(dst)) == before


def _manifest(change):
    def edit(name, data):
        if name != "manifest.json":
            return data
        m = json.loads(data)
        change(m)
        return json.dumps(m).encode()
    return edit


@pytest.mark.parametrize("edit, words", [
    (lambda n, d: d.replace(b"12345678", b"12345679") if n == "archive.json" else d,
     "member archive.json does not match its checksum"),
    (lambda n, d: d[:-1] if n == "store.db" else d, "member store.db does not match its checksum"),
    (lambda n, d: None if n == "params.json" else d, "member params.json is missing"),
    (lambda n, d: None if n == "manifest.json" else d, "is not a concentrator backup: it has no manifest"),
    (lambda n, d: b"{" if n == "manifest.json" else d, "manifest.json is not valid JSON"),
    (_manifest(lambda m: m.update(version=2)),
     "was made by a newer version (backup format 2); this one reads format 1"),
    (_manifest(lambda m: m.update(format="other")), "is not a concentrator backup (manifest format 'other')"),
    (_manifest(lambda m: m["files"].update(db=None)), "the manifest lists no database"),
])
def test_damaged_backups_are_refused_before_touching_anything(tmp_path, live, edit, words):
    src, _ = live
    backup(tmp_path / "b.tar.gz", *paths(src), created=T0)
    _rewrite(tmp_path / "b.tar.gz", tmp_path / "bad.tar.gz", edit)
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "archive.json").write_text('{"meters": {}}')
    unchanged = _targets_untouched(dst)
    with pytest.raises(BackupError) as info:
        restore(tmp_path / "bad.tar.gz", *paths(dst))
    assert words in str(info.value)
    assert str(tmp_path / "bad.tar.gz") in str(info.value)
    assert unchanged()


@pytest.mark.parametrize("content", [b"", b"hello, not a backup", b"PK\x03\x04zipzip"])
def test_not_a_backup_file(tmp_path, content):
    (tmp_path / "x.bin").write_bytes(content)
    with pytest.raises(BackupError, match="is not a backup file"):
        restore(tmp_path / "x.bin", *paths(tmp_path))


def test_missing_backup_file(tmp_path):
    with pytest.raises(BackupError, match="no file"):
        restore(tmp_path / "nope.tar.gz", *paths(tmp_path))


def test_backup_needs_a_database(tmp_path):
    with pytest.raises(BackupError, match="no database at"):
        backup(tmp_path / "b.tar.gz", *paths(tmp_path), created=T0)
    (tmp_path / "store.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackupError, match="cannot copy the database"):
        backup(tmp_path / "b.tar.gz", *paths(tmp_path), created=T0)
    assert sorted(os.listdir(tmp_path)) == ["store.db"]


def test_failed_backup_leaves_no_file(tmp_path, live, monkeypatch):
    src, _ = live

    def full(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(BackupError, match="No space left"):
        backup(tmp_path / "b.tar.gz", *paths(src), created=T0)
    monkeypatch.undo()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".b.tar.gz") or n == "b.tar.gz"]
