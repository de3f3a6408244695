"""The chunked transfer of an upgrade package (mqtt.md, Upgrade).

One directory per transfer under ``root``::

    <root>/<transfer id>/meta.json     begin's arguments, state, counters (atomic writes)
    <root>/<transfer id>/package.part  the package, chunks written at index * chunk
    <root>/<transfer id>/have.map      one byte per chunk: 1 when held (written after
                                       the chunk's data is on disk)
    <root>/<transfer id>/package.bin   the whole package once its sha256 matched

Everything is on disk, so a transfer resumes after a restart of either side:
``begin`` with the same arguments answers the chunks already held, and only
the missing ones need to be sent again.

Ranges are lists of inclusive chunk-index pairs ``[[first, last], ...]``,
ascending; ``[[0, 9], [12, 12]]`` is chunks 0 to 9 and chunk 12.

States: ``receiving`` (chunks missing), ``complete`` (all held, not checked),
``verified`` (the whole file's sha256 matched: ``package_path`` may be
applied), ``applied``.  A whole-file mismatch drops every chunk (state back to
``receiving``, ``error`` says so).
"""

import hashlib
import json
import os
import re
import shutil
import threading

from gateway.upgrade.boot.files import fsync_dir
from protocols.core.errors import ConcentratorError

TRANSFER_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
CHUNK_MIN, CHUNK_MAX = 1024, 65536
MAX_SIZE = 256 << 20            # bytes: no concentrator release comes near it
MAX_RANGES = 512                # ranges in one reply; more -> "truncated": true
MAX_TRANSFERS = 2               # at once on the board: flash is small
META, PART, MAP, DONE = "meta.json", "package.part", "have.map", "package.bin"


