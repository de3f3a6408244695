"""Tables for the board's serial console: 80 columns, no colour, no mouse.

``table(headers, rows, numeric)`` fits the columns to the width: numbers are
right-aligned and never cut (a cut number is a wrong number); when the line
is too long the widest text column is shortened, its cells ending in "~".
Widths are terminal columns, not characters: a Chinese meter name takes two
columns a character (East Asian Wide), as on the console's font.

``value_text`` writes meter values exactly (a ``Decimal`` with the meter's
digits, never through float).
"""

import unicodedata
from decimal import Decimal

import click

from upstream import jsonexact

WIDTH = 80
GAP = "  "
CUT = "~"
MIN_TEXT = 6          # a text column is not shortened below this (or its own width)


def cols(text):
    """The terminal columns ``text`` takes."""
    n = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def cut(text, width):
    """``text`` in at most ``width`` columns, ending in "~" when shortened."""
    if cols(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cols(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + CUT


def pad(text, width, right=False):
    fill = " " * max(0, width - cols(text))
    return fill + text if right else text + fill


def value_text(value):
    """A value as the console shows it: exact decimals, lists comma-joined."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return ";".join("%s=%s" % (k, value_text(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ",".join(value_text(v) for v in value)
    return str(value)


def table(headers, rows, numeric=(), width=WIDTH, header=True, keep=()):
    """Lines of a table of ``rows`` (sequences of values) fitted to ``width``.

    ``numeric``: the indexes of right-aligned columns (never shortened);
    ``keep``: text columns never shortened either (names one types again);
    ``header``: print the headers (they count for the widths either way).
    """
    cells = [[_one_line(c if isinstance(c, str) else value_text(c)) for c in row] for row in rows]
    n = len(headers)
    widths = [max([cols(headers[i])] + [cols(r[i]) for r in cells]) for i in range(n)]
    excess = sum(widths) + len(GAP) * (n - 1) - width
    floors = [widths[i] if i in numeric or i in keep else
              min(widths[i], max(MIN_TEXT, cols(headers[i]))) for i in range(n)]
    while excess > 0:
        candidates = [i for i in range(n) if widths[i] > floors[i]]
        if not candidates:
            break
        i = max(candidates, key=lambda k: widths[k])
        widths[i] -= 1
        excess -= 1
    lines = []
    for row in ([list(headers)] if header else []) + cells:
        parts = [pad(cut(row[i], widths[i]), widths[i], right=i in numeric) for i in range(n)]
        lines.append(cut(GAP.join(parts).rstrip(), width))
    return lines


def _one_line(text):
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def echo_table(headers, rows, numeric=(), width=WIDTH, header=True, indent="", keep=()):
    for line in table(headers, rows, numeric, width - len(indent), header, keep):
        click.echo(indent + line)


def fields(pairs, width=WIDTH):
    """``label  value`` lines for (label, value) pairs; long values wrap under
    themselves (nothing is cut: this is the view that shows all of a record)."""
    label_w = max(cols(label) for label, _ in pairs) if pairs else 0
    room = max(10, width - label_w - len(GAP))
    lines = []
    for label, value in pairs:
        text = _one_line(value if isinstance(value, str) else value_text(value))
        chunks = _wrap(text, room)
        lines.append((pad(label, label_w) + GAP + chunks[0]).rstrip())
        for chunk in chunks[1:]:
            lines.append(" " * (label_w + len(GAP)) + chunk)
    return lines


def _wrap(text, width):
    """Lines of at most ``width`` columns, broken at spaces where there are
    some, else after a comma (lists), else anywhere (a Chinese name)."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = word if not line else line + " " + word
        if cols(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        while cols(word) > width:
            head = cut(word, width + 1)[:-1]      # the longest head that fits
            comma = head.rfind(",") + 1
            if comma > len(head) // 2:
                head = head[:comma]
            lines.append(head)
            word = word[len(head):]
        line = word
    if line or not lines:
        lines.append(line)
    return lines


def json_option(f):
    return click.option("--json", "as_json", is_flag=True,
                        help="One JSON document on stdout (values exact).")(f)


def echo_json(obj):
    click.echo(jsonexact.dumps(obj))


def footer(shown, total, noun, more_hint, which="", width=WIDTH):
    """The line under a list that does not show everything: how many of how
    many (``which``: "the newest"), and how to see the rest."""
    text = "%d of %d %s shown%s; %s" % (shown, total, noun, " (%s)" % which if which else "",
                                         more_hint)
    return cut(text, width)
