"""Passwords as salted scrypt hashes (``hashlib.scrypt``), parameters stored with
the hash: ``scrypt$n=16384,r=8,p=1$<salt b64>$<key b64>``.  A hash never
leaves the gateway (``store.documents.operators.public``)."""

import base64
import hashlib
import hmac
import os
import re

SCRYPT = {"n": 16384, "r": 8, "p": 1}
HASH = re.compile(r"scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)\Z")
MAXMEM = 256 * 1024 * 1024


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def make_hash(password, salt=None):
    salt = salt or os.urandom(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=MAXMEM, **SCRYPT)
    return "scrypt$n=%(n)d,r=%(r)d,p=%(p)d$" % SCRYPT + _b64(salt) + "$" + _b64(key)


def verify(line, password):
    """True when ``password`` gives the hash ``line`` (with the parameters stored there)."""
    m = HASH.match(line or "")
    if not m or not isinstance(password, str):
        return False
    n, r, p = (int(x) for x in m.group(1, 2, 3))
    salt, key = base64.b64decode(m.group(4)), base64.b64decode(m.group(5))
    try:
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(key),
                             maxmem=MAXMEM)
    except ValueError:
        return False
    return hmac.compare_digest(got, key)


def rule_problem(password, min_len):
    """What is wrong with ``password`` as a new password, or None."""
    if not isinstance(password, str):
        return "a password is text"
    if len(password) < min_len:
        return "a password has at least %d characters (access.password_min_len)" % min_len
    if password.strip() != password or not password.isprintable():
        return "a password has no leading or trailing spaces and no control characters"
    return None
