"""Signed release packages: build, read, verify.

A package is a gzip-compressed tar archive (docs/upgrade.md, "Package
format") whose members are, in this order:

``manifest.json``   the canonical JSON of the manifest (below)
``signature.json``  ``{"alg": "ed25519", "key": <public key hex>, "sig": <hex>}``,
                    the signature over the exact bytes of manifest.json
``payload/...``     the release's files, each listed in the manifest

The manifest::

    {"format": 1, "product": "concentrator", "version": "1.2.0",
     "min_version": "1.0.0", "built": "2026-12-04T15:00:00+00:00",
     "kind": "tree" | "wheels", "size": <bytes of all files>,
     "files": {"<relative path>": {"sha256": <hex>, "size": N, "mode": 420}, ...},
     "store_schema": null | N}

Canonical JSON: keys sorted, no spaces, UTF-8 (``canonical_json``).  Nothing
in library code reads the wall clock: the build time is passed in.

``verify`` refuses with ``PackageError`` (``.reason`` one of ``REASONS``)
before anything is touched on disk.
"""

import hashlib
import io
import json
import os
import re
import shutil
import stat
import tarfile
import time
import zlib

from gateway.upgrade import PRODUCT
from protocols.core.errors import ConcentratorError

FORMAT = 1
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
PAYLOAD = "payload/"
MAX_MANIFEST = 4 << 20          # bytes: a manifest larger than this is not one of ours
SKIP_NAMES = ("__pycache__", ".git", ".hg", ".svn", ".pytest_cache", ".mypy_cache")
SKIP_SUFFIXES = (".pyc", ".pyo")
SPACE_MARGIN = 1 << 20          # bytes kept free beyond the release itself

REASONS = {
    "malformed": "not an upgrade package, or a damaged one",
    "unsigned": "the package carries no signature",
    "bad_signature": "the signature does not match the manifest",
    "unknown_key": "signed by a key this board does not trust",
    "tampered": "a file differs from the signed manifest",
    "missing_file": "a file of the manifest is missing from the package",
    "extra_file": "the package holds a file the manifest does not list",
    "wrong_product": "the package is for another product",
    "not_newer": "the version is not newer than the running one",
    "too_old": "the running version is older than the package's minimum version",
    "running": "that version is the one running",
    "no_space": "too little free disk space to install",
    "bad_version": "not a version of dotted integers",
}

_VERSION = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,9}){0,5}$")


class PackageError(ConcentratorError):
    """A package refused: ``reason`` is a code of REASONS, ``message`` says
    what is wrong and what to do; ``info`` is the PackageInfo when the
    manifest could be read (so a refusal can still say what it is)."""

    def __init__(self, reason, message, info=None):
        if reason not in REASONS:
            raise ValueError("unknown refusal reason %r" % reason)
        super().__init__("%s: %s" % (reason, message))
        self.reason = reason
        self.message = message
        self.info = info


# ------------------------------------------------------------ versions
def parse_version(text):
    """``"1.2.10"`` -> ``(1, 2, 10)``, trailing zeros dropped (1.2 == 1.2.0).
    Raises PackageError("bad_version")."""
    if not isinstance(text, str) or not _VERSION.match(text):
        raise PackageError("bad_version", "version %r: give dotted integers such as 1.2.0"
                           % (text,))
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def compare_versions(a, b):
    """-1, 0 or 1 as version ``a`` is older, equal or newer than ``b``."""
    va, vb = parse_version(a), parse_version(b)
    return (va > vb) - (va < vb)


# ------------------------------------------------------------ manifest
def canonical_json(obj):
    """The signed bytes: keys sorted, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def iso_utc(epoch):
    """Epoch seconds as ISO 8601 UTC (``2026-12-04T15:00:00+00:00``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(int(epoch)))


