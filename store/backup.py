"""Backup and restore of the whole store: the SQLite database, the archive, the parameters.

A backup is one ``.tar.gz`` file::

    manifest.json   {"format": "concentrator-backup", "version": 1, "created": <ts>,
                     "files": {"db": {"member": "store.db", "size": N, "sha256": "..."},
                               "archive": {...} or null, "params": {...} or null}}
    store.db        a consistent copy of the database (a plain file, not WAL)
    archive.json    the archive (TinyDB), when there was one
    params.json     the parameters (TinyDB), when any were set

The database is copied with SQLite's online backup API (``Connection.backup``)
in one step, so a running agent's WAL database is copied as one consistent
snapshot: committed transactions, including those still in the -wal file, are
in; uncommitted ones are not.  The copy is switched to rollback-journal mode
so that it is a single self-contained file, and checked with ``quick_check``.

``restore`` reads the manifest, checks the format version and every member's
size and SHA-256 while unpacking into temporary files next to the targets,
and only then replaces the targets, each by a rename.  The old database is
checkpointed first, and its -wal/-shm files are removed before the new file
takes its place: a stale -wal would otherwise be replayed into the restored
database.  The agent must be stopped while restoring; a database still in use
is refused.  A file that was absent when the backup was made (no parameters
set) is removed on restore, so the result is the state that was backed up.
"""

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile

from store.errors import BackupError, StoreFileError
from store.documents.jsonfile import check_document, fsync_dir

FORMAT = "concentrator-backup"
VERSION = 1
MEMBERS = (("db", "store.db"), ("archive", "archive.json"), ("params", "params.json"))
_CHUNK = 1 << 16


def _sha256_file(path):
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _tmp_near(path, suffix):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=suffix)
    os.close(fd)
    return tmp


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def copy_database(db_path, dest):
    """A consistent single-file copy of the SQLite database ``db_path`` at ``dest``."""
    if not os.path.isfile(db_path):
        raise BackupError("no database at %s: nothing to back up" % db_path, path=db_path,
                          hint="check the store path in the configuration")
    try:
        # read-write on purpose: a read-only connection to a WAL database leaves
        # -wal/-shm files behind that it may not remove; this one only reads
        src = sqlite3.connect("file:%s?mode=rw" % _uri_path(db_path), uri=True, timeout=10)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)  # pages=-1: one step, one snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
                ok = dst.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as err:
        raise BackupError("cannot copy the database %s: %s" % (db_path, err), path=db_path,
                          hint="is it an SQLite database?") from err
    if ok != "ok":
        raise BackupError("the database %s fails its check (%s): the backup would be damaged too"
                          % (db_path, ok), path=db_path, hint="restore an older backup")


def _uri_path(path):
    return os.path.abspath(path).replace("?", "%3f").replace("#", "%23")


def backup(dest_file, db_path, archive_path, params_path, created):
    """Write a backup of the three files to ``dest_file`` (atomically); returns the manifest.

    ``created``: the time stamp to record (epoch seconds, from the caller's clock).
    """
    dest_file = os.fspath(dest_file)
    tmp_db = _tmp_near(dest_file, ".db")
    tmp_tar = _tmp_near(dest_file, ".tmp")
    try:
        copy_database(db_path, tmp_db)
        sources = {"db": tmp_db, "archive": archive_path, "params": params_path}
        files = {}
        for what, member in MEMBERS:
            src = sources[what]
            if what != "db" and not os.path.isfile(src):
                files[what] = None
                continue
            digest, size = _sha256_file(src)
            files[what] = {"member": member, "size": size, "sha256": digest}
        manifest = {"format": FORMAT, "version": VERSION, "created": created, "files": files}
        text = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8")
        with tarfile.open(tmp_tar, "w:gz") as tar:
            info = tarfile.TarInfo("manifest.json")
            info.size = len(text)
            info.mtime = int(created or 0)
            tar.addfile(info, io.BytesIO(text))
            for what, member in MEMBERS:
                if files[what] is not None:
                    info = tar.gettarinfo(sources[what], arcname=member)
                    info.mtime, info.uid, info.gid, info.uname, info.gname = \
                        int(created or 0), 0, 0, "", ""
                    with open(sources[what], "rb") as f:
                        tar.addfile(info, f)
        with open(tmp_tar, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp_tar, dest_file)
        fsync_dir(os.path.dirname(os.path.abspath(dest_file)))
    except OSError as err:
        raise BackupError("cannot write the backup %s: %s" % (dest_file, err), path=dest_file,
                          hint="check free space and permissions") from err
    finally:
        _unlink(tmp_db)
        _unlink(tmp_tar)
    return manifest


