"""Time texts, written once for the ops (``gateway.ops``) and the console
(``gateway.cli``).

Timestamps go out as ISO 8601 with the concentrator's UTC offset
(``time.tz_offset_min``), e.g. ``2026-11-23T00:00:00+08:00`` (mqtt.md,
Session), whole seconds, and come in the same way: an offset is required,
since a bare local time means a different instant on the master station's
side.
"""

import datetime

ISO_EXAMPLE = "2026-11-23T00:00:00+08:00"


class NoOffset(ValueError):
    """A time without a UTC offset: which instant it means is not known."""


def tz(tz_offset_min):
    """The fixed-offset time zone of ``tz_offset_min`` minutes east of UTC."""
    return datetime.timezone(datetime.timedelta(minutes=int(tz_offset_min)))


def iso(ts, tz_offset_min):
    """``ts`` (UTC epoch seconds) as local ISO 8601 with the offset, whole
    seconds; None stays None."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(int(ts), tz(tz_offset_min)).isoformat()


def parse_iso(text):
    """UTC epoch seconds (float) of ISO 8601 text with a UTC offset (or Z);
    ValueError when it is not a time, NoOffset when it has no offset."""
    s = text.strip()
    if s[-1:] in ("Z", "z"):
        s = s[:-1] + "+00:00"          # Python 3.10's fromisoformat does not take Z
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        raise NoOffset("has no UTC offset")
    return dt.timestamp()


def offset_of(iso_text):
    """The UTC offset in minutes of an ISO 8601 text (the agent's own times)."""
    off = datetime.datetime.fromisoformat(iso_text).utcoffset()
    return int(off.total_seconds() // 60) if off is not None else 0


def offset_text(tz_offset_min):
    """``UTC+08:00`` for 480."""
    sign = "-" if tz_offset_min < 0 else "+"
    return "UTC%s%02d:%02d" % (sign, abs(tz_offset_min) // 60, abs(tz_offset_min) % 60)


def table_time(iso_text):
    """``2026-11-23T08:00:00+08:00`` as ``2026-11-23 08:00:00`` (tables say the offset once)."""
    if not iso_text:
        return "-"
    return iso_text[:19].replace("T", " ")
