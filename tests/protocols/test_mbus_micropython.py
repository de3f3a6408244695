"""protocols/mbus* on MicroPython 1.27: decoders, builders and the RSP_UD encoder
give the same results as on CPython (tests/micropython/run_mp.mjs under node)."""

import shutil
import subprocess
import sys

import pytest

from tests.corpus import ROOT, mbus_hex_files, own_vectors

RUNNER = ROOT / "tests" / "micropython" / "run_mp.mjs"

SCRIPT = r'''
import json
from protocols.mbus import codec as mbus
from protocols.core.errors import CodecError
from protocols.core.num import Num


def dumps(x):
    # ASCII-only JSON: CPython escapes non-ASCII (m\u00b3), MicroPython does not
    return "".join(c if ord(c) < 128 else "\\u%04x" % ord(c) for c in json.dumps(x))


def canon(obj):
    if isinstance(obj, Num):
        return dumps(str(obj))
    if isinstance(obj, dict):
        return "{" + ",".join(dumps(k) + ":" + canon(obj[k]) for k in sorted(obj)) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(canon(v) for v in obj) + "]"
    return dumps(obj)


def show(fn, *args, **kw):
    try:
        r = fn(*args, **kw)
    except CodecError as err:
        print("!" + type(err).__name__ + ": " + str(err))
        return None
    print(r.hex() if isinstance(r, bytes) else canon(r))
    return r


f = open("/work/frames.txt")
for line in f:
    line = line.strip()
    if line:
        show(mbus.decode_dict, bytes.fromhex(line))
f.close()
show(mbus.snd_nke, 1)
show(mbus.req_ud2, 1, True)
show(mbus.select_secondary, "1234FFFF", "ACW", 14, 22, True)
show(mbus.set_primary_address, 1, 200)
show(mbus.set_baud, 1, 38400)
show(mbus.application_reset, 1, 3)
show(mbus.encode_record, 0x13, Num(12345, -3), "bcd12", 9, 5, 1, "maximum")
show(mbus.encode_record, 0x13, Num(1, -3), "bcd2", 0, 0, 0, "instantaneous")
frame = show(mbus.encode_rsp_ud, 5, [
    (0x78, "11490378", "bcd8"), (0x13, Num.parse("54.321")), (0x5B, Num.parse("92.5"), "real32"),
    (0x6C, "2024-12-31", "int16", 1), (0x6D, "2014-03-13T11:11:00"),
    (0x6D, "2026-05-12T13:45:30", "int48"), ((0xFD, 0x0C), "v1.2", "var"),
    (0x13, Num(-5, -3), "var"), ((0xFD, 0x16), "0102030405060708090A0B0C0D0E0F10", "varbin"),
    {"vif": (0xFC, 0x74), "value": Num(4564, -2), "coding": "int16", "text": "%RH"},
    ((0x93, 0x74), Num(12345, -5), "int64"), (0x03, Num(-7, -3), "int24", 0, 2, 0)],
    {"id": "12345678", "manufacturer": "ACW", "version": 1, "medium": 4, "access_no": 9,
     "status": 0x14, "signature": "B627"}, mfr_data=b"\x01\x02", more_records_follow=True)
show(mbus.decode_dict, frame)
d = mbus.Deframer()
out = d.feed(b"\xfe\xfe\x00" + frame[:7])
out += d.feed(frame[7:] + b"\xe5" + frame[:-2] + b"\x00\x16" + mbus.snd_nke(3))
print(len(out), d.rejected, len(d.pending()), [len(x) for x in out])
for bad in ("680303680801721616", "6803036808017279", "E5E5", "00"):
    show(mbus.decode, bytes.fromhex(bad))
'''


def _frames():
    out = []
    for folder in ("test-frames", "error-frames", "unsupported-frames"):
        for _, text in mbus_hex_files(folder):
            try:
                out.append(bytes.fromhex("".join(text.split())).hex())
            except ValueError:
                pass
    out += [v["bytes"].hex() for v in own_vectors("mbus")]
    return out


def test_mbus_on_micropython_matches_cpython(tmp_path):
    node = shutil.which("node")
    if node is None or not (ROOT / ".mp" / "node_modules").exists():
        pytest.skip("node or the MicroPython WebAssembly package is missing (make test installs it)")
    work = tmp_path / "work"
    work.mkdir()
    (work / "frames.txt").write_text("\n".join(_frames()) + "\n")
    script = tmp_path / "mbus_check.py"
    script.write_text(SCRIPT)
    cpy_script = tmp_path / "mbus_check_cpython.py"
    cpy_script.write_text(SCRIPT.replace("/work/frames.txt", str(work / "frames.txt")))
    cpy = subprocess.run([sys.executable, str(cpy_script)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={"PYTHONPATH": str(ROOT)})
    assert cpy.returncode == 0, cpy.stderr
    mpy = subprocess.run([node, str(RUNNER), "--mount", "%s:/protocols" % (ROOT / "protocols"),
                          "--mount", "%s:/work" % work, str(script)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert mpy.returncode == 0, mpy.stderr[-3000:]
    c_lines, m_lines = cpy.stdout.splitlines(), mpy.stdout.splitlines()
    assert len(c_lines) > 100
    diffs = [(c, m) for c, m in zip(c_lines, m_lines) if c != m]
    assert not diffs and len(c_lines) == len(m_lines), "\n".join(
        "CPython:     %s\nMicroPython: %s" % d for d in diffs[:3]) + mpy.stderr[-2000:]
