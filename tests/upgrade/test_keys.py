import os
import stat

import pytest

from gateway.upgrade import keys


def test_keygen_writes_private_0600_and_public_hex(tmp_path):
    path = str(tmp_path / "vendor.key")
    key, pub = keys.generate(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path + ".pub").st_mode) == 0o644
    assert open(path + ".pub").read() == pub + "\n" and len(pub) == 64
    assert len(open(path).read().strip()) == 64
    loaded = keys.load_private(path)
    assert keys.public_hex(loaded) == pub == keys.public_hex(keys.load_public(path + ".pub"))


def test_keygen_mode_is_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        keys.generate(str(tmp_path / "k"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == 0o600


def test_keygen_refuses_to_overwrite(tmp_path):
    path = str(tmp_path / "k")
    _, first = keys.generate(path)
    with pytest.raises(keys.KeyFileError, match="exists"):
        keys.generate(path)
    assert keys.public_hex(keys.load_private(path)) == first
    _, second = keys.generate(path, overwrite=True)
    assert second != first and stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_sign_and_verify(tmp_path):
    key, pub = keys.generate(str(tmp_path / "k"))
    sig = keys.sign(key, b"manifest")
    assert keys.verify(pub, sig, b"manifest")
    assert not keys.verify(pub, sig, b"manifest!")
    other, _ = keys.generate(str(tmp_path / "o"))
    assert not keys.verify(keys.public_hex(other), sig, b"manifest")
    assert len(keys.key_id(pub)) == 16


def test_pem_keys_are_accepted(tmp_path):
    from cryptography.hazmat.primitives import serialization
    key, pub = keys.generate(str(tmp_path / "k"))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (tmp_path / "k.pem").write_bytes(pem)
    assert keys.public_hex(keys.load_private(str(tmp_path / "k.pem"))) == pub
    pub_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    assert keys.public_hex(keys.parse_public(pub_pem)) == pub


def test_bad_key_files_are_refused_with_the_reason(tmp_path):
    (tmp_path / "bad").write_text("not a key\n")
    with pytest.raises(keys.KeyFileError, match="not an Ed25519 private key"):
        keys.load_private(str(tmp_path / "bad"))
    with pytest.raises(keys.KeyFileError, match="not an Ed25519 public key"):
        keys.load_public(str(tmp_path / "bad"))
    with pytest.raises(keys.KeyFileError, match="cannot read"):
        keys.load_private(str(tmp_path / "missing"))
