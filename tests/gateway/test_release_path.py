"""deploy/concentrator-release.pth: the venv's python runs the code of
``<prefix>/current`` (a "tree" release or a "wheels" release's ``site/``),
ahead of the copy pip installed, and its own copy without a release."""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PTH = os.path.join(ROOT, "deploy", "concentrator-release.pth")


def release(prefix, version, sub=""):
    pkg = os.path.join(prefix, "releases", version, sub, "gateway")
    os.makedirs(pkg)
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write("__version__ = %r\n" % version)


def gateway_seen(prefix, sitedir):
    code = "import site; site.addsitedir(%r); import gateway; print(gateway.__version__)" % sitedir
    env = dict(os.environ, CONCENTRATOR_PREFIX=prefix)
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd="/", timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_venv_runs_current(tmp_path):
    sitedir = str(tmp_path / "site-packages")
    os.makedirs(sitedir)
    shutil.copy(PTH, sitedir)
    prefix = str(tmp_path / "opt")
    release(prefix, "1.0.0")                       # a tree release
    release(prefix, "1.1.0", "site")               # a wheels release: site/
    os.symlink("releases/1.0.0", os.path.join(prefix, "current"))
    assert gateway_seen(prefix, sitedir) == "1.0.0"
    os.replace(os.path.join(prefix, "current"), os.path.join(prefix, "old"))
    os.symlink("releases/1.1.0", os.path.join(prefix, "current"))
    assert gateway_seen(prefix, sitedir) == "1.1.0"
    os.unlink(os.path.join(prefix, "current"))     # no release: the venv's own copy
    from gateway import __version__
    assert gateway_seen(prefix, sitedir) == __version__
