"""protocols/ runs on MicroPython 1.27 and decodes the corpus exactly as CPython does."""

import shutil
import subprocess
import sys

import pytest

from tests.corpus import ROOT, manifest_lines

MP_DIR = ROOT / ".mp"
RUNNER = ROOT / "tests" / "micropython" / "run_mp.mjs"
SCRIPT = ROOT / "tests" / "micropython" / "decode_manifest.py"


def _node():
    node = shutil.which("node")
    if node is None or not (MP_DIR / "node_modules").exists():
        pytest.fail("node or the MicroPython WebAssembly package is missing: run `make test`, "
                    "which installs both (npm package %s in .mp/)" % "@micropython/micropython-webassembly-pyscript")
    return node


def test_protocols_decode_corpus_identically_on_micropython(tmp_path):
    node = _node()
    work = tmp_path / "work"
    work.mkdir()
    manifest = work / "manifest.txt"
    lines = manifest_lines()
    assert len(lines) > 200, "the corpus should give hundreds of frames"
    manifest.write_text("\n".join(lines) + "\n")

    cpy = subprocess.run([sys.executable, str(SCRIPT), str(manifest)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert cpy.returncode == 0, cpy.stderr
    mpy = subprocess.run([node, str(RUNNER), "--mount", "%s:/protocols" % (ROOT / "protocols"),
                          "--mount", "%s:/work" % work, str(SCRIPT)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert mpy.returncode == 0, mpy.stderr[-3000:]

    c_lines = cpy.stdout.splitlines()
    m_lines = mpy.stdout.splitlines()
    assert len(c_lines) == len(lines)
    assert len(m_lines) == len(c_lines), mpy.stderr[-2000:]
    diffs = [(c, m) for c, m in zip(c_lines, m_lines) if c != m]
    assert not diffs, "first differences (CPython, MicroPython):\n" + "\n".join(
        "%s\n%s" % d for d in diffs[:5])
    decoded = sum(1 for c in c_lines if "\t!" not in c)
    assert decoded > len(lines) // 2


def test_protocols_import_nothing_forbidden():
    import ast
    forbidden = {"typing", "dataclasses", "enum", "decimal", "__future__"}
    for path in (ROOT / "protocols").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not names & forbidden, (path.name, node.lineno, names & forbidden)
            assert all(n == "protocols" or n in {"struct", "json", "sys"} for n in names), \
                (path.name, "protocols/ imports nothing of the project but itself", names)
        assert ".translate(" not in path.read_text() or path.name == "bcd.py", path
