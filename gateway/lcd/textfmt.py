"""Text helpers of the screens: widths in columns (a column is the font's
narrow width: 8 px in the 16 px face, 20 a line; 6 px in the 12 px face, 26 a
line; a wide character counts two), cutting, wrapping, and times as the
screens show them.  Lines are measured in pixels, so the 12 px face's
proportional ASCII never runs past the edge.  No clock is read here: times come
in as epoch seconds and an offset."""

import calendar
import re
import time

from gateway.lcd.font import default_font

COLS = 20
HAIR = "\u200a"


def cols(s, font=None):
    return (font or default_font()).columns(s)


def fit(s, n=COLS, font=None):
    """``s`` cut to at most ``n`` columns."""
    font = font or default_font()
    out, used, room = [], 0, n * _narrow(font)
    for ch in s:
        w = font.width(ch)
        if used + w > room:
            break
        out.append(ch)
        used += w
    return "".join(out)


def pad(left, right="", n=COLS, font=None):
    """``left`` and ``right`` on one line of ``n`` columns, right aligned; in
    a proportional face the last pixels are hair spaces (U+200A, 1 px), which
    ``unhair`` takes out of the text the screen says."""
    font = font or default_font()
    space = font.width(" ")
    room = n * _narrow(font) - font.width(right)
    left = fit(left, max(room - (space if right else 0), 0) // _narrow(font), font)
    gap = max(room - font.width(left), 0)
    hair = gap % space if font.has(HAIR) else 0
    return left + " " * (gap // space) + HAIR * hair + right


def unhair(s):
    """``s`` without the hair spaces ``pad`` aligns with."""
    return s.replace(HAIR, "")


def wrap(s, n=COLS, font=None):
    """``s`` as lines of at most ``n`` columns (cut at spaces where possible)."""
    font = font or default_font()
    room = n * _narrow(font)
    lines = []
    for para in str(s).split("\n"):
        line, used = "", 0
        for ch in para:
            w = font.width(ch)
            if used + w > room:
                cut = line.rfind(" ")
                if cut > 0 and ch != " ":
                    lines.append(line[:cut])
                    line = line[cut + 1:]
                else:
                    lines.append(line)
                    line = ""
                used = font.width(line)
                if ch == " ":
                    continue
            line += ch
            used += w
        lines.append(line)
    return lines


def _narrow(font):
    font.has(" ")                  # loads the file, which sets the widths
    return font.narrow


def local(epoch, offset):
    """time.struct_time of ``epoch`` at ``offset`` seconds from UTC."""
    return time.gmtime(int(epoch) + int(offset))


def iso(epoch, offset):
    """ISO 8601 with the offset, as the operations take it."""
    t = local(epoch, offset)
    off = int(offset)
    sign = "+" if off >= 0 else "-"
    off = abs(off)
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
        t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, sign,
        off // 3600, off % 3600 // 60)


_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_iso(text):
    """Epoch seconds of an ISO 8601 time with an offset ("Z" or +hh:mm), or None."""
    m = _ISO.match(text) if isinstance(text, str) else None
    if m is None:
        return None
    y, mo, d, hh, mi, ss = (int(g) for g in m.groups()[:6])
    z = m.group(7)
    off = 0 if z == "Z" else (1 if z[0] == "+" else -1) * (int(z[1:3]) * 3600 + int(z[4:6]) * 60)
    return calendar.timegm((y, mo, d, hh, mi, ss, 0, 0, 0)) - off


def midnight(epoch, offset):
    """Epoch seconds of the local midnight that starts the day of ``epoch``."""
    e, off = int(epoch), int(offset)
    return e - (e + off) % 86400


def short_ts(text):
    """"MM-DD hh:mm" of an ISO 8601 time as the operations give it."""
    if not isinstance(text, str) or len(text) < 16:
        return "--" if text is None else str(text)
    return text[5:10] + " " + text[11:16]


def number(v):
    """A meter value as the meter gave it (Decimal keeps its digits)."""
    if v is None:
        return "--"
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)
