"""The limits of mqtt.md ("Limits"): what a command may be, how large a reply.

A command is at most ``MAX_PAYLOAD`` bytes of JSON nested at most
``MAX_DEPTH`` levels with lists of at most ``MAX_LIST`` items; anything
larger is refused (``too_large``, or ``bad_request`` for the nesting) without
being parsed further.  Python's own parser would recurse once per level and
fail on a few thousand levels with an error that is not a JSON error, so the
nesting is measured first by a flat scan over the tokens, which also reads
the command's ``id`` when it stands at the top level: every refusal whose id
can be read carries it.  A key given twice (``"id"`` twice) makes a command
ambiguous: refused, never run.

A reply is at most ``MAX_REPLY`` bytes: a result that would be larger is cut
where it is longest (the last items of its largest list or object) and says
so with ``"truncated": true`` and ``"left_out"``.
"""

import json
import re
from decimal import Decimal

from upstream.errors import CommandError

MAX_PAYLOAD = 64 * 1024
MAX_DEPTH = 32
MAX_LIST = 2048
MAX_REPLY = 256 * 1024
ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}\Z")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


class Refused(CommandError):
    """A command refused before it could be run; ``command_id``: its id when readable."""

    def __init__(self, code, message, command_id=None):
        super().__init__(code, message)
        self.command_id = command_id


def scan(text):
    """(deepest nesting, the top-level ``id`` if it is readable text, or None)."""
    depth = deepest = 0
    cid = None
    prev = prev2 = None                   # the two tokens before this one, at depth 1
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif tok in "]}":
            depth -= 1
        elif depth == 1:
            if prev == ":" and prev2 == '"id"' and tok[:1] == '"' and cid is None:
                try:
                    value = json.loads(tok)
                except ValueError:
                    value = None
                cid = value if isinstance(value, str) and ID.match(value) else None
            prev2, prev = prev, tok
    return deepest, cid


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


class _Duplicate(ValueError):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


def _longest_list(obj):
    """The length of the longest list anywhere in ``obj`` (its depth is bounded by scan)."""
    best = 0
    if isinstance(obj, list):
        best = len(obj)
        items = obj
    elif isinstance(obj, dict):
        items = obj.values()
    else:
        return 0
    for v in items:
        if isinstance(v, (list, dict)):
            best = max(best, _longest_list(v))
    return best


def parse(payload):
    """The command object of ``payload`` (bytes) within the limits, or ``Refused``."""
    data = bytes(payload)
    if len(data) > MAX_PAYLOAD:
        raise Refused("too_large", "the command is %d bytes; at most %d are taken" %
                      (len(data), MAX_PAYLOAD))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Refused("bad_request", "not UTF-8 text: %s" % err)
    deepest, cid = scan(text)
    if deepest > MAX_DEPTH:
        raise Refused("bad_request", "the command is nested %d levels deep; at most %d" %
                      (deepest, MAX_DEPTH), cid)
    try:
        cmd = json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates)
    except _Duplicate as dup:
        raise Refused("bad_request", "key %s is given twice: the command is ambiguous; send "
                      "each key once" % json.dumps(dup.key[:40]),
                      None if dup.key == "id" else cid)
    except ValueError as err:
        raise Refused("bad_request", "not JSON: %s" % err, cid)
    longest = _longest_list(cmd)
    if longest > MAX_LIST:
        raise Refused("too_large", "a list of %d items; at most %d in one command" %
                      (longest, MAX_LIST), cid)
    return cmd


def bound_reply(reply, dumps):
    """The reply's text, at most MAX_REPLY bytes: a larger ``result`` is cut at its
    largest list or object, marked ``"truncated": true`` with ``"left_out"``."""
    text = dumps(reply)
    if len(text.encode("utf-8")) <= MAX_REPLY or not isinstance(reply.get("result"), dict):
        return text
    result = dict(reply["result"])
    key = max((k for k, v in result.items() if isinstance(v, (list, dict))),
              key=lambda k: len(dumps(result[k])), default=None)
    if key is None:
        return text
    items = result[key]
    pairs = list(items.items()) if isinstance(items, dict) else list(items)
    keep, lo, hi = 0, 0, len(pairs)
    while lo <= hi:                          # the most items that still fit
        mid = (lo + hi) // 2
        part = dict(pairs[:mid]) if isinstance(items, dict) else pairs[:mid]
        trial = dict(reply, result=dict(result, **{key: part, "truncated": True,
                                                   "left_out": len(pairs) - mid}))
        if len(dumps(trial).encode("utf-8")) <= MAX_REPLY:
            keep, lo = mid, mid + 1
        else:
            hi = mid - 1
    part = dict(pairs[:keep]) if isinstance(items, dict) else pairs[:keep]
    return dumps(dict(reply, result=dict(result, **{key: part, "truncated": True,
                                                    "left_out": len(pairs) - keep})))
