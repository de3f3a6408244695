"""Ed25519 keys of upgrade packages.

Key files are text: 64 hex digits (32 bytes) and a newline.

- ``KEYFILE`` holds the private key's raw seed, written with mode 0600 (the
  file is created with that mode: it is never readable by others, not even
  for an instant).
- ``KEYFILE.pub`` holds the raw public key, mode 0644.  This hex string is
  also what a board's configuration lists as a trusted key.

``load_private`` and ``load_public`` also accept PEM (PKCS#8 private key,
SubjectPublicKeyInfo public key), so keys made with ``openssl genpkey
-algorithm ed25519`` work too.
"""

import hashlib
import os
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

from protocols.core.errors import ConcentratorError

HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_RAW = serialization.Encoding.Raw


class KeyFileError(ConcentratorError, ValueError):
    """A key file or key string that cannot be used (the message says why)."""



def generate(path, overwrite=False):
    """Write a new private key to ``path`` (0600) and its public key to
    ``path + ".pub"`` (0644); return ``(private_key, public_hex)``.  An
    existing ``path`` is refused unless ``overwrite``."""
    path = os.fspath(path)
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(_RAW, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    pub = public_hex(key.public_key())
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError("%s exists: give another file name (or overwrite it on purpose)"
                           % path) from None
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(seed.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    pub_path = path + ".pub"
    tmp = pub_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(pub + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, pub_path)
    return key, pub


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise KeyFileError("cannot read key file %s: %s" % (path, err.strerror)) from None


def load_private(path):
    """The Ed25519 private key in ``path`` (hex seed or PEM)."""
    data = _read(path)
    text = data.decode("ascii", "replace").strip()
    if HEX64.match(text):
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as err:
            raise KeyFileError("%s: not a usable PEM private key: %s" % (path, err)) from None
        if isinstance(key, Ed25519PrivateKey):
            return key
    raise KeyFileError("%s is not an Ed25519 private key (expected 64 hex digits or PEM)"
                       % path)


def parse_public(text):
    """An Ed25519 public key from a hex string or PEM text."""
    if isinstance(text, Ed25519PublicKey):
        return text
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = text.strip()
    if HEX64.match(text):
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as err:
            raise KeyFileError("not a usable PEM public key: %s" % err) from None
        if isinstance(key, Ed25519PublicKey):
            return key
    raise KeyFileError("not an Ed25519 public key (expected 64 hex digits or PEM): %.20r"
                       % text)


def load_public(path):
    """The Ed25519 public key in file ``path`` (hex or PEM)."""
    try:
        return parse_public(_read(path))
    except KeyFileError as err:
        raise KeyFileError("%s: %s" % (path, err)) from None


def public_hex(key):
    """The raw public key as 64 hex digits (of a public or private key)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw).hex()


def key_id(key):
    """A short name of a public key for messages: the first 16 hex digits of
    the SHA-256 of its raw bytes."""
    if not isinstance(key, Ed25519PrivateKey):
        key = parse_public(key)
    return hashlib.sha256(bytes.fromhex(public_hex(key))).hexdigest()[:16]


def sign(private_key, data):
    """The 64-byte Ed25519 signature of ``data``."""
    return private_key.sign(data)


def verify(public_key, signature, data):
    """True if ``signature`` is ``public_key``'s signature of ``data``."""
    try:
        parse_public(public_key).verify(signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False