def read_manifest(tar, src_file):
    """The checked manifest of an open backup tar, or ``BackupError`` saying why it is not one."""
    try:
        f = tar.extractfile("manifest.json")
    except KeyError:
        f = None
    if f is None:
        raise BackupError("%s is not a concentrator backup: it has no manifest.json" % src_file,
                          path=src_file, hint="give a file made by `concentrator backup`")
    try:
        manifest = json.loads(f.read().decode("utf-8"))
    except ValueError as err:
        raise BackupError("%s: manifest.json is not valid JSON (%s)" % (src_file, err),
                          path=src_file, hint="the backup is damaged; use another one") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("%s is not a concentrator backup (manifest format %r)" % (
            src_file, manifest.get("format") if isinstance(manifest, dict) else None),
            path=src_file, hint="give a file made by `concentrator backup`")
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        raise BackupError("%s: manifest version %r is not valid" % (src_file, version),
                          path=src_file, hint="the backup is damaged; use another one")
    if version > VERSION:
        raise BackupError("%s was made by a newer version (backup format %d); this one reads "
                          "format %d" % (src_file, version, VERSION), path=src_file,
                          hint="update the concentrator software first, then restore")
    files = manifest.get("files")
    if not isinstance(files, dict) or not isinstance(files.get("db"), dict):
        raise BackupError("%s: the manifest lists no database" % src_file, path=src_file,
                          hint="the backup is damaged; use another one")
    for what, member in MEMBERS:
        entry = files.get(what)
        if entry is not None and (not isinstance(entry, dict) or entry.get("member") != member
                                  or not isinstance(entry.get("size"), int)
                                  or not isinstance(entry.get("sha256"), str)):
            raise BackupError("%s: the manifest entry of %s is not valid" % (src_file, what),
                              path=src_file, hint="the backup is damaged; use another one")
    return manifest


def _unpack(tar, src_file, entry, target):
    """Unpack one member next to ``target``, checking size and SHA-256; returns the temp path."""
    member = entry["member"]
    try:
        info = tar.getmember(member)
    except KeyError:
        info = None
    if info is None or not info.isfile():
        raise BackupError("%s: member %s is missing" % (src_file, member), path=src_file,
                          key=member, hint="the backup is damaged; use another one")
    tmp = _tmp_near(target, ".restore")
    h, size = hashlib.sha256(), 0
    try:
        with tar.extractfile(info) as f, open(tmp, "wb") as out:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                h.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    if size != entry["size"] or h.hexdigest() != entry["sha256"]:
        _unlink(tmp)
        raise BackupError("%s: member %s does not match its checksum (%d bytes, expected %d)"
                          % (src_file, member, size, entry["size"]), path=src_file, key=member,
                          hint="the backup is damaged; use another one")
    return tmp


def _check_unpacked(what, tmp, src_file):
    if what == "db":
        try:
            con = sqlite3.connect(tmp)
            try:
                ok = con.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                con.close()
        except sqlite3.Error as err:
            ok = str(err)
        if ok != "ok":
            raise BackupError("%s: the database in it fails its check (%s)" % (src_file, ok),
                              path=src_file, key="store.db", hint="use another backup")
        return
    try:
        with open(tmp, "rb") as f:
            check_document(json.loads(f.read().decode("utf-8")), what + ".json")
    except (ValueError, StoreFileError) as err:
        raise BackupError("%s: %s.json in it is not a TinyDB document (%s)" % (src_file, what, err),
                          path=src_file, key=what + ".json", hint="use another backup") from None


def _release_database(db_path):
    """Checkpoint the old database so that removing its -wal loses nothing; refuse if in use."""
    if not os.path.exists(db_path):
        return
    try:
        con = sqlite3.connect(db_path, timeout=1)
        try:
            busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return  # damaged or not a database: nothing in it to keep
    if busy:
        raise BackupError("the database %s is in use: stop the agent, then restore" % db_path,
                          path=db_path, hint="systemctl stop concentrator")


def restore(src_file, db_path, archive_path, params_path):
    """Check the backup ``src_file`` completely, then replace the three files.

    Returns the manifest.
    """
    src_file = os.fspath(src_file)
    targets = {"db": os.fspath(db_path), "archive": os.fspath(archive_path),
               "params": os.fspath(params_path)}
    try:
        tar = tarfile.open(src_file, "r:gz")
    except FileNotFoundError:
        raise BackupError("no file %s" % src_file, path=src_file) from None
    except (tarfile.TarError, OSError, EOFError) as err:
        raise BackupError("%s is not a backup file (not a tar.gz: %s)" % (src_file, err),
                          path=src_file, hint="give a file made by `concentrator backup`") from None
    unpacked = {}
    try:
        with tar:
            manifest = read_manifest(tar, src_file)
            for what, _ in MEMBERS:
                entry = manifest["files"].get(what)
                if entry is not None:
                    unpacked[what] = _unpack(tar, src_file, entry, targets[what])
                    _check_unpacked(what, unpacked[what], src_file)
        # everything is checked: now touch the targets
        _release_database(targets["db"])
        for suffix in ("-wal", "-shm", "-journal"):
            _unlink(targets["db"] + suffix)
        for what, _ in MEMBERS:
            if what in unpacked:
                os.replace(unpacked.pop(what), targets[what])
            else:
                _unlink(targets[what])
            fsync_dir(os.path.dirname(os.path.abspath(targets[what])))
    except (tarfile.TarError, EOFError, OSError) as err:
        raise BackupError("cannot restore from %s: %s" % (src_file, err), path=src_file,
                          hint="the backup may be damaged, or a target not writable") from err
    finally:
        for tmp in unpacked.values():
            _unlink(tmp)
    return manifest
