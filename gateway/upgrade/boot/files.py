"""The files of the release layout: paths, atomic writes, links, the lock,
the store copy and the clean-up of releases.

Layout under ``prefix`` (docs/upgrade.md, "Install, probation, rollback")::

    releases/<version>/        a complete release (holds .release.json)
    releases/.incoming-<v>/    a release being unpacked (never linked)
    releases/.trash-<...>/     a release being deleted (never linked)
    current -> releases/<v>    the release that runs (relative symbolic link)
    previous -> releases/<v>   the fallback
    upgrade-state.json         the state (``state.py``), written atomically
    store-backup/              a copy of the store while a version is on probation

Every write is atomic (a temporary name, fsync, ``os.replace``, fsync of the
directory); ``hook(step)`` is called before each one (the tests kill there).
Standard library only, like the whole of ``gateway.upgrade.boot``.
"""

import fcntl
import os
import shutil

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


def no_hook(step):
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
                   and is_complete(layout.release(n))), key=vkey)


def vkey(version):
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (-1,)


class Lock:
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



# ------------------------------------------------------------ store copy
def backup_store(layout, state, hook):
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


def restore_store(layout, backup, hook):
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


def drop_backup(layout, hook):
    if os.path.isdir(layout.backup):
        hook("backup:remove")
        shutil.rmtree(layout.backup, ignore_errors=True)



def trash(layout, path, hook, step):
    """Delete a release directory: renamed first (atomic: it is never seen
    half deleted under its own name), then removed."""
    hook(step)
    trash = os.path.join(layout.releases, TRASH + os.path.basename(path))
    if os.path.lexists(trash):
        shutil.rmtree(trash, ignore_errors=True)
    os.rename(path, trash)
    fsync_dir(layout.releases)
    shutil.rmtree(trash, ignore_errors=True)


def clean(layout, keep, hook):
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
            trash(layout, path, hook, "clean:" + name)

