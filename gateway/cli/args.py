"""Arguments of the console commands: times, ``KEY=VALUE`` pairs, row limits.

Times (``--from``, ``--to``, ``time --set``) are given as ISO 8601 with
the UTC offset (``2026-11-23T08:00:00+08:00``, or ``Z``), or as the
concentrator's local time: a date ``2026-11-23`` or ``2026-11-23 08:00``
(seconds optional, ``T`` or a space).  Local means the offset of the
parameter ``time.tz_offset_min`` -- the concentrator's, which is not
necessarily that of the PC the console runs on.  ``now`` is the
concentrator's clock.  The ops take ISO 8601 with an offset only
(gateway.ops.args), so every form is turned into that here; the texts
themselves are written once, in gateway.timefmt.
"""

import datetime
import re

import click

from gateway.cli.common import fail
from gateway.timefmt import iso, offset_of, parse_iso, table_time, tz

_LOCAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?\Z")
_OFFSET = re.compile(r"(.*\d)\s*(Z|z|[+-]\d{2}:?\d{2})\Z")
FORMS = ('2026-11-23, "2026-11-23 08:00" (the concentrator\'s local time), '
         '2026-11-23T08:00:00+08:00 or now')


class ConsoleClock:
    """The concentrator's clock and UTC offset, asked of the agent (or the
    files) once, when a time needs them."""

    def __init__(self, agent):
        self.agent = agent
        self._got = None

    def _get(self):
        if self._got is None:
            self._got = self.agent.call("time.get")
        return self._got

    @property
    def tz_offset_min(self):
        return int(self._get()["tz_offset_min"])

    @property
    def now(self):
        return int(self._get()["epoch"])

    def iso(self, epoch):
        return iso(epoch, self.tz_offset_min)


def parse(text, option, clock, end=False):
    """ISO 8601 with offset of the console time ``text`` given to ``option``;
    with ``end``, a plain date means the end of that day (the day is included).
    Exit 2 naming the option when it is not a time."""
    s = (text or "").strip()
    if s.lower() == "now":
        return clock.iso(clock.now)
    m = _LOCAL.match(s)
    if m:
        y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
        try:
            dt = datetime.datetime(y, mo, d, h, mi, sec)
        except ValueError as err:
            _bad(option, text, str(err))
        if end and m.group(4) is None:
            dt += datetime.timedelta(days=1)
        return dt.replace(tzinfo=tz(clock.tz_offset_min)).isoformat()
    m = _OFFSET.match(s)
    if m:
        body, off = m.groups()
        off = "+00:00" if off in ("Z", "z") else off[:3] + ":" + off[-2:]
        try:
            dt = datetime.datetime.fromisoformat(body.replace(" ", "T") + off)
        except ValueError as err:
            _bad(option, text, str(err))
        return dt.isoformat()
    _bad(option, text)


def _bad(option, text, why=None):
    fail("%s: %r is not a time%s" % (option, text, " (%s)" % why if why else ""), code=2,
         hint="use " + FORMS)


# ------------------------------------------------------------ KEY=VALUE
def assignment(token, what="KEY=VALUE"):
    """(key, value) of ``KEY=VALUE``; exit 2 when there is no "="."""
    key, eq, value = token.partition("=")
    if not eq or not key.strip():
        fail("%r is not %s" % (token, what), code=2,
             hint="write %s, e.g. plan.hourly=false (quote values with spaces)" % what)
    return key.strip(), value.strip()


def pairs(text, option):
    """{key: value} of ``key=value;key=value`` (the archive CSV's form of
    ``limits`` and ``options``); an empty value removes that key (None)."""
    out = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, value = assignment(part, "%s key=value;key=value" % option)
        out[key] = value if value != "" else None
    return out


# ----------------------------------------------------------------- limits
def limit_options(default, plural, which="the newest "):
    """``--limit N`` and ``--all`` (give them to ``chosen_limit``); ``default``
    None shows all unless --limit is given."""
    def deco(f):
        f = click.option("--all", "show_all", is_flag=True, help="Show all %s." % plural)(f)
        f = click.option("--limit", "limit", type=int, metavar="N",
                         help="Show %sN %s%s." % (
                             which, plural, " (default %d)" % default if default else ""))(f)
        return f
    return deco


def chosen_limit(limit, show_all, default):
    if limit is not None and show_all:
        fail("--limit and --all contradict each other", code=2, hint="give one of them")
    if limit is not None and limit < 1:
        fail("--limit %d: give a number of rows from 1 on" % limit, code=2,
             hint="--all shows every row")
    if show_all:
        return None
    return limit if limit is not None else default


def console_range(start, end, clock, hours=24):
    """(from, to) as ISO 8601 for ``--from``/``--to``: the last ``hours``
    up to now when neither is given, ``hours`` before --to when only that is."""
    end_iso = parse(end, "--to", clock, end=True) if end else clock.iso(clock.now + 1)
    if start:
        start_iso = parse(start, "--from", clock)
    else:
        start_iso = iso(parse_iso(end_iso) - hours * 3600, offset_of(end_iso))
    if not parse_iso(start_iso) < parse_iso(end_iso):
        fail("--from (%s) is not before --to (%s)" % (table_time(start_iso), table_time(end_iso)),
             code=2,
             hint="give a range forwards in time; --to DATE means up to the end of that day")
    return start_iso, end_iso


def confirm(question, refused):
    """Ask ``question`` (y/N, on stderr); exit 1 saying ``refused`` unless yes."""
    try:
        ok = click.confirm(question[0].upper() + question[1:], default=False, err=True)
    except click.Abort:
        click.echo("", err=True)        # the question had no answer: end its line
        ok = False
    if not ok:
        fail("%s: not confirmed" % refused, code=1, hint="give --yes to do it without asking")
