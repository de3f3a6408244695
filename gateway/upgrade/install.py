"""Releases side by side, the ``current`` link, probation and rollback.

Layout under ``prefix`` (docs/upgrade.md, "Install, probation, rollback")::

    releases/<version>/        a complete release (holds .release.json)
    releases/.incoming-<v>/    a release being unpacked (never linked)
    releases/.trash-<...>/     a release being deleted (never linked)
    current -> releases/<v>    the release that runs (relative symbolic link)
    previous -> releases/<v>   the fallback
    upgrade-state.json         the state below, written atomically
    store-backup/              a copy of the store while a version is on probation

Every write is atomic (a temporary name, fsync, ``os.replace``, fsync of the
directory), and the steps are ordered so that a kill between any two writes
leaves a state that ``boot_check`` turns into a release that starts: the
switch of ``current`` is the single commit point of an install and of a
rollback.  The data directory is never touched, except the store file given
as ``store_path`` (copied at the first start of the new version, put back on
a rollback).

State (``upgrade-state.json``): ``state`` one of

``confirmed``           running a good version (``previous`` is the fallback)
``installing``          an install is switching (target in ``target``)
``installed``           switched, the new version has not started yet
``probation``           the new version started ``attempts`` times, not yet good
``rollback_requested``  the running agent asks the next boot_check to roll back
``rolling_back``        a rollback is under way
``rolled_back``         back on ``running`` after ``failed`` failed (``reason``)

This module uses the standard library only (``install`` imports the package
verification lazily), so that ``boot_check`` can run from a copy of this file
outside the releases: ``python3 install.py boot-check --prefix DIR``.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys

STATE_FILE = "upgrade-state.json"
RELEASES = "releases"
CURRENT = "current"
PREVIOUS = "previous"
BACKUP_DIR = "store-backup"
RELEASE_MARK = ".release.json"
INCOMING = ".incoming-"
TRASH = ".trash-"
MILESTONES = ("started", "reading_round", "batch_acked")
DEFAULT_PROBATION_S = 1800
DEFAULT_MAX_ATTEMPTS = 3
MAX_EVENTS = 20
STORE_SUFFIXES = ("", "-wal")           # SQLite: the database and its write-ahead log
ACTIVE = ("installing", "installed", "probation", "rollback_requested", "rolling_back")
REASONS = {"crashed_at_start": "the new version did not stay up: too many start attempts",
           "probation_expired": "the new version did not pass probation in time",
           "probation_failed": "the new version failed its probation",
           "install_interrupted": "the install was interrupted before the switch",
           "manual": "rolled back by an operator",
           "current_missing": "the current release was missing or incomplete"}


class InstallError(Exception):
    """An install or rollback refused: ``reason`` is a short code, ``message``
    says what to do."""

    def __init__(self, reason, message):
        super().__init__("%s: %s" % (reason, message))
        self.reason = reason
        self.message = message


def _no_hook(step):
    pass


# ------------------------------------------------------------ files
class Layout:
    """The paths under ``prefix``."""

    def __init__(self, prefix):
        self.prefix = os.path.abspath(os.fspath(prefix))
        self.releases = os.path.join(self.prefix, RELEASES)
        self.state = os.path.join(self.prefix, STATE_FILE)
        self.backup = os.path.join(self.prefix, BACKUP_DIR)

    def link(self, name):
        return os.path.join(self.prefix, name)

    def release(self, version):
        return os.path.join(self.releases, version)


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path, data):
    """Write ``data`` (bytes) to ``path``: a temporary file, fsync, rename,
    fsync of the directory.  A kill leaves the old or the new file."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path))


def copy_atomic(src, dst):
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dst)
    fsync_dir(os.path.dirname(dst))


