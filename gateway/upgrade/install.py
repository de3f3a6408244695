"""Install a verified package beside the running release (docs/upgrade.md,
"The steps of an install"): unpack into ``releases/.incoming-<v>/``, publish
it as ``releases/<v>/``, write the state ``installing``, switch ``previous``
and then ``current`` (the commit point), write ``installed``.

The rest of the release layout -- the files and links, the state, the boot
check, probation, rollback and status -- is ``gateway.upgrade.boot``, which
uses the standard library only so that the boot check can run from a copy
kept outside the releases (``gateway.upgrade.bootcopy``).  Its public names
are re-exported here, so that ``install`` is the one module callers import.
"""

import json
import os
import shutil
import subprocess
import sys

from gateway.upgrade.boot.check import boot_check, rollback, status
from gateway.upgrade.boot.files import (ACTIVE, BACKUP_DIR, CURRENT, DEFAULT_MAX_ATTEMPTS,
                                        DEFAULT_PROBATION_S, INCOMING, MILESTONES, PREVIOUS,
                                        RELEASE_MARK, RELEASES, STATE_FILE, InstallError, Layout,
                                        Lock, clean, complete_releases, fsync_dir, is_complete,
                                        link_version, no_hook, remove_link, switch_link, trash)
from gateway.upgrade.boot.main import SystemClock, main
from gateway.upgrade.boot.probation import Probation
from gateway.upgrade.boot.state import (add_event, clear_events, load_state, new_state,
                                        pending_events, save_state)

__all__ = ["ACTIVE", "BACKUP_DIR", "CURRENT", "DEFAULT_MAX_ATTEMPTS", "DEFAULT_PROBATION_S",
           "MILESTONES", "PREVIOUS", "RELEASES", "STATE_FILE", "InstallError", "Layout",
           "Probation", "SystemClock", "boot_check", "clear_events", "complete_releases",
           "install", "is_complete", "link_version", "load_state", "main", "pending_events",
           "pip_materialize", "record_refusal", "rollback", "status"]


def record_refusal(prefix, clock, err):
    """A package refused before anything was touched (``package.PackageError``),
    kept as a pending ``upgrade`` event (``refused`` with the reason) that the
    agent raises at its next start or probation step.  Best effort: a prefix
    that cannot be written keeps nothing, the console has said why anyway."""
    layout = Layout(prefix)
    try:
        with Lock(layout):
            state = load_state(layout) or new_state(link_version(layout, CURRENT))
            info = getattr(err, "info", None)
            add_event(state, clock, "refused", getattr(info, "version", None),
                      reason=err.reason, message=err.message)
            save_state(layout, state, no_hook, "state:events")
    except (OSError, ValueError, InstallError):
        return False
    return True


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
    hook = hook or no_hook
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
    with Lock(layout):
        state = load_state(layout)
        _refuse_busy(state)
        old = link_version(layout, CURRENT)
        fallback = link_version(layout, PREVIOUS)
        hook("mkdir")
        os.makedirs(layout.releases, exist_ok=True)
        clean(layout, {old, fallback} - {None}, hook)
        if os.path.lexists(layout.release(version)):
            if version == fallback:
                remove_link(layout, PREVIOUS, hook, "link:previous:remove")
            trash(layout, layout.release(version), hook, "trash:" + version)
        _unpack(layout, package_path, info, materialize, hook, clock)
        if old is None:
            switch_link(layout, CURRENT, version, hook, "link:current")
            state = new_state(version)
            state["since"] = clock.time()
            add_event(state, clock, "confirmed", version, first_install=True)
            save_state(layout, state, hook, "state:confirmed")
            return {"version": version, "previous": None, "state": "confirmed"}
        state = state or new_state(old)
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
