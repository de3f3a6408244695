"""The boot check's copy outside the releases: one file, standard library only."""

import ast
import json
import os
import subprocess
import sys

from gateway.upgrade import bootcopy
from gateway.upgrade import install as inst

BOOT = os.path.dirname(bootcopy.files.__file__)


def test_boot_package_uses_the_standard_library_and_relative_imports_only():
    for name in sorted(os.listdir(BOOT)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(BOOT, name)) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module.split(".")[0] in sys.stdlib_module_names, (name, node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] in sys.stdlib_module_names, (name, alias.name)


def _run(copy, prefix):
    """The copy as systemd runs it: isolated (-I), from another directory, so
    nothing of the checkout or the releases is on sys.path."""
    done = subprocess.run([sys.executable, "-I", copy, "boot-check", "--prefix", prefix],
                          capture_output=True, text=True, cwd="/", timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_copy_rolls_back_a_release_that_keeps_crashing(tmp_path, make_package, trusted,
                                                          clock):
    prefix = str(tmp_path / "opt")
    inst.install(make_package("1.0.0"), prefix, trusted, clock)
    inst.install(make_package("1.1.0", behaviour="crash"), prefix, trusted, clock,
                 max_attempts=2)
    copy = bootcopy.write(prefix)
    assert copy == os.path.join(prefix, bootcopy.FILE)
    assert _run(copy, prefix)["action"] == "installed"
    assert _run(copy, prefix)["action"] == "probation"
    out = _run(copy, prefix)
    assert out["action"] == "rolled_back" and out["reason"] == "crashed_at_start"
    assert inst.link_version(inst.Layout(prefix), inst.CURRENT) == "1.0.0"
    results = [e["result"] for e in inst.pending_events(prefix)]
    assert results[-2:] == ["installed", "rolled_back"]


def test_the_copy_never_blocks_the_start(tmp_path):
    copy = bootcopy.write(str(tmp_path), str(tmp_path / "boot.pyz"))
    assert _run(copy, str(tmp_path / "nothing"))["action"] == "none"
    assert bootcopy.build() == bootcopy.build()          # deterministic