def _safe_relpath(name):
    """A relative path of a payload file, or None if it would escape the
    release directory or is otherwise unfit."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return None
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return name


def _collect_tree(source):
    """Sorted (relative path, absolute path) of the files of a directory tree,
    without caches and VCS directories; a symbolic link or a special file is
    refused (a release is plain files)."""
    out = []
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_NAMES)
        for d in dirs:
            if os.path.islink(os.path.join(root, d)):
                raise ValueError("%s is a symbolic link: a release holds plain files only"
                                 % os.path.join(root, d))
        for name in sorted(files):
            if name.endswith(SKIP_SUFFIXES):
                continue
            full = os.path.join(root, name)
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                raise ValueError("%s is not a regular file: a release holds plain files only"
                                 % full)
            rel = os.path.relpath(full, source).replace(os.sep, "/")
            out.append((rel, full))
    out.sort()
    return out


def _sha256_file(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def make_manifest(source, version, built, min_version=None, product=PRODUCT,
                  store_schema=None):
    """The manifest of directory ``source`` (and the file list); ``built`` is
    epoch seconds or an ISO 8601 string."""
    parse_version(version)
    if min_version is not None:
        parse_version(min_version)
    files = _collect_tree(source)
    if not files:
        raise ValueError("%s holds no files" % source)
    entries = {}
    total = 0
    for rel, full in files:
        digest, size = _sha256_file(full)
        mode = 0o755 if os.stat(full).st_mode & 0o111 else 0o644
        entries[rel] = {"sha256": digest, "size": size, "mode": mode}
        total += size
    wheels = all(rel.endswith(".whl") and "/" not in rel for rel, _ in files)
    manifest = {"format": FORMAT, "product": product, "version": version,
                "min_version": min_version,
                "built": built if isinstance(built, str) else iso_utc(built),
                "kind": "wheels" if wheels else "tree", "size": total,
                "files": entries, "store_schema": store_schema}
    return manifest, files


def build(source, out_path, private_key, version, built, min_version=None,
          product=PRODUCT, store_schema=None):
    """Write the signed package of directory ``source`` to ``out_path``
    (atomically: a temporary file renamed); return the manifest.  A directory
    holding only ``*.whl`` files is a "wheels" package, any other a "tree"."""
    from gateway.upgrade import keys
    manifest, files = make_manifest(source, version, built, min_version, product, store_schema)
    body = canonical_json(manifest)
    signature = canonical_json({"alg": "ed25519", "key": keys.public_hex(private_key),
                                "sig": keys.sign(private_key, body).hex()})
    mtime = int(built) if not isinstance(built, str) else 0
    out_path = os.fspath(out_path)
    tmp = out_path + ".tmp"
    try:
        with open(tmp, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
                for name, data in ((MANIFEST, body), (SIGNATURE, signature)):
                    ti = tarfile.TarInfo(name)
                    ti.size, ti.mtime, ti.mode = len(data), mtime, 0o644
                    tar.addfile(ti, io.BytesIO(data))
                for rel, full in files:
                    ti = tarfile.TarInfo(PAYLOAD + rel)
                    ti.size = manifest["files"][rel]["size"]
                    ti.mtime, ti.mode = mtime, manifest["files"][rel]["mode"]
                    with open(full, "rb") as f:
                        tar.addfile(ti, f)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return manifest


# ------------------------------------------------------------ reading
class PackageInfo:
    """What a package is: its manifest fields, the signing key, and (after
    ``verify``) whether it is trusted."""

    def __init__(self, path, manifest, signature):
        self.path = path
        self.manifest = manifest
        self.signature = signature
        self.trusted = False

    product = property(lambda self: self.manifest.get("product"))
    version = property(lambda self: self.manifest.get("version"))
    min_version = property(lambda self: self.manifest.get("min_version"))
    built = property(lambda self: self.manifest.get("built"))
    kind = property(lambda self: self.manifest.get("kind"))
    size = property(lambda self: self.manifest.get("size"))
    files = property(lambda self: self.manifest.get("files") or {})

    @property
    def key(self):
        return (self.signature or {}).get("key")

    def key_id(self):
        from gateway.upgrade import keys
        try:
            return keys.key_id(self.key) if self.key else None
        except ValueError:
            return None

    def describe(self):
        """One line for the console."""
        return "%s %s (%s, %d file(s), %d bytes, built %s, from %s on, signed by %s)" % (
            self.product, self.version, self.kind, len(self.files), self.size or 0,
            self.built, self.min_version or "any version", self.key_id() or "nobody")

    def as_dict(self):
        return {"product": self.product, "version": self.version,
                "min_version": self.min_version, "built": self.built, "kind": self.kind,
                "size": self.size, "files": len(self.files), "key": self.key,
                "key_id": self.key_id(), "trusted": self.trusted}


def _open(path):
    try:
        return tarfile.open(os.fspath(path), mode="r:gz")
    except (OSError, tarfile.TarError, EOFError) as err:
        raise PackageError("malformed", "%s: not a gzip-compressed tar archive (%s)"
                           % (path, err)) from None


def _member_bytes(tar, member, limit):
    if not member.isreg() or member.size > limit:
        raise PackageError("malformed", "%s is not a plain file of at most %d bytes"
                           % (member.name, limit))
    return tar.extractfile(member).read()


def read_info(path):
    """The PackageInfo of ``path`` from its manifest and signature, checking
    nothing but their form."""
    with _open(path) as tar:
        try:
            return _read_head(tar, path)
        except (OSError, tarfile.TarError, EOFError, ValueError, UnicodeDecodeError) as err:
            raise PackageError("malformed", "%s: cannot read the archive (%s)"
                               % (path, err)) from None


def _read_head(tar, path):
    manifest = signature = None
    for member in tar:
        if member.name == MANIFEST:
            manifest = _member_bytes(tar, member, MAX_MANIFEST)
        elif member.name == SIGNATURE:
            signature = _member_bytes(tar, member, 4096)
        if manifest is not None and signature is not None:
            break
    if manifest is None:
        raise PackageError("malformed", "%s has no %s: not an upgrade package" % (path, MANIFEST))
    try:
        parsed = json.loads(manifest)
        if not isinstance(parsed, dict) or not isinstance(parsed.get("files"), dict):
            raise ValueError("no file list")
    except ValueError as err:
        raise PackageError("malformed", "%s: %s is not a manifest (%s)"
                           % (path, MANIFEST, err)) from None
    sig = None
    if signature is not None:
        try:
            sig = json.loads(signature)
            if not isinstance(sig, dict):
                raise ValueError
        except ValueError:
            sig = {}
    info = PackageInfo(path, parsed, sig)
    info._manifest_bytes = manifest
    return info


def required_space(info):
    """Bytes an install of ``info`` needs free on the target filesystem."""
    return int(info.size or 0) + int(info.size or 0) // 10 + SPACE_MARGIN


def _existing_dir(path):
    path = os.path.abspath(os.fspath(path))
    while not os.path.isdir(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def verify(path, trusted_keys, running_version=None, allow_downgrade=False, target_dir=None,
           product=PRODUCT, disk_usage=shutil.disk_usage):
    """Check package ``path`` completely without writing anything; return its
    PackageInfo (``trusted`` True) or raise PackageError.

    ``trusted_keys``: public keys (hex strings, PEM text or key objects).
    ``running_version``: the version running now (None: no version check).
    ``target_dir``: where it would be installed (None: no space check)."""
    from gateway.upgrade import keys
    with _open(path) as tar:
        try:
            info = _read_head(tar, path)
            _check_signature(info, trusted_keys, keys)
            _check_identity(info, running_version, allow_downgrade, product)
            if target_dir is not None:
                need = required_space(info)
                free = disk_usage(_existing_dir(target_dir)).free
                if free < need:
                    raise PackageError("no_space", "%s %s needs %d bytes free in %s, there are %d:"
                                       " free some space first" % (info.product, info.version,
                                                                  need, target_dir, free), info)
            _check_files(tar, info)
        except (OSError, tarfile.TarError, EOFError, zlib.error) as err:
            raise PackageError("malformed", "%s: cannot read the archive (%s)"
                               % (path, err)) from None
    info.trusted = True
    return info


def _check_signature(info, trusted_keys, keys):
    sig = info.signature
    if not sig or not sig.get("sig") or not sig.get("key"):
        raise PackageError("unsigned", "%s carries no signature: build it with "
                           "`concentrator upgrade build --key KEYFILE`" % info.path, info)
    if sig.get("alg") != "ed25519":
        raise PackageError("bad_signature", "signature algorithm %r: only ed25519 is accepted"
                           % sig.get("alg"), info)
    try:
        signer = keys.parse_public(sig["key"])
        raw = bytes.fromhex(sig["sig"])
    except (ValueError, TypeError):
        raise PackageError("bad_signature", "the signature block is damaged", info) from None
    trusted = []
    for k in trusted_keys or ():
        try:
            trusted.append(keys.public_hex(keys.parse_public(k)))
        except ValueError:
            continue
    if keys.public_hex(signer) not in trusted:
        raise PackageError("unknown_key", "signed by key %s, which this board does not trust "
                           "(trusted: %s): sign with the vendor's key or add its public key "
                           "to the configuration" % (keys.key_id(signer),
                                                     ", ".join(keys.key_id(t) for t in trusted)
                                                     or "none"), info)
    if not keys.verify(signer, raw, info._manifest_bytes):
        raise PackageError("bad_signature", "the signature of key %s does not match the "
                           "manifest: the package was changed after signing"
                           % keys.key_id(signer), info)


def _check_identity(info, running_version, allow_downgrade, product):
    m = info.manifest
    if m.get("format") != FORMAT:
        raise PackageError("malformed", "package format %r, this board reads %d"
                           % (m.get("format"), FORMAT), info)
    if m.get("product") != product:
        raise PackageError("wrong_product", "a package for %r, this is %r"
                           % (m.get("product"), product), info)
    parse_version(m.get("version"))
    if m.get("kind") not in ("tree", "wheels"):
        raise PackageError("malformed", "package kind %r" % (m.get("kind"),), info)
    for rel, entry in m["files"].items():
        if (_safe_relpath(rel) is None or not isinstance(entry, dict)
                or not isinstance(entry.get("size"), int) or entry["size"] < 0
                or not isinstance(entry.get("sha256"), str)):
            raise PackageError("malformed", "manifest entry %r is not fit" % rel, info)
    if not isinstance(m.get("size"), int) or m["size"] != sum(e["size"] for e in
                                                              m["files"].values()):
        raise PackageError("malformed", "manifest size does not add up", info)
    if running_version is None:
        return
    if m.get("min_version") is not None:
        parse_version(m["min_version"])
        if compare_versions(running_version, m["min_version"]) < 0:
            raise PackageError("too_old", "%s %s upgrades from %s on, this board runs %s: "
                               "install an intermediate release first" % (
                                   product, m["version"], m["min_version"], running_version),
                               info)
    cmp = compare_versions(m["version"], running_version)
    if cmp == 0 and allow_downgrade:
        raise PackageError("running", "%s is the version running: nothing to do"
                           % running_version, info)
    if cmp <= 0 and not allow_downgrade:
        raise PackageError("not_newer", "version %s is not newer than the running %s "
                           "(a downgrade needs --allow-downgrade from the console)"
                           % (m["version"], running_version), info)


def _check_files(tar, info):
    expected = info.files
    seen = set()
    for member in tar:
        name = member.name
        if name in (MANIFEST, SIGNATURE):
            continue
        if member.isdir():
            continue
        rel = name[len(PAYLOAD):] if name.startswith(PAYLOAD) else None
        if rel is None or rel not in expected:
            raise PackageError("extra_file", "%s is in the package but not in its signed "
                               "manifest" % name, info)
        if not member.isreg():
            raise PackageError("malformed", "%s is not a plain file" % name, info)
        if rel in seen:
            raise PackageError("malformed", "%s is in the package twice" % name, info)
        seen.add(rel)
        if member.size != expected[rel]["size"]:        # before reading it: no gzip bomb
            raise PackageError("tampered", "%s has %d bytes, the signed manifest says %d"
                               % (rel, member.size, expected[rel]["size"]), info)
        h = hashlib.sha256()
        f = tar.extractfile(member)
        size = 0
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
            size += len(block)
        if h.hexdigest() != expected[rel]["sha256"] or size != expected[rel]["size"]:
            raise PackageError("tampered", "%s differs from the signed manifest (sha256 %s, "
                               "signed %s)" % (rel, h.hexdigest()[:16],
                                               expected[rel]["sha256"][:16]), info)
    missing = sorted(set(expected) - seen)
    if missing:
        raise PackageError("missing_file", "%s of the signed manifest is missing from the "
                           "package%s" % (missing[0], " (and %d more)" % (len(missing) - 1)
                                          if len(missing) > 1 else ""), info)


def iter_payload(path, info):
    """(relative path, manifest entry, file object) of every payload file of
    an already verified package, in archive order."""
    with _open(path) as tar:
        for member in tar:
            if member.isreg() and member.name.startswith(PAYLOAD):
                rel = member.name[len(PAYLOAD):]
                if rel in info.files:
                    yield rel, info.files[rel], tar.extractfile(member)
