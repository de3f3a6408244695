"""Where the console keeps its session token: one file per terminal user.

``concentrator login`` writes the token the agent gave to
``$CONCENTRATOR_SESSIONS`` (default ``~/.config/concentrator/sessions``: the
user's own), in a file named for the agent's control socket, mode 0600;
every console command of that user sends it, with the terminal it runs on
(``tty``) for the logs; ``logout`` deletes it.  The agent
keeps only the token's hash, and checks it and its idle expiry itself.
"""

import hashlib
import os

ENV = "CONCENTRATOR_SESSIONS"


def tty():
    """The terminal of this console (``/dev/pts/3``), or ``notty``."""
    for fd in (0, 1, 2):
        try:
            return os.ttyname(fd)
        except OSError:
            continue
    return "notty"


def directory():
    return os.environ.get(ENV) or os.path.join(os.path.expanduser("~"), ".config",
                                               "concentrator", "sessions")


def path(socket_path):
    key = hashlib.sha256(os.path.realpath(socket_path).encode("utf-8"))
    return os.path.join(directory(), key.hexdigest()[:24])


def load(socket_path):
    try:
        with open(path(socket_path)) as f:
            return f.read().strip() or None
    except OSError:
        return None


def save(socket_path, token):
    target = path(socket_path)
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    fd = os.open(target + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.replace(target + ".tmp", target)
    return target


def forget(socket_path):
    try:
        os.unlink(path(socket_path))
        return True
    except OSError:
        return False
