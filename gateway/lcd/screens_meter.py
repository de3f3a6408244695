"""The meter screens: one meter's values, freezes, state and 7-day chart
(测量点数据), and the rolling display of every meter (轮显)."""

from decimal import Decimal

from gateway.lcd import menu
from gateway.lcd.face import FACE12
from gateway.lcd.screens_base import ROWS, PagedView, View, at_last_ts, latest
from gateway.lcd.textfmt import fit, number, pad, short_ts

BLOCKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
CHART_LINES = 6


class MeterView(PagedView):
    kind = "meter"
    live = True
    face = FACE12
    STATE_QS = ("meter.status", "valve.state", "relay.state", "meter.datetime")

    def __init__(self, lcd, meter):
        super().__init__(lcd)
        self.meter = meter
        self.now = {}
        self.daily = []
        self.monthly = []
        self.chart = []

    def title(self):
        return self.meter.get("id", "")

    def load(self):
        mid = self.meter["id"]
        r = self.fetch("data", {"meter": mid, "kind": "realtime", "newest": True, "limit": 64})
        self.now = latest((r or {}).get("values", []))
        r = self.fetch("data", {"meter": mid, "kind": "daily", "newest": True, "limit": 32})
        self.daily = at_last_ts((r or {}).get("values", []))
        r = self.fetch("data", {"meter": mid, "kind": "monthly", "newest": True, "limit": 32})
        self.monthly = at_last_ts((r or {}).get("values", []))
        q = menu.MAIN_QUANTITY.get(self.meter.get("kind"), "energy.active.import.total")
        r = self.fetch("data", {"meter": mid, "kind": "daily", "q": [q], "newest": True,
                                "limit": 8})
        self.chart = (r or {}).get("values", [])

    def value_line(self, rec, face=None):
        label = self.lcd.t(menu.QUANTITIES.get(rec["q"], (rec["q"], rec["q"])))
        v = rec.get("value")
        if rec["q"] in ("valve.state", "relay.state") and v in menu.STATES:
            shown = self.lcd.t(menu.STATES[v])
        else:
            shown = number(v) + (rec.get("unit") or "")
        return (face or self.face).pad(label, shown)

    def pages(self):
        order = list(menu.QUANTITIES)
        ranked = sorted(self.now.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else len(order), kv[0]))
        cur = [self.value_line(r) for q, r in ranked if q not in self.STATE_QS]
        if not cur:
            cur.append(self.t("none"))
        frz = []
        for key, (ts, recs) in (("daily", self.daily), ("monthly", self.monthly)):
            frz.append(self.pad(self.t(key), short_ts(ts) if ts else self.t("none")))
            frz.extend(self.value_line(r) for r in recs if r["q"] not in self.STATE_QS)
        state = [self.value_line(self.now[q]) for q in self.STATE_QS if q in self.now]
        read = max((r["ts"] for r in self.now.values()), default=None)
        state += [self.t("read_at"), " " + (short_ts(read) if read else self.t("none"))]
        ident = "%s %s" % (self.meter.get("id", ""), self.meter.get("address", ""))
        if self.face.font.width(ident) > self.face.cols * self.face.font.narrow:
            ident = self.meter.get("address", "")
        return [(name, [ident] + lines) for name, lines in (
            (self.t("current"), cur), (self.t("freeze"), frz), (self.t("state"), state),
            (self.t("chart"), self.chart_lines()))]

    def chart_lines(self):
        vals = [r for r in self.chart if isinstance(r.get("value"), Decimal) or
                isinstance(r.get("value"), int)]
        days = []
        for a, b in zip(vals, vals[1:]):
            d = Decimal(b["value"]) - Decimal(a["value"])
            days.append((b["ts"], d if d > 0 else Decimal(0)))
        days = days[-7:]
        if not days:
            return [self.t("none")]
        top = max(d for _, d in days)
        levels = CHART_LINES * 8
        font = self.face.font
        # a bar two columns wide: two narrow blocks (16 px face) or one wide (12 px)
        per_bar = max(1, 2 * font.narrow // font.width(BLOCKS[0]))
        heights = []
        for _, d in days:
            h = int(d * levels / top) if top > 0 else 0
            heights.append(max(h, 1) if d > 0 else 0)
        rows = []
        for r in range(CHART_LINES):
            base = (CHART_LINES - 1 - r) * 8
            cells = []
            for h in heights:
                lv = max(0, min(8, h - base))
                cells.append(BLOCKS[lv - 1] * per_bar if lv else "  ")
            rows.append(" ".join(cells))
        rows.append(" ".join(ts[8:10] if isinstance(ts, str) else "--" for ts, _ in days))
        unit = (self.chart[-1].get("unit") or "") if self.chart else ""
        rows.append(self.pad("max", number(top) + unit))
        return rows


class RollingView(View):
    """轮显: each meter's current values in turn, ``roll_s`` seconds each."""
    kind = "rolling"

    def __init__(self, lcd):
        super().__init__(lcd)
        self.meters = []
        self.index = -1
        self.now = {}

    def load(self):
        self.meters = (self.fetch("meters.list") or {}).get("meters", [])

    def show(self, index):
        if not self.meters:
            return
        index %= len(self.meters)
        if index != self.index:
            self.index = index
            r = self.fetch("data", {"meter": self.meters[index]["id"], "kind": "realtime",
                                    "newest": True, "limit": 64})
            self.now = latest((r or {}).get("values", []))

    def body(self):
        head = self.t("rolling")
        if not self.meters:
            return [(head, False), (self.t("no_meters"), False)]
        m = self.meters[self.index % len(self.meters)]
        mv = MeterView(self.lcd, m)
        lines = [pad(head, "%d/%d" % (self.index % len(self.meters) + 1, len(self.meters))),
                 m.get("id", ""), m.get("address", "")]
        order = list(menu.QUANTITIES)
        lines += [mv.value_line(r, self.face) for q, r in sorted(self.now.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else len(order), kv[0]))]
        return [(fit(x), False) for x in lines[:ROWS]]
