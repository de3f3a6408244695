"""kill -9 at random instants while the engine freezes: nothing committed is lost,
and the store passes PRAGMA integrity_check every time."""

import os
import random
import signal
import subprocess
import sys
from decimal import Decimal

import pytest

from store import Store
from tests.corpus import ROOT

CHILD = ROOT / "tests" / "scheduler" / "kill_child.py"


def _kill_rounds(tmp_path, rounds, seed):
    rnd = random.Random(seed)
    committed = {}
    for k in range(rounds):
        proc = subprocess.Popen([sys.executable, str(CHILD), str(tmp_path), str(k)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        # kill at a random point of the work (not of the wall clock, which
        # depends on the machine): after a random number of committed lines
        target = rnd.randrange(150, 400)
        seen = []
        for raw in proc.stdout:
            seen.append(raw)
            if len(seen) >= target:
                break
        proc.send_signal(signal.SIGKILL)
        # the rest through the same buffered reader: communicate() would read the raw
        # pipe and skip what the reader had already buffered, cutting a line in two
        out = proc.stdout.read()
        err = proc.stderr.read()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
        lines = (b"".join(seen) + out).decode().split("\n")[:-1]   # the last one may be cut
        for line in lines:
            meter, kind, ts, q, value = line.split(" ")
            committed[(meter, kind, int(ts), q)] = value
        s = Store(os.path.join(tmp_path, "store.db"))
        try:
            assert s.integrity_check() == "ok"
            stored = {}
            for kind in ("hourly", "daily", "monthly"):
                for r in s.readings(kind):
                    stored[(r["meter"], kind, r["ts"], r["q"])] = r["value"]
        finally:
            s.close()
        lost = [key for key in committed if key not in stored]
        assert not lost, "round %d lost %d committed values, e.g. %s" % (k, len(lost), lost[:3])
        for key, value in committed.items():
            if value != "None":
                assert stored[key] == Decimal(value), key
    return committed


def test_kill_9_during_freezing_loses_nothing_committed(tmp_path):
    committed = _kill_rounds(tmp_path, rounds=4, seed=1)
    assert len(committed) > 500


@pytest.mark.soak
def test_kill_9_soak(tmp_path):
    _kill_rounds(tmp_path, rounds=25, seed=2)
