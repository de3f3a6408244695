"""The broker goes away for a day; the agent is killed while draining; TLS."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.corpus import ROOT
from bench.harness import T0
from sim.broker import Mosquitto
from sim.station import Master, utc
from tests.upstream.rig import CID, Rig

SCENARIO = {"port": [{"name": "bus1", "baud": 2400, "meters": [
    {"protocol": "dlt645-2007", "count": 6, "first_address": "000000000001"}]}]}


def test_broker_down_for_a_day_then_everything_arrives_in_order(tmp_path):
    rig = Rig(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 30},
              uplink={"batch_max": 20, "inflight": 8})
    try:
        rig.start_uplink()
        b = rig.bench
        b.start()
        b.run_until(T0 + 6 * 3600)
        assert rig.wait_drained(30)
        rig.broker.stop()                                   # a day without the broker
        b.run_until(T0 + 30 * 3600)
        waiting = b.store.batch_backlog()
        assert waiting[0] + waiting[1] > 100                # the backlog is in the store
        rig.broker.start()
        b.stop()
        assert rig.wait_drained(60)
        m = rig.master
        last = b.store.get_state("uplink.seq")
        assert m.wait(lambda: len(m.batches) >= last, 30)
        assert m.gaps() == [] and m.seqs() == list(range(1, last + 1))
        assert m.first_arrival_order() == sorted(m.first_arrival_order())   # in seq order
        dups = m.duplicates()
        assert len(dups) <= 8                               # only what was in flight
        assert all(len(set(copies)) == 1 for copies in dups.values())      # same bytes, same seq
        stored = set((r["meter"], r["q"], r["kind"], r["ts"])
                     for k in ("realtime", "hourly", "daily") for r in b.store.readings(k))
        got = set((r["meter"], r["q"], r["_kind"], utc(r["ts"])) for r in m.records())
        assert got == stored
    finally:
        rig.close()


DRAIN_CHILD = ROOT / "tests" / "upstream" / "drain_child.py"


def test_agent_killed_20_times_while_draining_loses_nothing(tmp_path):
    from tests.upstream.drain_child import make_backlog
    broker = Mosquitto(tmp_path / "broker").start()
    master = Master(broker.port, CID)
    agent = tmp_path / "agent"
    expected = make_backlog(agent, meters=60, hours=48)
    rnd = random.Random(5)
    try:
        for k in range(21):
            proc = subprocess.Popen([sys.executable, str(DRAIN_CHILD), str(agent), str(broker.port)],
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if k < 20:
                time.sleep(rnd.uniform(0.6, 1.4))
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
            else:
                out, err = proc.communicate(timeout=120)   # the last run drains to the end
                assert proc.returncode == 0, err.decode()[-2000:]
        from store import Store
        s = Store(agent / "store.db")
        last = s.get_state("uplink.seq")
        assert s.batch_backlog()[:2] == (0, 0)
        s.close()
        assert master.wait(lambda: len(master.batches) >= last, 30)
        assert master.gaps() == []
        got = set((r["meter"], r["q"], utc(r["ts"])) for r in master.records())
        assert got == expected
    finally:
        master.close()
        broker.stop()


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_certs(d):
    os.makedirs(d, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "2", "-subj", "/CN=test-ca", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext", cwd=d)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out",
             "other.crt", "-days", "2", "-subj", "/CN=other-ca", cwd=d)
    return dict((n, os.path.join(d, n)) for n in ("ca.crt", "server.crt", "server.key", "other.crt"))


def test_tls_with_the_right_ca_and_a_clear_error_with_a_wrong_one(tmp_path):
    from upstream.session import Session
    from upstream.settings import UplinkSettings
    from drivers.clock import RealClock
    c = make_certs(str(tmp_path / "pki"))
    broker = Mosquitto(tmp_path / "broker", persistence=False,
                       tls={"cafile": c["ca.crt"], "certfile": c["server.crt"],
                            "keyfile": c["server.key"]}).start()
    try:
        good = Session(UplinkSettings(cid="tls1", port=broker.port, tls_ca=c["ca.crt"]), RealClock(),
                       "test")
        good.start()
        deadline = time.monotonic() + 10
        while not good.up and time.monotonic() < deadline:
            time.sleep(0.05)
        assert good.up
        good.stop()
        bad = Session(UplinkSettings(cid="tls2", port=broker.port, tls_ca=c["other.crt"],
                                     reconnect_min=0.2, reconnect_max=0.5), RealClock(), "test")
        bad.start()
        deadline = time.monotonic() + 10
        while bad.last_error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not bad.up
        assert "TLS handshake" in bad.last_error and "certificate verify failed" in bad.last_error
        assert "uplink.tls_ca" in bad.last_error
        bad.stop()
    finally:
        broker.stop()
