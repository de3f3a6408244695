"""Argument checks of the operations (gateway.ops), written once.

Every refusal is ``CommandError("bad_request", ...)`` whose message names the
field, shows what was given and says what is allowed, e.g.::

    kind: 'weekly' is not allowed; use one of realtime, hourly, daily, monthly

Times come in as ISO 8601 with a UTC offset (``gateway.timefmt``, shared
with the console).
"""

import json
from decimal import Decimal

from gateway.timefmt import ISO_EXAMPLE, NoOffset, parse_iso
from store import ArchiveError, ParamsError, UnknownMeterError
from upstream.errors import CommandError

_SHOWN_MAX = 60


def shown(value):
    """A short text of a given value for a message (JSON-ish, truncated)."""
    if isinstance(value, Decimal):       # the uplink parses JSON numbers with a point so
        return str(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    if isinstance(value, str):
        text = "'%s'" % value
    return text if len(text) <= _SHOWN_MAX else text[:_SHOWN_MAX - 3] + "..."


def bad(field, value, allowed, why="is not allowed"):
    return CommandError("bad_request", "%s: %s %s; use %s" % (field, shown(value), why, allowed),
                        detail={"field": field})


def missing(field, allowed):
    return CommandError("bad_request", "%s is missing; give %s" % (field, allowed),
                        detail={"field": field})


def check_args(op, args, allowed):
    """``args`` as a dict (None -> {}), refusing arguments ``op`` does not take."""
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise bad("args", args, "an object of named arguments", "is not an object")
    unknown = sorted(k for k in args if k not in allowed)
    if unknown:
        raise CommandError("bad_request", "args: %s %s not an argument of %s; %s" % (
            ", ".join(repr(k) for k in unknown), "is" if len(unknown) == 1 else "are", op,
            "use " + ", ".join(allowed) if allowed else "it takes none"),
            detail={"field": unknown[0]})
    return args


def choice(args, field, choices, default=None, required=True):
    value = args.get(field, default)
    if value is None:
        if required:
            raise missing(field, "one of " + ", ".join(choices))
        return None
    if not isinstance(value, str) or value not in choices:
        raise bad(field, value, "one of " + ", ".join(choices))
    return value


def text(args, field, allowed, required=False):
    value = args.get(field)
    if value is None:
        if required:
            raise missing(field, allowed)
        return None
    if not isinstance(value, str) or not value:
        raise bad(field, value, allowed)
    return value


def flag(args, field):
    value = args.get(field, False)
    if not isinstance(value, bool):
        raise bad(field, value, "true or false")
    return value


def id_list(args, field, required=True, allow_all=False, single=False):
    """A list of meter ids (non-empty strings, no repeats kept); "all" -> None."""
    value = args.get(field)
    allowed = "a list of meter ids such as [\"m-0001\"]" + (' or "all"' if allow_all else "")
    if value is None:
        if required:
            raise missing(field, allowed)
        return None
    if allow_all and value == "all":
        return None
    if single and isinstance(value, str) and value:
        value = [value]
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and v for v in value):
        raise bad(field, value, allowed)
    return list(dict.fromkeys(value))


def unknown_meters(ids):
    ids = list(ids)
    return CommandError("unknown_meter", "no meter%s %s (meters.list shows the archive)" % (
        "s" if len(ids) > 1 else "", ", ".join(ids)), detail={"meters": ids})


# --------------------------------------------------------------------- time
def parse_time(args, field, required=True):
    """UTC epoch seconds (float) of an ISO 8601 text with a UTC offset."""
    value = args.get(field)
    allowed = "ISO 8601 with the UTC offset, e.g. %s" % ISO_EXAMPLE
    if value is None:
        if required:
            raise missing(field, allowed)
        return None
    if not isinstance(value, str):
        raise bad(field, value, allowed, "is not a time")
    try:
        return parse_iso(value)
    except NoOffset:
        raise bad(field, value, allowed, "has no UTC offset") from None
    except ValueError:
        raise bad(field, value, allowed, "is not a time") from None


def time_range(args, max_days=None):
    """(from, to) epoch seconds, from < to, at most ``max_days`` apart."""
    start = parse_time(args, "from")
    end = parse_time(args, "to")
    if not start < end:
        raise CommandError("bad_request", "from (%s) must be before to (%s)"
                           % (args["from"], args["to"]), detail={"field": "to"})
    if max_days and end - start > max_days * 86400:
        raise CommandError("bad_request", "from .. to spans %.1f days; ask for at most %d days "
                           "at once" % ((end - start) / 86400.0, max_days),
                           detail={"field": "to"})
    return start, end


# ------------------------------------------------------------ store errors
def from_store_error(err):
    """A store error as a command error: unknown meter or bad request (store.errors)."""
    if isinstance(err, UnknownMeterError):
        # its hint names a console command; the master station has meters.list
        return CommandError("unknown_meter", "%s (meters.list shows the archive)" % err.message)
    field = err.field if err.field not in (None, "field") else err.key
    detail = {"field": field} if isinstance(field, str) else None
    if isinstance(err, (ArchiveError, ParamsError)):
        return CommandError("bad_request", str(err), detail=detail)
    return CommandError("internal", str(err))