def is_complete(path):
    """A release directory that was unpacked to the end."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, RELEASE_MARK))


def link_version(layout, name):
    """The version a link (``current``, ``previous``) names, if it points to a
    complete release; else None."""
    path = layout.link(name)
    if not os.path.islink(path):
        return None
    target = os.readlink(path)
    version = os.path.basename(target.rstrip("/"))
    if version.startswith(".") or not is_complete(layout.release(version)):
        return None
    return version


def switch_link(layout, name, version, hook, step):
    """Point link ``name`` at ``releases/<version>`` atomically: a new link
    under a temporary name replaces the old one (``rename(2)``)."""
    hook(step)
    tmp = layout.link("." + name + ".new")
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.path.join(RELEASES, version), tmp)
    os.replace(tmp, layout.link(name))
    fsync_dir(layout.prefix)


def remove_link(layout, name, hook, step):
    if os.path.lexists(layout.link(name)):
        hook(step)
        os.unlink(layout.link(name))
        fsync_dir(layout.prefix)


def complete_releases(layout):
    try:
        names = os.listdir(layout.releases)
    except FileNotFoundError:
        return []
    return sorted((n for n in names if not n.startswith(".")
                   and is_complete(layout.release(n))), key=_vkey)


def _vkey(version):
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (-1,)


class _Lock:
    """An exclusive flock on the prefix directory: one install, rollback or
    boot check at a time."""

    def __init__(self, layout):
        self.layout = layout
        self.fd = None

    def __enter__(self):
        os.makedirs(self.layout.prefix, exist_ok=True)
        self.fd = os.open(self.layout.prefix, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# ------------------------------------------------------------ state
def load_state(layout):
    """The state dict, or None when there is none (or it is unreadable: a
    state file is only ever replaced whole, so that means someone else wrote
    it; the links are then the truth)."""
    try:
        with open(layout.state, "rb") as f:
            state = json.loads(f.read())
        return state if isinstance(state, dict) and "state" in state else None
    except (OSError, ValueError):
        return None


def save_state(layout, state, hook, step):
    hook(step)
    write_atomic(layout.state, json.dumps(state, sort_keys=True, indent=1).encode())


def _new_state(running):
    return {"format": 1, "state": "confirmed", "running": running, "previous": None,
            "target": None, "failed": None, "reason": None, "attempts": 0,
            "max_attempts": DEFAULT_MAX_ATTEMPTS, "probation_s": DEFAULT_PROBATION_S,
            "deadline": None, "required": list(MILESTONES), "milestones": {},
            "store_path": None, "store_backup": None, "since": None, "events": [],
            "next_event": 1}


def _event(state, clock, result, version, reason=None, **extra):
    ev = {"id": state.get("next_event", 1), "ts": clock.time(), "result": result,
          "version": version}
    if reason:
        ev["reason"] = reason
        ev["message"] = REASONS.get(reason, reason)
    ev.update(extra)
    state["next_event"] = ev["id"] + 1
    state["events"] = (state.get("events") or [])[-(MAX_EVENTS - 1):] + [ev]
    return ev


def pending_events(prefix):
    """The ``upgrade`` events not yet raised (dicts with ``id``, ``ts``,
    ``result`` installed/confirmed/rolled_back, ``version``, ``reason``...)."""
    state = load_state(Layout(prefix))
    return list((state or {}).get("events") or [])


def clear_events(prefix, upto):
    """Forget the events up to id ``upto`` (after the agent raised them)."""
    layout = Layout(prefix)
    with _Lock(layout):
        state = load_state(layout)
        if state and state.get("events"):
            state["events"] = [e for e in state["events"] if e["id"] > upto]
            save_state(layout, state, _no_hook, "state:events")


# ------------------------------------------------------------ store copy
def _backup_store(layout, state, hook):
    path = state.get("store_path")
    if not path:
        return None
    os.makedirs(layout.backup, exist_ok=True)
    saved = []
    for suffix in STORE_SUFFIXES:
        src = path + suffix
        if os.path.exists(src):
            hook("backup:store" + suffix)
            copy_atomic(src, os.path.join(layout.backup, os.path.basename(path) + suffix))
            saved.append(suffix)
    return {"path": path, "suffixes": saved, "version": state.get("previous")}


def _restore_store(layout, backup, hook):
    if not backup:
        return
    path = backup["path"]
    copies = {s: os.path.join(layout.backup, os.path.basename(path) + s)
              for s in backup["suffixes"]}
    if not all(os.path.exists(c) for c in copies.values()):
        return                      # restored and cleaned up already
    for suffix in ("-shm", "-wal"):     # the new version's log would not fit the old file
        if os.path.exists(path + suffix):
            hook("restore:remove" + suffix)
            os.unlink(path + suffix)
    for suffix, copy in copies.items():
        hook("restore:store" + suffix)
        copy_atomic(copy, path + suffix)


def _drop_backup(layout, hook):
    if os.path.isdir(layout.backup):
        hook("backup:remove")
        shutil.rmtree(layout.backup, ignore_errors=True)


# ------------------------------------------------------------ install
def pip_materialize(staging, info, python=None):
    """Install the wheels of a "wheels" package into ``<staging>/site``
    (``pip install --no-deps --no-index --target``: the package carries the
    whole pinned set, nothing is resolved or fetched)."""
    wheels = sorted(os.path.join(staging, f) for f in os.listdir(staging) if f.endswith(".whl"))
    cmd = [python or sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
           "--no-index", "--no-compile", "--target", os.path.join(staging, "site")] + wheels
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallError("materialize_failed", "pip could not install the package's wheels: %s"
                           % (done.stderr.strip().splitlines() or ["?"])[-1])


def _trash(layout, path, hook, step):
    """Delete a release directory: renamed first (atomic: it is never seen
    half deleted under its own name), then removed."""
    hook(step)
    trash = os.path.join(layout.releases, TRASH + os.path.basename(path))
    if os.path.lexists(trash):
        shutil.rmtree(trash, ignore_errors=True)
    os.rename(path, trash)
    fsync_dir(layout.releases)
    shutil.rmtree(trash, ignore_errors=True)


def _clean(layout, keep, hook):
    """Remove leftovers (.incoming-, .trash-) and releases not in ``keep``."""
    try:
        names = sorted(os.listdir(layout.releases))
    except FileNotFoundError:
        return
    for name in names:
        path = os.path.join(layout.releases, name)
        if name.startswith(TRASH) or name.startswith(INCOMING):
            hook("clean:" + name)
            shutil.rmtree(path, ignore_errors=True)
        elif name not in keep:
            _trash(layout, path, hook, "clean:" + name)


def _write_file(dst, entry, src):
    import hashlib
    h = hashlib.sha256()
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, entry.get("mode", 0o644) & 0o755)
    with os.fdopen(fd, "wb") as out:
        for block in iter(lambda: src.read(1 << 16), b""):
            h.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest()


def install(package_path, prefix, trusted_keys, clock, running_version=None,
            allow_downgrade=False, store_path=None, probation_s=DEFAULT_PROBATION_S,
            max_attempts=DEFAULT_MAX_ATTEMPTS, required=MILESTONES, materialize=None,
            hook=None, disk_usage=shutil.disk_usage):
    """Verify package ``package_path`` and install it beside the running
    release, switching ``current`` to it: the new version is then
    ``installed`` and must be started (restart the agent).  On an empty
    prefix the first release is installed as ``confirmed``.

    ``store_path``: the store file to copy before the new version first
    starts and to put back if it is rolled back (give it when the new version
    changes the store's schema).  ``required``: the probation milestones
    that apply.  ``hook(step)`` is called before every write (tests kill the
    install there).  Returns a dict: version, previous, state.
    Raises PackageError (refused, nothing touched) or InstallError."""
    from gateway.upgrade import package as pkg
    hook = hook or _no_hook
    layout = Layout(prefix)
    state = load_state(layout)
    old = link_version(layout, CURRENT)
    _refuse_busy(state)
    info = pkg.verify(package_path, trusted_keys, running_version=running_version or old,
                      allow_downgrade=allow_downgrade, target_dir=layout.prefix,
                      disk_usage=disk_usage)
    version = info.version
    if version == old:
        raise pkg.PackageError("running", "%s is the version running" % version, info)
    unknown = set(required) - set(MILESTONES)
    if unknown:
        raise ValueError("unknown milestones %s; known: %s" % (sorted(unknown), MILESTONES))
    with _Lock(layout):
        state = load_state(layout)
        _refuse_busy(state)
        old = link_version(layout, CURRENT)
        fallback = link_version(layout, PREVIOUS)
        hook("mkdir")
        os.makedirs(layout.releases, exist_ok=True)
        _clean(layout, {old, fallback} - {None}, hook)
        if os.path.lexists(layout.release(version)):
            if version == fallback:
                remove_link(layout, PREVIOUS, hook, "link:previous:remove")
            _trash(layout, layout.release(version), hook, "trash:" + version)
        _unpack(layout, package_path, info, materialize, hook, clock)
        if old is None:
            switch_link(layout, CURRENT, version, hook, "link:current")
            state = _new_state(version)
            state["since"] = clock.time()
            _event(state, clock, "confirmed", version, first_install=True)
            save_state(layout, state, hook, "state:confirmed")
            return {"version": version, "previous": None, "state": "confirmed"}
        state = state or _new_state(old)
        state.update(state="installing", target=version, running=old,
                     previous=state.get("previous") or fallback, failed=None, reason=None,
                     attempts=0, max_attempts=int(max_attempts), probation_s=probation_s,
                     deadline=None, required=list(required), milestones={},
                     store_path=os.path.abspath(store_path) if store_path else None,
                     store_backup=None, since=clock.time())
        save_state(layout, state, hook, "state:installing")
        switch_link(layout, PREVIOUS, old, hook, "link:previous")
        switch_link(layout, CURRENT, version, hook, "link:current")     # the commit point
        state.update(state="installed", running=version, previous=old)
        save_state(layout, state, hook, "state:installed")
        return {"version": version, "previous": old, "state": "installed"}


def _refuse_busy(state):
    if state and state.get("state") in ACTIVE:
        raise InstallError("busy", "version %s is %s: wait until it is confirmed or rolled "
                           "back (concentrator upgrade status)"
                           % (state.get("target") or state.get("running"), state["state"]))


def _unpack(layout, package_path, info, materialize, hook, clock):
    from gateway.upgrade import package as pkg
    staging = os.path.join(layout.releases, INCOMING + info.version)
    if os.path.lexists(staging):
        shutil.rmtree(staging)
    hook("staging")
    os.mkdir(staging, 0o755)
    try:
        dirs = {staging}
        for rel, entry, src in pkg.iter_payload(package_path, info):
            dst = os.path.join(staging, *rel.split("/"))
            parent = os.path.dirname(dst)
            if parent not in dirs:
                os.makedirs(parent, exist_ok=True)
                dirs.update(_parents(parent, staging))
            hook("extract:" + rel)
            if _write_file(dst, entry, src) != entry["sha256"]:
                raise pkg.PackageError("tampered", "%s changed while it was installed" % rel,
                                       info)
        if info.kind == "wheels":
            hook("materialize")
            (materialize or pip_materialize)(staging, info)
        hook("mark")
        mark = dict(info.manifest, installed=clock.time())
        mark.pop("files", None)
        with open(os.path.join(staging, RELEASE_MARK), "wb") as f:
            f.write(json.dumps(mark, sort_keys=True, indent=1).encode())
            f.flush()
            os.fsync(f.fileno())
        for root, subdirs, _ in os.walk(staging):
            fsync_dir(root)
    except Exception:               # a kill (or BaseException) leaves it for the next clean-up
        shutil.rmtree(staging, ignore_errors=True)
        raise
    hook("publish")
    os.rename(staging, layout.release(info.version))
    fsync_dir(layout.releases)


def _parents(path, top):
    out = set()
    while path != top and path.startswith(top):
        out.add(path)
        path = os.path.dirname(path)
    return out


# ------------------------------------------------------------ boot check
def boot_check(prefix, clock, hook=None):
    """Run at every start of the agent, before it starts (systemd
    ExecStartPre, or first thing in ``concentrator run``): finish or undo an
    interrupted install or rollback, count the start attempt of a version on
    probation, roll back when it ran out of attempts or time.

    Returns a dict: ``action`` (``none``: no release; ``ok``; ``installed``:
    first start of a new version; ``probation``: a later start on probation;
    ``rolled_back``; ``repaired``), ``version`` (the one to start),
    ``reason``, ``attempt``.  The matching ``upgrade`` events wait in the state
    (``pending_events``) for the agent to raise them."""
    hook = hook or _no_hook
    layout = Layout(prefix)
    if not os.path.isdir(layout.prefix):
        return {"action": "none", "version": None}
    with _Lock(layout):
        return _boot_check(layout, clock, hook)


def _boot_check(layout, clock, hook):
    for name in (CURRENT, PREVIOUS):
        tmp = layout.link("." + name + ".new")
        if os.path.lexists(tmp):
            os.unlink(tmp)
    state = load_state(layout)
    cur = link_version(layout, CURRENT)
    if cur is None:
        return _repair(layout, state, clock, hook)
    if state is None:
        state = _new_state(cur)
        state["previous"] = link_version(layout, PREVIOUS)
        save_state(layout, state, hook, "state:init")
        return {"action": "ok", "version": cur}
    s = state.get("state")
    if s == "installing":
        if cur != state.get("target"):
            state.update(state="confirmed", running=cur, target=None, reason="install_interrupted")
            _event(state, clock, "rolled_back", cur, "install_interrupted",
                   failed=state.get("target"))
            save_state(layout, state, hook, "state:interrupted")
            return {"action": "rolled_back", "version": cur, "reason": "install_interrupted"}
        state.update(state="installed", running=cur, previous=link_version(layout, PREVIOUS))
        s = "installed"
    if s in ("rollback_requested", "rolling_back"):
        return _rollback(layout, state, clock, state.get("reason") or "manual", hook)
    if s in ("installed", "probation"):
        now = clock.time()
        _clock_guard(state, now)
        if s == "probation" and state.get("deadline") is not None and now > state["deadline"]:
            return _rollback(layout, state, clock, "probation_expired", hook)
        if int(state.get("attempts") or 0) >= int(state.get("max_attempts") or 1):
            return _rollback(layout, state, clock, "crashed_at_start", hook)
        first = s == "installed"
        if first:
            state["store_backup"] = _backup_store(layout, state, hook)
            state["deadline"] = now + float(state.get("probation_s") or DEFAULT_PROBATION_S)
            _event(state, clock, "installed", cur, previous=state.get("previous"))
        state.update(state="probation", running=cur, attempts=int(state.get("attempts") or 0) + 1)
        save_state(layout, state, hook, "state:attempt")
        return {"action": "installed" if first else "probation", "version": cur,
                "attempt": state["attempts"], "max_attempts": state["max_attempts"],
                "deadline": state["deadline"]}
    return {"action": "ok", "version": cur}


def _clock_guard(state, now):
    """A board whose clock is behind the install time (reset at power-up,
    not yet set) would misjudge the deadline: count it from now instead."""
    since = state.get("since")
    if since is not None and now < since - 60 and state.get("deadline") is not None:
        state["deadline"] = now + float(state.get("probation_s") or DEFAULT_PROBATION_S)
        state["since"] = now


def _repair(layout, state, clock, hook):
    """``current`` is missing or points to an incomplete release: link the
    fallback (or the newest complete release)."""
    candidates = [v for v in ((state or {}).get("previous"), link_version(layout, PREVIOUS),
                              (state or {}).get("running")) if v]
    candidates += list(reversed(complete_releases(layout)))
    for version in candidates:
        if is_complete(layout.release(version)):
            switch_link(layout, CURRENT, version, hook, "link:current")
            state = state or _new_state(version)
            state.update(state="confirmed", running=version, target=None,
                         reason="current_missing")
            _event(state, clock, "rolled_back", version, "current_missing")
            save_state(layout, state, hook, "state:repaired")
            return {"action": "repaired", "version": version, "reason": "current_missing"}
    return {"action": "none", "version": None}


def _rollback(layout, state, clock, reason, hook):
    fallback = state.get("previous")
    failed = state.get("running")
    if not fallback or not is_complete(layout.release(fallback)):
        state.update(state="confirmed", reason="no_fallback")
        save_state(layout, state, hook, "state:no_fallback")
        return {"action": "ok", "version": link_version(layout, CURRENT),
                "reason": "no_fallback"}
    if state.get("state") != "rolling_back":
        state.update(state="rolling_back", reason=reason)
        save_state(layout, state, hook, "state:rolling_back")
    _restore_store(layout, state.get("store_backup"), hook)
    switch_link(layout, CURRENT, fallback, hook, "link:current")         # the commit point
    remove_link(layout, PREVIOUS, hook, "link:previous:remove")
    state.update(state="rolled_back", running=fallback, previous=None, failed=failed,
                 target=None, reason=reason, attempts=0, deadline=None, store_backup=None)
    _event(state, clock, "rolled_back", fallback, reason, failed=failed)
    save_state(layout, state, hook, "state:rolled_back")
    _drop_backup(layout, hook)
    return {"action": "rolled_back", "version": fallback, "failed": failed, "reason": reason}


# ------------------------------------------------------------ the running agent
class Probation:
    """The running agent's side of probation.  After ``boot_check`` the agent
    makes one and reports milestones: ``milestone("started")`` when it runs,
    ``milestone("reading_round")`` after a complete reading round,
    ``milestone("batch_acked")`` when a batch was acknowledged upstream.
    When every required milestone is in, the version is confirmed (the
    store copy is dropped, the old release stays as fallback, older ones
    are deleted) and the
    ``confirmed`` event is returned.  ``check()`` (call it now and then, e.g.
    with the heartbeat) and ``fail(reason)`` request a rollback and return
    True: the agent must then restart (exit non-zero under systemd), and the
    next boot_check switches back."""

    def __init__(self, prefix, clock, hook=None):
        self.layout = Layout(prefix)
        self.clock = clock
        self.hook = hook or _no_hook

    @property
    def active(self):
        state = load_state(self.layout)
        return bool(state) and state.get("state") in ("installed", "probation")

    def milestone(self, name):
        if name not in MILESTONES:
            raise ValueError("unknown milestone %r; known: %s" % (name, ", ".join(MILESTONES)))
        with _Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") != "probation":
                return None
            state.setdefault("milestones", {}).setdefault(name, self.clock.time())
            missing = [m for m in state.get("required") or () if m not in state["milestones"]]
            if missing:
                save_state(self.layout, state, self.hook, "state:milestone")
                return None
            state.update(state="confirmed", reason=None, attempts=0, deadline=None,
                         store_backup=None, target=None)
            ev = _event(state, self.clock, "confirmed", state.get("running"),
                        previous=state.get("previous"))
            save_state(self.layout, state, self.hook, "state:confirmed")
            _drop_backup(self.layout, self.hook)
            # flash is small: only the good version and its fallback stay
            _clean(self.layout, {state.get("running"), state.get("previous")} - {None},
                   self.hook)
            return ev

    def check(self):
        with _Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") != "probation":
                return False
            before = (state.get("deadline"), state.get("since"))
            _clock_guard(state, self.clock.time())
            if (state.get("deadline"), state.get("since")) != before:
                save_state(self.layout, state, self.hook, "state:clock")
            if state.get("deadline") is not None and self.clock.time() > state["deadline"]:
                state.update(state="rollback_requested", reason="probation_expired")
                save_state(self.layout, state, self.hook, "state:rollback_requested")
                return True
            return False

    def clock_set(self, delta):
        """The agent set its clock by ``delta`` seconds (NTP, the master
        station): move the probation deadline with it, so that a clock put
        right after a power-up is not taken for a hang."""
        with _Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") != "probation" or state.get("deadline") is None:
                return
            state["deadline"] += delta
            if state.get("since") is not None:
                state["since"] += delta
            save_state(self.layout, state, self.hook, "state:clock")

    def fail(self, reason="probation_failed", detail=None):
        with _Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") not in ("installed", "probation"):
                return False
            state.update(state="rollback_requested", reason=reason, detail=detail)
            save_state(self.layout, state, self.hook, "state:rollback_requested")
            return True


def rollback(prefix, clock, reason="manual", now=False, hook=None):
    """Go back to the previous release.  ``now=False`` (the agent runs):
    mark the rollback, done by the next boot_check (restart the agent).
    ``now=True`` (the agent is stopped): switch at once.  Returns a dict."""
    hook = hook or _no_hook
    layout = Layout(prefix)
    with _Lock(layout):
        state = load_state(layout)
        cur = link_version(layout, CURRENT)
        fallback = (state or {}).get("previous") or link_version(layout, PREVIOUS)
        if cur is None or not fallback or not is_complete(layout.release(fallback)):
            raise InstallError("no_previous", "there is no previous release to go back to")
        state = state or _new_state(cur)
        state.update(previous=fallback, running=cur)
        if not now:
            state.update(state="rollback_requested", reason=reason)
            save_state(layout, state, hook, "state:rollback_requested")
            return {"action": "rollback_requested", "version": fallback, "failed": cur}
        return _rollback(layout, state, clock, reason, hook)


def status(prefix):
    """The upgrade state for the console and ``upgrade.status``."""
    layout = Layout(prefix)
    state = load_state(layout) or {}
    out = {k: state.get(k) for k in ("state", "running", "previous", "target", "failed",
                                     "reason", "attempts", "max_attempts", "deadline",
                                     "required", "milestones", "since")}
    out["current"] = link_version(layout, CURRENT)
    out["releases"] = complete_releases(layout)
    out["events"] = len(state.get("events") or ())
    return out


# ------------------------------------------------------------ standalone
class SystemClock:
    def time(self):
        import time
        return time.time()


def main(argv=None):
    """``python3 install.py boot-check --prefix DIR``: for systemd's
    ExecStartPre from a copy outside the releases.  Always exits 0: a boot
    check that cannot do its work must not keep the agent from starting."""
    import argparse
    parser = argparse.ArgumentParser(prog="upgrade-boot-check")
    parser.add_argument("command", choices=["boot-check", "status"])
    parser.add_argument("--prefix", default="/opt/concentrator")
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            result = status(args.prefix)
        else:
            result = boot_check(args.prefix, SystemClock())
    except Exception as err:        # noqa: BLE001 - never block the start
        print("upgrade boot check failed: %s" % err, file=sys.stderr)
        return 0
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
