"""Fixtures of the upgrade tests: keys, release trees, packages, a clock, a
simulated agent under a supervisor (systemd's Restart=on-failure)."""

import hashlib
import io
import os
import tarfile

import pytest

from gateway.upgrade import install as inst
from gateway.upgrade import keys, package

BUILT = 1796390000          # 2026-12-04, passed in: the library reads no wall clock


class FakeClock:
    def __init__(self, t=BUILT + 3600):
        self.t = float(t)

    def time(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


class Kill(BaseException):
    """A simulated kill -9 / power cut: no except clause of the library sees it."""


class KillAt:
    """A hook that records the steps and kills at step ``k`` (None: never)."""

    def __init__(self, k=None):
        self.k = k
        self.steps = []

    def __call__(self, step):
        if self.k is not None and len(self.steps) == self.k:
            raise Kill(step)
        self.steps.append(step)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="session")
def vendor_key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def other_key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.generate()


@pytest.fixture
def trusted(vendor_key):
    return [keys.public_hex(vendor_key)]


def make_tree(root, version, behaviour="ok", extra=None):
    """A release tree: ``app/main.py``, ``VERSION`` and ``behaviour`` (what the
    simulated agent of that release does: ok, crash, hang, fail)."""
    os.makedirs(os.path.join(root, "app"), exist_ok=True)
    with open(os.path.join(root, "app", "main.py"), "w") as f:
        f.write("VERSION = %r\n" % version)
    with open(os.path.join(root, "VERSION"), "w") as f:
        f.write(version + "\n")
    with open(os.path.join(root, "behaviour"), "w") as f:
        f.write(behaviour)
    for rel, data in (extra or {}).items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(data)
    return root


@pytest.fixture
def make_package(tmp_path, vendor_key):
    """``make_package(version, behaviour="ok", key=vendor_key, **build_kw)`` -> path."""
    counter = [0]

    def make(version, behaviour="ok", key=None, extra=None, **kw):
        counter[0] += 1
        src = make_tree(str(tmp_path / ("src%d" % counter[0])), version, behaviour, extra)
        out = str(tmp_path / ("pkg%d-%s.upg" % (counter[0], version)))
        package.build(src, out, key or vendor_key, version, built=BUILT, **kw)
        return out
    return make


def rewrite(path, out, change):
    """Copy package ``path`` to ``out`` with ``change(members)`` applied to the
    list of ``[name, bytes]`` (the signature is not renewed)."""
    members = []
    with tarfile.open(path, "r:gz") as tar:
        for m in tar:
            members.append([m.name, tar.extractfile(m).read()])
    change(members)
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
    return out


def snapshot(root):
    """Everything under ``root``: path -> (kind, content hash or link target)."""
    out = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(base, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", None)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", hashlib.sha256(f.read()).hexdigest())
    return out


def current(prefix):
    return inst.link_version(inst.Layout(prefix), inst.CURRENT)


def assert_starts(prefix):
    """``current`` names a complete release whose files are all there."""
    layout = inst.Layout(prefix)
    version = current(prefix)
    assert version is not None, "current is missing or incomplete"
    root = layout.link(inst.CURRENT)
    with open(os.path.join(root, "VERSION")) as f:
        assert f.read().strip() == version
    with open(os.path.join(root, "app", "main.py")) as f:
        assert version in f.read()
    return version


class Agent:
    """The agent as systemd runs it: boot_check, then the release's behaviour.
    ``start()`` returns ``"running"`` (confirmed or still on probation with
    its milestones in), ``"crashed"`` or ``"restart"`` (asked for a rollback)."""

    def __init__(self, prefix, clock, probation_s=600):
        self.prefix = prefix
        self.clock = clock
        self.probation_s = probation_s
        self.boots = []
        self.events = []

    def start(self):
        result = inst.boot_check(self.prefix, self.clock)
        self.boots.append(result)
        for ev in inst.pending_events(self.prefix):        # raised as `upgrade` events
            self.events.append(ev)
        if self.events:
            inst.clear_events(self.prefix, self.events[-1]["id"])
        with open(os.path.join(self.prefix, inst.CURRENT, "behaviour")) as f:
            behaviour = f.read()
        self.clock.advance(5)
        if behaviour == "crash":
            return "crashed"
        probation = inst.Probation(self.prefix, self.clock)
        ev = probation.milestone("started")
        if behaviour == "hang":
            self.clock.advance(self.probation_s + 60)      # the watchdog kills it at last
            return "crashed"
        if behaviour == "fail":
            probation.fail("probation_failed", "no reading round")
            return "restart"
        self.clock.advance(60)
        ev = probation.milestone("reading_round") or ev
        self.clock.advance(30)
        ev = probation.milestone("batch_acked") or ev
        if ev:
            self.events.append(ev)
            inst.clear_events(self.prefix, ev["id"])
        return "running"

    def supervise(self, limit=10):
        """systemd: Restart=on-failure until it runs (or ``limit`` starts)."""
        for _ in range(limit):
            if self.start() == "running":
                return current(self.prefix)
            self.clock.advance(5)
        raise AssertionError("the agent never ran: %s" % self.boots)