class TransferError(ConcentratorError):
    """A request refused: ``code`` is a code of mqtt.md (bad_request, busy,
    not_supported...), ``message`` names the field and what is allowed."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


def ranges(indices):
    """Sorted indices -> ``[[first, last], ...]`` (inclusive)."""
    out = []
    for i in indices:
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path))


class Transfers:
    """The transfers of one board, persisted under ``root``.  Thread-safe:
    chunks arrive on the MQTT thread, ops on the command thread."""

    def __init__(self, root, disk_usage=shutil.disk_usage, max_size=MAX_SIZE):
        self.root = os.path.abspath(os.fspath(root))
        self.disk_usage = disk_usage
        self.max_size = max_size
        self.lock = threading.Lock()
        self.dropped_unknown = 0        # chunks for no known transfer

    # -------------------------------------------------------- helpers
    def _dir(self, tid):
        return os.path.join(self.root, tid)

    def _check_id(self, tid):
        if not isinstance(tid, str) or not TRANSFER_ID.match(tid):
            raise TransferError("bad_request", "transfer %r: give 1-32 of A-Z a-z 0-9 _ -"
                                % (tid,))
        return tid

    def _meta(self, tid):
        try:
            with open(os.path.join(self._dir(tid), META)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _need(self, tid):
        meta = self._meta(self._check_id(tid))
        if meta is None:
            raise TransferError("bad_request", "no transfer %r: start it with upgrade.begin"
                                % tid)
        return meta

    def _have(self, tid, meta):
        try:
            with open(os.path.join(self._dir(tid), MAP), "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        return bytearray(data.ljust(meta["chunks"], b"\0")[:meta["chunks"]])

    def list(self):
        try:
            return sorted(n for n in os.listdir(self.root) if self._meta(n) is not None)
        except FileNotFoundError:
            return []

    # -------------------------------------------------------- the ops
    def begin(self, transfer, version, size, sha256, chunk):
        """Start (or resume) a transfer; return ``{"transfer", "have"}``."""
        tid = self._check_id(transfer)
        if not isinstance(version, str) or not re.match(r"^[0-9]+(\.[0-9]+)*$", version):
            raise TransferError("bad_request", "version %r: give dotted integers such as 1.2.0"
                                % (version,))
        if type(size) is not int or not 0 < size <= self.max_size:
            raise TransferError("bad_request", "size %r: give the package's bytes, 1 to %d"
                                % (size, self.max_size))
        if not isinstance(sha256, str) or not SHA256.match(sha256):
            raise TransferError("bad_request", "sha256 %r: give 64 hex digits" % (sha256,))
        if type(chunk) is not int or not CHUNK_MIN <= chunk <= CHUNK_MAX:
            raise TransferError("bad_request", "chunk %r: give bytes per chunk, %d to %d"
                                % (chunk, CHUNK_MIN, CHUNK_MAX))
        want = {"transfer": tid, "version": version, "size": size, "sha256": sha256.lower(),
                "chunk": chunk, "chunks": (size + chunk - 1) // chunk}
        with self.lock:
            meta = self._meta(tid)
            if meta is not None:
                if any(meta.get(k) != v for k, v in want.items()):
                    raise TransferError("bad_request", "transfer %s exists with other "
                                        "arguments (version %s, %d bytes, chunk %d): abort it "
                                        "first or choose another id" % (
                                            tid, meta["version"], meta["size"], meta["chunk"]))
                return {"transfer": tid, "have": self._held(tid, meta)}
            if len(self.list()) >= MAX_TRANSFERS:
                raise TransferError("busy", "%d transfers are open (%s): abort one first"
                                    % (MAX_TRANSFERS, ", ".join(self.list())))
            os.makedirs(self.root, exist_ok=True)
            free = self.disk_usage(self.root).free
            if free < 2 * size + (1 << 20):
                raise TransferError("bad_request", "%d bytes do not fit: %d free on the board"
                                    % (size, free))
            d = self._dir(tid)
            shutil.rmtree(d, ignore_errors=True)        # a leftover without meta
            os.makedirs(d)
            with open(os.path.join(d, PART), "wb") as f:
                f.truncate(size)
            with open(os.path.join(d, MAP), "wb") as f:
                f.write(b"\0" * want["chunks"])
                f.flush()
                os.fsync(f.fileno())
            meta = dict(want, state="receiving", dropped=0, duplicates=0, error=None)
            _write_json(os.path.join(d, META), meta)     # last: the transfer exists now
            return {"transfer": tid, "have": []}

    def _held(self, tid, meta):
        if meta["state"] != "receiving":
            return [[0, meta["chunks"] - 1]]
        have = self._have(tid, meta)
        return ranges(i for i, b in enumerate(have) if b)

    def put_chunk(self, transfer, index, data):
        """Store chunk ``index``; return True if kept.  A chunk for no known
        transfer, of the wrong size or outside the package is dropped and
        counted (``dropped``)."""
        with self.lock:
            meta = self._meta(transfer) if (isinstance(transfer, str)
                                            and TRANSFER_ID.match(transfer)) else None
            if meta is None:
                self.dropped_unknown += 1
                return False
            d = self._dir(transfer)
            n = meta["chunks"]
            fits = (type(index) is int and 0 <= index < n and len(data) == (
                meta["size"] - (n - 1) * meta["chunk"] if index == n - 1 else meta["chunk"]))
            if not fits or meta["state"] != "receiving":
                meta["dropped" if not fits else "duplicates"] += 1
                _write_json(os.path.join(d, META), meta)
                return fits
            fd = os.open(os.path.join(d, MAP), os.O_RDWR)
            try:
                if os.pread(fd, 1, index) == b"\1":
                    meta["duplicates"] += 1
                    _write_json(os.path.join(d, META), meta)
                    return True
                with open(os.path.join(d, PART), "r+b") as f:
                    f.seek(index * meta["chunk"])
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.pwrite(fd, b"\1", index)     # after the data is on disk
                os.fsync(fd)
            finally:
                os.close(fd)
            return True

    def status(self, transfer):
        """``{"transfer", "version", "size", "chunk", "chunks", "received",
        "missing", "state", "dropped", "duplicates", "error"}``."""
        with self.lock:
            meta = self._need(transfer)
            return self._status(transfer, meta)

    def _status(self, tid, meta):
        n = meta["chunks"]
        if meta["state"] == "receiving":
            have = self._have(tid, meta)
            received = sum(1 for b in have if b)
            missing = ranges(i for i, b in enumerate(have) if not b)
            state = "complete" if received == n else "receiving"
        else:
            received, missing, state = n, [], meta["state"]
        out = {k: meta[k] for k in ("transfer", "version", "size", "sha256", "chunk", "chunks",
                                    "dropped", "duplicates", "error")}
        out.update(received=received, state=state, missing=missing[:MAX_RANGES])
        if len(missing) > MAX_RANGES:
            out["truncated"] = True
        return out

    def assemble(self, transfer):
        """Check the whole file's sha256 once every chunk is held; return the
        path of the verified package.  Raises TransferError: chunks missing
        (``busy``) or a mismatch (``bad_request``: every chunk is dropped and
        must be sent again)."""
        with self.lock:
            meta = self._need(transfer)
            d = self._dir(transfer)
            if meta["state"] == "applied":
                raise TransferError("bad_request", "transfer %s was applied already" % transfer)
            if meta["state"] == "verified":
                return os.path.join(d, DONE)
            st = self._status(transfer, meta)
            if st["state"] != "complete":
                raise TransferError("busy", "transfer %s has %d of %d chunks; missing %s"
                                    % (transfer, st["received"], st["chunks"],
                                       json.dumps(st["missing"][:8])))
            h = hashlib.sha256()
            with open(os.path.join(d, PART), "rb") as f:
                for block in iter(lambda: f.read(1 << 16), b""):
                    h.update(block)
            if h.hexdigest() != meta["sha256"]:
                with open(os.path.join(d, MAP), "wb") as f:
                    f.write(b"\0" * meta["chunks"])
                    f.flush()
                    os.fsync(f.fileno())
                meta["error"] = "sha256 of the whole package is %s, not %s: every chunk " \
                                "dropped, send them again" % (h.hexdigest(), meta["sha256"])
                _write_json(os.path.join(d, META), meta)
                raise TransferError("bad_request", meta["error"])
            os.replace(os.path.join(d, PART), os.path.join(d, DONE))
            fsync_dir(d)
            meta.update(state="verified", error=None)
            _write_json(os.path.join(d, META), meta)
            return os.path.join(d, DONE)

    def mark_applied(self, transfer):
        """The package is installed: its file goes (flash is small), the
        record stays until ``abort``."""
        with self.lock:
            meta = self._need(transfer)
            meta["state"] = "applied"
            _write_json(os.path.join(self._dir(transfer), META), meta)
            try:
                os.unlink(os.path.join(self._dir(transfer), DONE))
            except FileNotFoundError:
                pass

    def abort(self, transfer):
        """Drop the transfer and what was received; True if there was one."""
        with self.lock:
            tid = self._check_id(transfer)
            d = self._dir(tid)
            if not os.path.isdir(d):
                return False
            trash = os.path.join(self.root, ".abort-" + tid)
            shutil.rmtree(trash, ignore_errors=True)
            os.rename(d, trash)         # the transfer is gone at once, whole
            shutil.rmtree(trash, ignore_errors=True)
            return True
