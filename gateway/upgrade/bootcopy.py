"""The boot check's copy outside the releases: one generated file.

systemd runs the boot check before every start of the agent
(``ExecStartPre``); it must not run from ``current``, or a broken new
release could keep its own rollback from running.  So the package
``gateway.upgrade.boot`` (standard library only, relative imports only) is
written into a single zip application, ``<prefix>/upgrade-boot.pyz``::

    /usr/bin/python3 /opt/concentrator/upgrade-boot.pyz boot-check --prefix /opt/concentrator

The archive holds ``upgrade_boot/*.py`` (the package's files as they are)
and a ``__main__.py`` that calls ``upgrade_boot.main.main``.  It is written
atomically (a temporary name, fsync, rename) by ``concentrator upgrade
install`` and ``concentrator upgrade boot-copy``, so it is always the boot
check of the release that installed last (which knows every state the
releases on the board may leave).
"""

import io
import os
import zipfile

from gateway.upgrade.boot import files

FILE = "upgrade-boot.pyz"
PACKAGE = "upgrade_boot"
SOURCE = os.path.dirname(os.path.abspath(files.__file__))
MAIN = ("import sys\n"
        "from %s.main import main\n"
        "sys.exit(main())\n" % PACKAGE)


def build():
    """The zip application's bytes (deterministic: fixed times, sorted names)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(SOURCE)):
            if name.endswith(".py"):
                with open(os.path.join(SOURCE, name), "rb") as f:
                    _add(z, "%s/%s" % (PACKAGE, name), f.read())
        _add(z, "__main__.py", MAIN.encode())
    return b"#!/usr/bin/python3\n" + buf.getvalue()


def _add(z, name, data):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    z.writestr(info, data)


def write(prefix, path=None):
    """Write the copy to ``path`` (default ``<prefix>/upgrade-boot.pyz``); the path."""
    path = path or os.path.join(os.path.abspath(prefix), FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    files.write_atomic(path, build())
    os.chmod(path, 0o755)
    return path
