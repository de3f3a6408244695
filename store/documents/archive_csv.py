"""The archive as CSV, for spreadsheets: ``concentrator meters export/import``.

Format (UTF-8, comma-separated, one header row)::

    id,address,protocol,port,kind,radio,area,tariff,limits,options,name,added
    m-0001,000012345678,dlt645-2007,rs485-1,electricity,false,B2,,power_max_kw=10;zero_days=3,level=2,门卫,2026-11-18

* The header names the columns, in any order; only ``address`` and
  ``protocol`` are needed (``id`` is generated when empty, ``kind`` defaults
  where the protocol allows one kind).
* ``added`` is written as the date the meter was added (``export(date_of=...)``)
  and is then for reading only: an import ignores a date there (the archive
  sets ``added`` when it adds a meter and keeps it on updates), so an
  exported file imports as it is; epoch seconds there are taken as before.
* Secrets (``export(secret_options=...)``, e.g. meter passwords) are left
  out of ``options`` unless ``secrets=True``; a line that updates a meter
  and does not name a secret option keeps the meter's value of it, so a
  file exported without them does not wipe them on import.
* ``limits`` and ``options`` are ``key=value`` pairs separated by ``;``
  (values hold no ``;`` or ``=``: numbers, hex digits, names).  This reads and
  edits better in a spreadsheet than JSON in a cell.
* ``radio`` is true/false (also yes/no, 1/0).  An empty cell is an unset field.
* A byte-order mark (Excel's "CSV UTF-8") is accepted; ``export(bom=True)``
  writes one so that Excel shows Chinese names correctly.

Import is all or nothing: every line is checked first and the errors (up to
20) are reported together, each with its line number and field.  A line whose
id exists replaces that meter (an empty cell clears the field); with
``replace=True`` meters missing from the file are removed.
"""

import csv
import io
import os

from store.documents.archive_record import FIELDS, address_key
from store.errors import ArchiveCsvError, ArchiveError

MAX_ERRORS = 20


class ImportResult(tuple):
    """(added ids, updated ids), with ``removed`` ids (``replace=True``) as an attribute."""

    def __new__(cls, added, updated, removed=()):
        self = tuple.__new__(cls, (list(added), list(updated)))
        self.removed = list(removed)
        return self

    added = property(lambda self: self[0])
    updated = property(lambda self: self[1])


def _pairs(record):
    return ";".join("%s=%s" % (k, str(v).lower() if isinstance(v, bool) else v)
                    for k, v in sorted(record.items()))


