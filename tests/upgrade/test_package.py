import json
import os
from collections import namedtuple

import pytest

from gateway.upgrade import keys, package
from gateway.upgrade.package import PackageError
from tests.upgrade.conftest import BUILT, make_tree, rewrite

Usage = namedtuple("Usage", "total used free")


def test_build_writes_manifest_signature_and_payload(make_package, trusted, vendor_key):
    path = make_package("1.2.0", min_version="1.0.0")
    info = package.verify(path, trusted, running_version="1.1.0")
    assert info.trusted and info.product == "concentrator" and info.version == "1.2.0"
    assert info.min_version == "1.0.0" and info.kind == "tree"
    assert info.built == "2026-12-04T13:13:20+00:00"
    assert sorted(info.files) == ["VERSION", "app/main.py", "behaviour"]
    assert info.key == keys.public_hex(vendor_key)
    assert "1.2.0" in info.describe() and info.as_dict()["trusted"] is True
    import tarfile
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = tar.extractfile("manifest.json").read()
    assert names[:2] == ["manifest.json", "signature.json"]
    assert all(n.startswith("payload/") for n in names[2:])
    assert manifest == package.canonical_json(json.loads(manifest))


def test_build_is_reproducible(tmp_path, vendor_key):
    src = make_tree(str(tmp_path / "src"), "1.0.0")
    a, b = str(tmp_path / "a.upg"), str(tmp_path / "b.upg")
    package.build(src, a, vendor_key, "1.0.0", built=BUILT)
    package.build(src, b, vendor_key, "1.0.0", built=BUILT)
    assert package.read_info(a).manifest == package.read_info(b).manifest


def test_a_directory_of_wheels_is_a_wheels_package(tmp_path, vendor_key):
    src = tmp_path / "wheels"
    src.mkdir()
    (src / "concentrator-1.2.0-py3-none-any.whl").write_bytes(b"PK fake")
    (src / "click-8.1.7-py3-none-any.whl").write_bytes(b"PK fake")
    m = package.build(str(src), str(tmp_path / "w.upg"), vendor_key, "1.2.0", built=BUILT)
    assert m["kind"] == "wheels"


def test_caches_are_left_out_and_links_refused(tmp_path, vendor_key):
    src = make_tree(str(tmp_path / "src"), "1.0.0")
    os.makedirs(os.path.join(src, "app", "__pycache__"))
    open(os.path.join(src, "app", "__pycache__", "main.cpython-311.pyc"), "w").close()
    m = package.build(src, str(tmp_path / "p.upg"), vendor_key, "1.0.0", built=BUILT)
    assert not any("__pycache__" in f for f in m["files"])
    os.symlink("VERSION", os.path.join(src, "link"))
    with pytest.raises(ValueError, match="not a regular file"):
        package.build(src, str(tmp_path / "q.upg"), vendor_key, "1.0.0", built=BUILT)


@pytest.mark.parametrize("a,b,cmp", [("1.2.0", "1.2", 0), ("1.10.0", "1.9.9", 1),
                                     ("0.9", "1.0", -1), ("2", "1.99.99", 1)])
def test_versions_compare_as_dotted_integers(a, b, cmp):
    assert package.compare_versions(a, b) == cmp


@pytest.mark.parametrize("bad", ["1.2.0rc1", "", "v1", "1..2", "../x", None])
def test_bad_versions(bad):
    with pytest.raises(PackageError) as err:
        package.parse_version(bad)
    assert err.value.reason == "bad_version"


def refused(path, trusted, reason, **kw):
    with pytest.raises(PackageError) as err:
        package.verify(path, trusted, **kw)
    assert err.value.reason == reason, err.value
    assert err.value.message
    return err.value


def test_tampered_file_is_refused(make_package, trusted, tmp_path):
    good = make_package("1.2.0")

    def change(members):
        for m in members:
            if m[0] == "payload/app/main.py":
                m[1] = m[1] + b"import os; os.system('rm -rf /')\n"
    err = refused(rewrite(good, str(tmp_path / "t.upg"), change), trusted, "tampered")
    assert "app/main.py" in err.message
    assert err.info.version == "1.2.0"      # it still says what it is


def test_missing_and_extra_files_are_refused(make_package, trusted, tmp_path):
    good = make_package("1.2.0")
    refused(rewrite(good, str(tmp_path / "m.upg"),
                    lambda ms: ms.remove(next(m for m in ms if m[0] == "payload/VERSION"))),
            trusted, "missing_file")
    refused(rewrite(good, str(tmp_path / "e.upg"),
                    lambda ms: ms.append(["payload/app/evil.py", b"x"])), trusted, "extra_file")
    refused(rewrite(good, str(tmp_path / "x.upg"),
                    lambda ms: ms.append(["../../etc/passwd", b"x"])), trusted, "extra_file")


def test_unsigned_package_is_refused(make_package, trusted, tmp_path):
    good = make_package("1.2.0")
    path = rewrite(good, str(tmp_path / "u.upg"),
                   lambda ms: ms.remove(next(m for m in ms if m[0] == "signature.json")))
    refused(path, trusted, "unsigned")


def test_unknown_key_is_refused(make_package, trusted, other_key):
    path = make_package("1.2.0", key=other_key)
    err = refused(path, trusted, "unknown_key")
    assert keys.key_id(keys.public_hex(other_key)) in err.message
    refused(path, [], "unknown_key")


def test_changed_manifest_breaks_the_signature(make_package, trusted, tmp_path):
    good = make_package("1.2.0")

    def change(members):
        m = json.loads(members[0][1])
        m["version"] = "9.9.9"
        members[0][1] = package.canonical_json(m)
    refused(rewrite(good, str(tmp_path / "b.upg"), change), trusted, "bad_signature")


def test_version_rules(make_package, trusted):
    path = make_package("1.2.0", min_version="1.1.0")
    refused(path, trusted, "not_newer", running_version="1.2.0")
    refused(path, trusted, "not_newer", running_version="1.3")
    refused(path, trusted, "too_old", running_version="1.0.5")
    assert package.verify(path, trusted, running_version="1.3", allow_downgrade=True).trusted
    refused(path, trusted, "running", running_version="1.2", allow_downgrade=True)


def test_another_product_is_refused(make_package, trusted):
    refused(make_package("1.2.0", product="water-meter"), trusted, "wrong_product",
            running_version="1.0.0")


def test_too_little_disk_is_refused(make_package, trusted, tmp_path):
    path = make_package("1.2.0")
    err = refused(path, trusted, "no_space", target_dir=str(tmp_path / "not" / "yet"),
                  disk_usage=lambda p: Usage(100, 90, 10))
    assert "needs" in err.message
    assert package.verify(path, trusted, target_dir=str(tmp_path),
                          disk_usage=lambda p: Usage(1 << 30, 0, 1 << 30)).trusted


def test_not_a_package(tmp_path, trusted):
    (tmp_path / "junk.upg").write_bytes(b"\x1f\x8b garbage")
    refused(str(tmp_path / "junk.upg"), trusted, "malformed")
    (tmp_path / "text.upg").write_text("hello")
    refused(str(tmp_path / "text.upg"), trusted, "malformed")
