"""Whether a file can be this product's store, found without writing to it
(``concentrator run --check`` asks before anything starts)."""

import os

from store.sqlite.db import VERSION, SchemaError

SQLITE_HEADER = b"SQLite format 3\x00"


def check_file(path):
    """Raise SchemaError when ``path`` exists but cannot be this product's
    store (not a SQLite file, or a newer schema); reads, never writes."""
    path = str(path)
    if not os.path.exists(path):
        return
    if os.path.isdir(path):
        raise SchemaError("%s is a directory, not a store file: remove or rename it (the agent "
                          "makes a new store)" % path, path=path)
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as err:
        raise SchemaError("%s cannot be read: %s: check its permissions" % (path, err.strerror),
                          path=path) from err
    if not head:
        return                                  # empty: made into a new store
    if not head.startswith(SQLITE_HEADER):
        raise SchemaError("%s is not a SQLite database (it starts with %r): it is not a "
                          "concentrator store; move it away (the agent then starts an empty "
                          "store) or restore a backup" % (path, head[:16]), path=path)
    version = int.from_bytes(head[60:64], "big")      # PRAGMA user_version
    if version > VERSION:
        raise SchemaError("%s has schema version %d, this program knows %d: upgrade the program "
                          "or restore a backup" % (path, version, VERSION), path=path)