def export(archive, file, bom=False, secret_options=(), secrets=False, date_of=None):
    """Write every meter to ``file`` (a path or a text stream); returns the number written.

    ``secret_options``: option names left out unless ``secrets``; ``date_of``:
    epoch seconds -> the text of ``added`` (default the number)."""
    rows = []
    for m in archive.list():
        row = []
        for field in FIELDS:
            value = m.get(field)
            if field == "options" and value and not secrets:
                value = dict((k, v) for k, v in value.items() if k not in secret_options) or None
            if field == "added" and value is not None and date_of is not None:
                value = date_of(value)
            if value is None:
                row.append("")
            elif isinstance(value, bool):
                row.append("true" if value else "false")
            elif isinstance(value, dict):
                row.append(_pairs(value))
            else:
                row.append(str(value))
        rows.append(row)
    if isinstance(file, (str, os.PathLike)):
        with open(file, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            _write(f, rows)
    else:
        if bom:
            file.write("\ufeff")
        _write(file, rows)
    return len(rows)


def _write(f, rows):
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(FIELDS)
    w.writerows(rows)


def _text(file):
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            data = f.read()
    else:
        data = file.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ArchiveCsvError("the file is not UTF-8 (byte %d): save it as \"CSV UTF-8\""
                                  % err.start, line=data[:err.start].count(b"\n") + 1) from None
    return data[1:] if data.startswith("\ufeff") else data


def _parse_pairs(line, field, cell):
    out = {}
    for part in cell.split(";"):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise ArchiveCsvError("line %d, %s: %r is not key=value; write key=value;key=value"
                                  % (line, field, part.strip()), line=line, field=field, value=cell)
        if key.strip() in out:
            raise ArchiveCsvError("line %d, %s: %s is given twice" % (line, field, key.strip()),
                                  line=line, field=field, value=cell)
        out[key.strip()] = value.strip()
    return out


def read_rows(file):
    """[(line number, record dict)] of a CSV file, fields as text; ``ArchiveCsvError`` on form."""
    reader = csv.reader(io.StringIO(_text(file), newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ArchiveCsvError("the file is empty: the first line must name the columns, e.g. %s"
                              % ",".join(FIELDS), line=1) from None
    except csv.Error as err:
        raise ArchiveCsvError("line 1: %s" % err, line=1) from None
    header = [h.strip().lower() for h in header]
    for h in header:
        if h not in FIELDS:
            raise ArchiveCsvError("line 1: column %r is not a meter field: use %s"
                                  % (h, ", ".join(FIELDS)), line=1, field=h, allowed=FIELDS)
        if header.count(h) > 1:
            raise ArchiveCsvError("line 1: column %s appears twice" % h, line=1, field=h)
    rows = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise ArchiveCsvError("line %d has %d cells but the header names %d columns: quote "
                                      "cells that hold a comma" % (line, len(cells), len(header)),
                                      line=line)
            record = {}
            for field, cell in zip(header, cells):
                cell = cell.strip()
                if cell and field in ("limits", "options"):
                    record[field] = _parse_pairs(line, field, cell)
                elif cell:
                    record[field] = cell
            rows.append((line, record))
    except csv.Error as err:
        line = reader.line_num
        raise ArchiveCsvError("line %d: %s" % (line, err), line=line) from None
    return rows


def _keep_secrets(record, old, secret_options):
    """``record`` with the secret options of the archived ``old`` that it does not name."""
    kept = dict((k, v) for k, v in (old.get("options") or {}).items()
                if k in secret_options and k not in (record.get("options") or {}))
    if not kept:
        return record
    return dict(record, options=dict(record.get("options") or {}, **kept))


def import_(archive, file, replace=False, now=None, secret_options=()):
    """Add or replace the meters of a CSV file, all or nothing; returns ``ImportResult``.

    A date in the ``added`` column is ignored (the archive sets it); an updated meter
    keeps its ``secret_options`` the line does not name."""
    rows = read_rows(file)
    errors, seen_ids, seen_addr = [], {}, {}
    existing = set(archive.ids())
    add, update = [], {}
    for line, record in rows:
        if not record.get("added", "0").isdigit():
            record.pop("added")          # a date as export writes it: for reading only
        if secret_options and record.get("id") in existing:
            record = _keep_secrets(record, archive.get(record["id"]), secret_options)
        try:
            normal = archive.validate(record)
        except ArchiveError as err:
            errors.append(ArchiveCsvError("line %d: %s" % (line, err.message), line=line,
                                          field=err.field, value=err.value, allowed=err.allowed))
            continue
        meter_id = normal.get("id")
        if meter_id in seen_ids:
            errors.append(ArchiveCsvError("line %d: meter id %s is on line %d too" % (
                line, meter_id, seen_ids[meter_id]), line=line, field="id", value=meter_id))
            continue
        key = address_key(normal, archive.rules)
        if key in seen_addr:
            errors.append(ArchiveCsvError("line %d: address %s on port %s (%s) is on line %d too: "
                                          "give each meter its own address or port" % (
                                              line, key[2], key[0], key[1], seen_addr[key]),
                                          line=line, field="address", value=key[2]))
            continue
        seen_addr[key] = line
        if meter_id is not None:
            seen_ids[meter_id] = line
        if meter_id in existing:
            update[meter_id] = record
        else:
            add.append(record)
    if errors:
        _raise(errors, len(rows))
    remove = [i for i in archive.ids() if i not in seen_ids] if replace else []
    try:
        added, updated, removed = archive.batch(add=add, update=update, remove=remove, now=now)
    except ArchiveError as err:
        line = seen_ids.get(err.key)
        where = "line %d: " % line if line else ""
        raise ArchiveCsvError("%s%s; nothing was imported" % (where, err.message), line=line,
                              field=err.field, value=err.value, allowed=err.allowed) from err
    return ImportResult([r["id"] for r in added], [r["id"] for r in updated], removed)


def _raise(errors, nrows):
    shown = errors[:MAX_ERRORS]
    more = len(errors) - len(shown)
    text = "\n".join(e.message for e in shown)
    if more:
        text += "\n... and %d more" % more
    if len(errors) == 1:
        raise ArchiveCsvError("%s; nothing was imported" % errors[0].message, line=errors[0].line,
                              field=errors[0].field, value=errors[0].value,
                              allowed=errors[0].allowed)
    raise ArchiveCsvError("%d of %d lines are not valid, nothing was imported:\n%s"
                          % (len(errors), nrows, text), line=errors[0].line, errors=errors)
