"""Events, the five logs, and small persisted state (key -> JSON value).

Events are the alarms and notices of mqtt.md (``meter_offline``,
``store_full`` ...): each gets an outbox entry so it goes upstream.  Logs are
the concentrator's own records, per category (Q/GDW: acquisition,
statistics, modification, operation, login), kept locally.  Details are
JSON: a Decimal in one is kept as its text; a value of a type JSON does not
know is refused with a TypeError naming the type.
"""

import json
from decimal import Decimal

from store.sqlite.readings import EVENT_STREAM

LOG_CATEGORIES = ("acquisition", "statistics", "modification", "operation", "login")
_CATEGORY = dict((c, i) for i, c in enumerate(LOG_CATEGORIES))
SEVERITIES = ("info", "warning", "critical")
DEFAULT_LOG_CAP = 100000        # rows a log keeps at most until the parameter says otherwise
CAP_CHECK_EVERY = 500           # a log row in this many also applies the size cap


def _json(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(obj):
    # a Decimal in a detail is kept as its text (the meter's digits); a value
    # of any other type has no JSON form here and is refused, naming its type
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError("%s %r has no JSON form: use a Decimal, int, str, bool, list or dict"
                    % (type(obj).__name__, obj))


class Journal:
    """Mixin of store.Store: events, logs, state."""

    log_cap = DEFAULT_LOG_CAP

    def put_event(self, ts, type, severity="warning", meter=None, detail=None):
        """Store an event (and queue it upstream); returns its id."""
        if severity not in SEVERITIES:
            raise ValueError("severity is one of %s" % ", ".join(SEVERITIES))
        with self.write() as c:
            cur = c.execute("INSERT INTO events (ts, type, severity, meter, detail) VALUES (?, ?, ?, ?, ?)",
                            (int(ts), type, severity, meter, _json(detail or {})))
            eid = cur.lastrowid
            c.execute("INSERT INTO outbox (stream, ref) VALUES (?, ?)", (EVENT_STREAM, eid))
            self._queued()
        return eid

    def events(self, start=None, end=None, type=None, meter=None, limit=None):
        sql = "SELECT id, ts, type, severity, meter, detail FROM events WHERE 1"
        args = []
        if start is not None:
            sql += " AND ts >= ?"
            args.append(int(start))
        if end is not None:
            sql += " AND ts < ?"
            args.append(int(end))
        if type is not None:
            sql += " AND type = ?"
            args.append(type)
        if meter is not None:
            sql += " AND meter = ?"
            args.append(meter)
        sql += " ORDER BY id"
        if limit:
            sql += " LIMIT %d" % int(limit)
        return [self._event(row) for row in self.connect().execute(sql, args)]

    def event(self, eid):
        row = self.connect().execute("SELECT id, ts, type, severity, meter, detail FROM events "
                                     "WHERE id = ?", (eid,)).fetchone()
        return None if row is None else self._event(row)

    @staticmethod
    def _event(row):
        eid, ts, type_, severity, meter, detail = row
        return {"id": eid, "ts": ts, "type": type_, "severity": severity, "meter": meter,
                "detail": json.loads(detail) if detail else {}}

    def log(self, category, ts, message, detail=None):
        """Append a row to the log ``category``.  Logs are only appended to:
        no operation edits or deletes a row; ``prune_logs`` (the daily
        maintenance) drops what is past the retention or over the size cap."""
        if category not in _CATEGORY:
            raise ValueError("log category is one of %s, not %r" % (", ".join(LOG_CATEGORIES), category))
        with self.write() as c:
            cur = c.execute("INSERT INTO logs (ts, category, message, detail) VALUES (?, ?, ?, ?)",
                            (int(ts), _CATEGORY[category], message,
                             None if detail is None else _json(detail)))
            if self.log_cap and cur.lastrowid % CAP_CHECK_EVERY == 0:
                self._cap_logs(c, self.log_cap)

    def logs(self, category, start=None, end=None, limit=None, operator=None, after=None):
        """Rows of ``category`` in [start, end), oldest first; ``operator``: only
        the rows of that operator (the ``user`` of the detail); ``after``: only
        rows with an id above it (the next page)."""
        if category not in _CATEGORY:
            raise ValueError("log category is one of %s, not %r" % (", ".join(LOG_CATEGORIES), category))
        sql = "SELECT id, ts, message, detail FROM logs WHERE category = ?"
        args = [_CATEGORY[category]]
        if start is not None:
            sql += " AND ts >= ?"
            args.append(int(start))
        if end is not None:
            sql += " AND ts < ?"
            args.append(int(end))
        if operator is not None:
            sql += " AND json_extract(detail, '$.user') = ?"
            args.append(operator)
        if after is not None:
            sql += " AND id > ?"
            args.append(int(after))
        sql += " ORDER BY category, ts, id"
        if limit:
            sql += " LIMIT %d" % int(limit)
        return [{"id": i, "ts": ts, "category": category, "message": m,
                 "detail": json.loads(d) if d else None}
                for i, ts, m, d in self.connect().execute(sql, args)]

    def prune_logs(self, now, retention_days, max_rows):
        """Each log keeps ``retention_days`` and at most ``max_rows`` rows (the
        oldest go first); returns the rows dropped per category."""
        self.log_cap = int(max_rows)
        done = {}
        with self.write() as c:
            for name, cat in _CATEGORY.items():
                n = c.execute("DELETE FROM logs WHERE category = ? AND ts < ?",
                              (cat, int(now - retention_days * 86400))).rowcount
                done[name] = n
            for name, n in self._cap_logs(c, self.log_cap).items():
                done[name] += n
        return done

    @staticmethod
    def _cap_logs(c, max_rows):
        done = {}
        for name, cat in _CATEGORY.items():
            done[name] = c.execute(
                "DELETE FROM logs WHERE category = ? AND id <= (SELECT id FROM logs WHERE "
                "category = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (cat, cat, int(max_rows))).rowcount
        return done

    def get_state(self, key, default=None):
        row = self.connect().execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_state(self, key, value, c=None):
        if c is not None:
            c.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, _json(value)))
            return
        with self.write() as c:
            c.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, _json(value)))

    def del_state(self, key):
        with self.write() as c:
            c.execute("DELETE FROM state WHERE key = ?", (key,))
