"""Readings: real-time values and hourly/daily/monthly frozen values.

A reading is a dict::

    {"meter": "m-0001", "q": "energy.active.import.total", "unit": "kWh",
     "kind": "daily", "ts": 1795017600, "value": Decimal("12345.67"),
     "src": "meter", "read_ts": None}

and ``"clock_off": True`` on a frozen value the meter took by a clock out of
tolerance (absent otherwise).

``ts`` is the boundary (UTC seconds) for frozen kinds and the read time for
real-time values.  One value per meter, quantity, kind and boundary: putting
a second one changes nothing, unless the stored one is empty (None).  A
real-time value is kept per minute (the key's resolution, store/sqlite/codec.py):
a later read in the same minute replaces the earlier one, and the caller is
told which (``replaced``), so that it can say why the first is gone.  Every
reading that goes in gets an outbox entry in the same transaction
(principle 6: committed before it is offered upstream).
"""

from store.sqlite import codec
from store.sqlite.db import KINDS

STREAMS = dict((k, i) for i, k in enumerate(KINDS))     # outbox stream of a kind; events = 4
EVENT_STREAM = len(KINDS)


class Readings:
    """Mixin of store.Store: the reading tables (needs Database)."""

    def _init_ids(self):
        c = self.connect()
        self._meter_ids = dict((mid, i) for i, mid in c.execute("SELECT id, mid FROM meters"))
        self._meter_names = dict((i, mid) for mid, i in self._meter_ids.items())
        self._q_ids = {}
        self._q_rows = {}
        for i, name, unit, vtype in c.execute("SELECT id, name, unit, vtype FROM quantities"):
            self._q_ids[(name, unit)] = i
            self._q_rows[i] = (name, unit, vtype)
        self._text_ids = dict((t, i) for i, t in c.execute("SELECT id, text FROM texts"))
        self._texts = dict((i, t) for t, i in self._text_ids.items())

    # --------------------------------------------------------- id tables
    def _meter_id(self, c, mid):
        i = self._meter_ids.get(mid)
        if i is None:
            row = c.execute("SELECT id FROM meters WHERE mid = ?", (mid,)).fetchone()
            if row is None:
                c.execute("INSERT INTO meters (mid) VALUES (?)", (mid,))
                row = c.execute("SELECT id FROM meters WHERE mid = ?", (mid,)).fetchone()
            i = row[0]
            if i > codec.MAX_METERS:
                raise codec.EncodingError("more than %d meters ever stored" % codec.MAX_METERS)
            self._meter_ids[mid] = i
            self._meter_names[i] = mid
        return i

    def _q_id(self, c, name, unit, vtype):
        i = self._q_ids.get((name, unit))
        if i is None:
            row = c.execute("SELECT id FROM quantities WHERE name = ? AND unit = ?",
                            (name, unit)).fetchone()
            if row is None:
                c.execute("INSERT INTO quantities (name, unit, vtype) VALUES (?, ?, ?)",
                          (name, unit, vtype))
                row = c.execute("SELECT id FROM quantities WHERE name = ? AND unit = ?",
                                (name, unit)).fetchone()
            i = row[0]
            if i > codec.MAX_QUANTITIES:
                raise codec.EncodingError("more than %d quantities" % codec.MAX_QUANTITIES)
            self._q_ids[(name, unit)] = i
            self._q_rows[i] = (name, unit, vtype)
        return i

    def _text_id(self, c, text):
        i = self._text_ids.get(text)
        if i is None:
            c.execute("INSERT OR IGNORE INTO texts (text) VALUES (?)", (text,))
            i = c.execute("SELECT id FROM texts WHERE text = ?", (text,)).fetchone()[0]
            self._text_ids[text] = i
            self._texts[i] = text
        return i

    # ------------------------------------------------------------ encode
    def _row(self, c, r):
        value = r.get("value")
        vtype = codec.vtype_of(value) if value is not None else codec.NUMBER
        qi = self._q_id(c, r["q"], r.get("unit") or "", vtype)
        vtype = self._q_rows[qi][2]
        mi = self._meter_id(c, r["meter"])
        kind = r["kind"]
        ts = int(r["ts"])
        key = codec.key_of(ts, mi, qi)
        exp_bits = 8
        if value is None:
            v = None
        elif vtype == codec.NUMBER:
            v, exp_bits = codec.encode_number(value)
        elif vtype == codec.FLAG:
            v = 1 if value else 0
        elif vtype == codec.DATETIME:
            v = codec.datetime_seconds(value)
        else:
            v = self._text_id(c, str(value))
        src = r.get("src", "meter")
        flags = codec.flags_of(exp_bits, src, r.get("clock_off"))
        if kind == "realtime":
            dt = ts % 60
        elif src == "read" and r.get("read_ts") is not None:
            dt = int(r["read_ts"]) - ts
        else:
            dt = None
        return kind, key, v, flags, dt

    def put_readings(self, readings, replaced=None):
        """Store readings in one transaction; returns how many were new.

        ``replaced``: a list that gets, for each real-time value that replaced
        one read earlier in the same minute, ``(meter, q, ts of the earlier)``."""
        new = 0
        with self.write() as c:
            for r in readings:
                kind, key, v, flags, dt = self._row(c, r)
                table = "r_" + kind
                cur = c.execute("INSERT OR IGNORE INTO %s (key, value, flags, dt) VALUES (?, ?, ?, ?)"
                                % table, (key, v, flags, dt))
                if cur.rowcount == 0:
                    if v is None:
                        continue
                    if kind == "realtime":
                        old = c.execute("SELECT dt FROM r_realtime WHERE key = ?",
                                        (key,)).fetchone()
                        c.execute("UPDATE r_realtime SET value = ?, flags = ?, dt = ? "
                                  "WHERE key = ?", (v, flags, dt, key))
                        if replaced is not None:
                            replaced.append((r["meter"], r["q"], codec.ts_of(kind, key, old[0])))
                    else:
                        cur = c.execute("UPDATE %s SET value = ?, flags = ?, dt = ? WHERE key = ? "
                                        "AND value IS NULL" % table, (v, flags, dt, key))
                        if cur.rowcount == 0:
                            continue
                c.execute("INSERT INTO outbox (stream, ref) VALUES (?, ?)", (STREAMS[kind], key))
                new += 1
            if new:
                self._queued()
        return new

    # ------------------------------------------------------------ decode
    def _decode(self, kind, key, v, flags, dt):
        ts, mi, qi = codec.split_key(key)
        name, unit, vtype = self._q_row(qi)
        if v is None:
            value = None
        elif vtype == codec.NUMBER:
            value = codec.decode_number(v, flags)
        elif vtype == codec.FLAG:
            value = bool(v)
        elif vtype == codec.DATETIME:
            value = codec.datetime_text(v)
        else:
            value = self._text(v)
        src = codec.src_of(flags)
        rec = {"meter": self._meter_name(mi), "q": name, "unit": unit, "kind": kind, "ts": ts,
               "value": value, "src": src, "read_ts": None}
        if codec.clock_off_of(flags):
            rec["clock_off"] = True
        if kind == "realtime":
            rec["ts"] = ts + (dt or 0)
        elif dt is not None:
            rec["read_ts"] = ts + dt
        return rec

    def _q_row(self, qi):
        row = self._q_rows.get(qi)
        if row is None:
            self._init_ids()
            row = self._q_rows[qi]
        return row

    def _meter_name(self, mi):
        name = self._meter_names.get(mi)
        if name is None:
            self._init_ids()
            name = self._meter_names[mi]
        return name

    def _text(self, ti):
        t = self._texts.get(ti)
        if t is None:
            self._init_ids()
            t = self._texts[ti]
        return t

    def readings(self, kind, meter=None, start=None, end=None, quantities=None, limit=None,
                 newest=False):
        """Readings of one kind in [start, end), oldest first, optionally of
        one meter and some quantities; ``newest``: the last ``limit`` of them
        (still oldest first)."""
        lo, hi = codec.covering_range(start, end)
        c = self.connect()
        mi = None
        if meter is not None:
            mi = self._meter_ids.get(meter)
            if mi is None:
                row = c.execute("SELECT id FROM meters WHERE mid = ?", (meter,)).fetchone()
                if row is None:
                    return []
                mi = row[0]
        sql = "SELECT key, value, flags, dt FROM r_%s WHERE key >= ? AND key < ?" % kind
        args = [lo, hi]
        if mi is not None:
            sql += " AND ((key >> %d) & %d) = ?" % (codec.QUANTITY_BITS, codec.MAX_METERS)
            args.append(mi)
        sql += " ORDER BY key DESC" if newest else " ORDER BY key"
        out = []
        wanted = set(quantities) if quantities else None
        for key, v, flags, dt in c.execute(sql, args):
            if not codec.in_range(codec.ts_of(kind, key, dt), start, end):
                continue                # in an edge minute, outside the range by its seconds
            rec = self._decode(kind, key, v, flags, dt)
            if wanted is None or rec["q"] in wanted:
                out.append(rec)
                if limit and len(out) >= limit:
                    break
        if newest:
            out.reverse()
        return out

    def present(self, kind, start, end):
        """{meter: {boundary ts: set of quantity names}} of the non-empty values
        stored in [start, end): one pass over the range (catch-up planning)."""
        lo, hi = codec.key_range(start, end)
        out = {}
        names = {}
        c = self.connect()
        sql = "SELECT key FROM r_%s WHERE key >= ? AND key < ? AND value IS NOT NULL" % kind
        for (key,) in c.execute(sql, (lo, hi)):
            ts, mi, qi = codec.split_key(key)
            meter = names.get(mi)
            if meter is None:
                meter = names[mi] = self._meter_name(mi)
            out.setdefault(meter, {}).setdefault(ts, set()).add(self._q_row(qi)[0])
        return out

    def stored_meter_ids(self, ids):
        """The meter ids among ``ids`` that have stored history (a row in ``meters``:
        a removed meter keeps it)."""
        ids = list(dict.fromkeys(ids))
        out = set()
        c = self.connect()
        for k in range(0, len(ids), 500):
            chunk = ids[k:k + 500]
            sql = "SELECT mid FROM meters WHERE mid IN (%s)" % ",".join("?" * len(chunk))
            out.update(r[0] for r in c.execute(sql, chunk))
        return out

    def by_key(self, kind, key):
        row = self.connect().execute("SELECT key, value, flags, dt FROM r_%s WHERE key = ?" % kind,
                                     (key,)).fetchone()
        return None if row is None else self._decode(kind, *row)

    def count(self, kind):
        return self.connect().execute("SELECT count(*) FROM r_%s" % kind).fetchone()[0]
