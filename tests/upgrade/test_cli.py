import json
import os
import stat
import tarfile

import pytest
from click.testing import CliRunner

from gateway.upgrade import install as inst
from gateway.cli.upgrade import upgrade
from tests.upgrade.conftest import make_tree


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONCENTRATOR_PREFIX", str(tmp_path / "opt"))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(upgrade, list(args), catch_exceptions=False)
    return invoke


@pytest.fixture
def vendor(run):
    r = run("keygen", "vendor.key")
    assert r.exit_code == 0, r.output
    return "vendor.key"


def build(run, version, behaviour="ok", key="vendor.key", *extra):
    src = make_tree("src-" + version, version, behaviour)
    out = "c-%s.upg" % version
    r = run("build", "--key", key, "--version", version, "-o", out, "--built", "1796390000",
            *extra, src)
    assert r.exit_code == 0, r.output
    return out


def test_keygen_modes_and_output(run, vendor, tmp_path):
    assert stat.S_IMODE(os.stat(tmp_path / "vendor.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "vendor.key.pub").st_mode) == 0o644
    r = run("keygen", "vendor.key")
    assert r.exit_code == 1 and "exists" in r.output and "--force" in r.output
    assert run("keygen", "--force", "vendor.key").exit_code == 0


def test_build_and_verify(run, vendor):
    out = build(run, "1.2.0", "ok", vendor, "--min-version", "0.1")
    r = run("verify", out, "--trust", "vendor.key.pub")
    assert r.exit_code == 0, r.output
    assert "concentrator 1.2.0 (tree" in r.output and "trusted and intact" in r.output
    r = run("verify", out, "--trust", "vendor.key.pub", "--json")
    assert json.loads(r.output)["package"]["version"] == "1.2.0"


def test_verify_refuses_with_the_reason(run, vendor):
    out = build(run, "1.2.0")
    run("keygen", "other.key")
    r = run("verify", out, "--trust", "other.key.pub")
    assert r.exit_code == 1
    assert "concentrator 1.2.0" in r.output and "refused (unknown_key)" in r.output
    r = run("verify", out)
    assert r.exit_code == 1 and "unknown_key" in r.output
    r = run("verify", out, "--trust", "nope.pub")
    assert r.exit_code == 2


def test_install_status_rollback(run, vendor, tmp_path):
    prefix = str(tmp_path / "opt")
    r = run("install", build(run, "1.0.0"), "--trust", "vendor.key.pub")
    assert r.exit_code == 0 and "first release" in r.output
    r = run("install", build(run, "1.1.0"), "--trust", "vendor.key.pub")
    assert r.exit_code == 0 and "beside 1.0.0" in r.output and "systemctl restart" in r.output
    r = run("boot-check")
    assert json.loads(r.output)["action"] == "installed"
    r = run("status")
    assert "running   1.1.0 (probation)" in r.output and "previous  1.0.0" in r.output
    assert "probation start 1 of 3" in r.output
    st = json.loads(run("status", "--json").output)
    assert st["current"] == "1.1.0" and st["releases"] == ["1.0.0", "1.1.0"]
    r = run("install", build(run, "1.2.0"), "--trust", "vendor.key.pub")
    assert r.exit_code == 1 and "probation" in r.output
    r = run("rollback", "--now")
    assert r.exit_code == 0 and "rolled back from 1.1.0 to 1.0.0" in r.output
    assert inst.link_version(inst.Layout(prefix), "current") == "1.0.0"
    assert "manual" in run("status").output
    r = run("rollback")
    assert r.exit_code == 1 and "no previous release" in r.output


def test_install_refuses_an_older_package_unless_allowed(run, vendor):
    run("install", build(run, "1.0.0"), "--trust", "vendor.key.pub")
    old = build(run, "0.9.0")
    r = run("install", old, "--trust", "vendor.key.pub")
    assert r.exit_code == 1 and "refused (not_newer)" in r.output
    r = run("install", old, "--trust", "vendor.key.pub", "--allow-downgrade")
    assert r.exit_code == 0, r.output
    r = run("install", old)
    assert r.exit_code == 2 and "--trust" in r.output


def test_build_of_the_checkout_as_a_tree(run, vendor):
    r = run("build", "--key", "vendor.key", "--version", "9.0.0", "-o", "co.upg", "--tree")
    assert r.exit_code == 0, r.output
    with tarfile.open("co.upg") as tar:
        names = tar.getnames()
    assert "payload/gateway/upgrade/install.py" in names and "payload/setup.cfg" in names
    assert not any("/tests/" in n or ".venv" in n or "__pycache__" in n for n in names)


def test_bad_usage(run, vendor):
    r = run("build", "--key", "vendor.key", "--version", "1.0rc1", "-o", "x.upg", ".")
    assert r.exit_code == 2 and "dotted integers" in r.output
    r = run("build", "--key", "missing.key", "--version", "1.0", "-o", "x.upg", ".")
    assert r.exit_code == 2
    assert run("status").output.startswith("no release installed")


def test_the_group_has_help():
    r = CliRunner().invoke(upgrade, ["--help"])
    assert r.exit_code == 0
    for cmd in ("keygen", "build", "verify", "install", "status", "rollback", "boot-check"):
        assert cmd in r.output


def test_the_configuration_gives_the_prefix_and_the_trusted_keys(run, vendor, tmp_path,
                                                                monkeypatch):
    monkeypatch.delenv("CONCENTRATOR_PREFIX")
    prefix = tmp_path / "board-opt"
    pub = (tmp_path / "vendor.key.pub").read_text().strip()
    config = tmp_path / "concentrator.toml"
    config.write_text('[concentrator]\nid = "c01"\n[[port]]\nname = "bus1"\ndevice = "/dev/null"\n'
                      '[uplink]\nenabled = false\n[upgrade]\nprefix = "%s"\ntrusted_keys = ["%s"]\n'
                      % (prefix, pub))
    out = build(run, "1.0.0")
    r = run("install", out, "--config", str(config))              # no --trust, no --prefix
    assert r.exit_code == 0, r.output
    assert "installed 1.0.0 in %s (first release)" % prefix in r.output
    assert (prefix / "upgrade-boot.pyz").is_file()                 # the boot check's copy
    r = run("status", "--config", str(config))
    assert r.exit_code == 0 and "running   1.0.0 (confirmed)" in r.output
    r = run("rollback", "--config", str(config))
    assert r.exit_code == 1 and "no previous release" in r.output
    config.write_text(config.read_text().replace('trusted_keys = ["%s"]' % pub, ""))
    r = run("install", build(run, "1.1.0"), "--config", str(config))
    assert r.exit_code == 2 and "upgrade.trusted_keys" in r.output


def test_a_refused_install_leaves_an_upgrade_event_for_the_agent(run, vendor, tmp_path):
    from gateway.upgrade import install as inst
    prefix = str(tmp_path / "opt")
    run("install", build(run, "1.0.0"), "--trust", "vendor.key.pub")
    before = sorted(os.listdir(os.path.join(prefix, "releases")))
    inst.clear_events(prefix, 1 << 30)
    r = run("install", build(run, "0.9.0"), "--trust", "vendor.key.pub")
    assert r.exit_code == 1 and "refused (not_newer)" in r.output
    (ev,) = inst.pending_events(prefix)
    assert ev["result"] == "refused" and ev["reason"] == "not_newer" and ev["version"] == "0.9.0"
    assert sorted(os.listdir(os.path.join(prefix, "releases"))) == before     # nothing touched
