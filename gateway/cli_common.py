"""Output helpers shared by the console commands (80x24, maybe no colour)."""

import sys

import click


def fail(message, code=1, hint=None):
    """One line on stderr with the cause (and a hint), then exit ``code``."""
    text = "error: %s" % message
    if hint:
        text += "\nhint: %s" % hint
    click.echo(text, err=True)
    sys.exit(code)


def _text(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def print_records(records, width=80):
    """Value records as a table: quantity, value, unit (and period)."""
    rows = []
    for r in records:
        q = r.get("quantity") or r.get("label") or r.get("name") or "?"
        if r.get("period"):
            q = "%s (%s)" % (q, r["period"])
        rows.append((q, _text(r.get("value")), r.get("unit") or ""))
    if not rows:
        return
    w0 = min(max(len(r[0]) for r in rows), width - 30)
    w1 = min(max(len(r[1]) for r in rows), width - w0 - 8)
    for q, v, u in rows:
        click.echo("%-*s  %*s %s" % (w0, q[:w0], w1, v, u))
