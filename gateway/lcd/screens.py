"""The screens: one class per screen kind of ``gateway.lcd.menu.KEYMAP``.

A screen fetches its data through the LCD's one ``call`` (``load``), says
what it shows as lines of text (``lines``: the 9 lines under the status bar,
each ``(text, inverted)``) and has the actions its keymap names (``act_*``).
The LCD draws exactly those lines, so the text renderer tells what the
pixels show.
"""

from decimal import Decimal

from gateway.lcd import menu
from gateway.lcd.textfmt import COLS, cols, fit, iso, midnight, number, pad, short_ts, wrap

ROWS = 9          # lines under the status bar
BODY = ROWS - 1   # lines under a screen's title line
BLOCKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
CHART_LINES = 3


class View:
    kind = None
    live = False            # reloaded every refresh period

    def __init__(self, lcd, entry=None):
        self.lcd = lcd
        self.entry = entry
        self.error = None
        self.sel = 0
        self.scroll = 0
        self.page = 0

    def t(self, key):
        return self.lcd.t(menu.TEXT[key])

    def title(self):
        return self.lcd.t(self.entry.label) if self.entry else ""

    def fetch(self, op, args=None):
        """``call(op, args)``, or None with ``self.error`` set on refusal."""
        try:
            return self.lcd.call_op(op, args or {})
        except Exception as err:          # shown on the screen, never raised
            self.error = (getattr(err, "code", "internal"), getattr(err, "message", str(err)))
            return None

    def load(self):
        pass

    def reload(self):
        self.error = None
        self.load()

    def body(self):
        return []

    def error_lines(self):
        code, message = self.error
        return [(self.t("error") + " " + str(code), False)] + \
            [(s, False) for s in wrap(message)]

    def lines(self):
        if self.error:
            return [(fit(self.title()), False)] + self.error_lines()
        return self.body()

    # default actions
    def act_refresh(self):
        self.reload()


# ------------------------------------------------------------------ lists

class ListView(View):
    """A title line and a list of items, one selected (">" and inverted)."""

    def items(self):
        return []

    def empty_text(self):
        return self.t("none")

    def body(self):
        items = self.items()
        n = len(items)
        head = self.title()
        if n:
            head = pad(head, "%d/%d" % (self.sel + 1, n))
        out = [(fit(head), False)]
        if not n:
            return out + [(self.empty_text(), False)]
        if self.sel < self.scroll:
            self.scroll = self.sel
        if self.sel >= self.scroll + BODY:
            self.scroll = self.sel - BODY + 1
        for i in range(self.scroll, min(self.scroll + BODY, n)):
            mark = ">" if i == self.sel else " "
            out.append((fit(mark + items[i]), i == self.sel))
        return out

    def _move(self, d):
        n = len(self.items())
        if n:
            self.sel = (self.sel + d) % n if abs(d) == 1 else max(0, min(n - 1, self.sel + d))

    def act_up(self):
        self._move(-1)

    def act_down(self):
        self._move(1)

    def act_page_up(self):
        self._move(-BODY)

    def act_page_down(self):
        self._move(BODY)

    def act_open(self):
        if self.items():
            self.open_item(self.sel)

    def open_item(self, i):
        pass


class MenuView(ListView):
    kind = "menu"

    def items(self):
        return [self.lcd.t(c.label) for c in self.entry.children]

    def open_item(self, i):
        self.lcd.enter(self.entry.children[i])


class MeterListView(ListView):
    kind = "meter_list"
    meters = ()

    def load(self):
        r = self.fetch("meters.list")
        self.meters = (r or {}).get("meters", [])

    def items(self):
        return ["%03d %s" % (i + 1, m.get("address", m.get("id"))) for i, m in
                enumerate(self.meters)]

    def empty_text(self):
        return self.t("no_meters")

    def open_item(self, i):
        self.lcd.push(MeterView(self.lcd, self.meters[i]))


class EventsView(ListView):
    kind = "events"
    events = ()
    DAYS = 31
    KEEP = 200

    def load(self):
        now = self.lcd.now()
        off = self.lcd.offset()
        start, end = now - self.DAYS * 86400, now + 86400
        got = []
        for _ in range(50):      # events.query gives the oldest first, in pages
            r = self.fetch("events.query", {"from": iso(start, off), "to": iso(end, off)})
            if r is None:
                return
            got.extend(r.get("events", []))
            got = got[-self.KEEP:]
            if not r.get("truncated") or not r.get("events"):
                break
            start_text = r["events"][-1]["ts"]
            nxt = self.lcd.parse_iso(start_text)
            if nxt is None or nxt <= start:
                break
            start = nxt
        seen, out = set(), []
        for e in reversed(got):            # newest first
            key = e.get("id", id(e))
            if key not in seen:
                seen.add(key)
                out.append(e)
        self.events = out

    def items(self):
        return ["%s %s" % (short_ts(e.get("ts"))[3:], self.lcd.t(
            menu.EVENTS.get(e.get("type"), (e.get("type"), e.get("type")))))
            for e in self.events]

    def empty_text(self):
        return self.t("no_events")

    def open_item(self, i):
        self.lcd.push(EventView(self.lcd, self.events[i]))


class ParamsView(ListView):
    kind = "params"
    params = ()
    values = None

    def load(self):
        r = self.fetch("params.get")
        self.values = (r or {}).get("params", {})
        keys = sorted(self.values)
        # the ones the LCD changes first, in the order of menu.EDITABLE
        first = [k for k in menu.EDITABLE if k in self.values]
        self.params = first + [k for k in keys if k not in first]

    def items(self):
        out = []
        for k in self.params:
            label = self.lcd.t(menu.PARAM_LABELS[k]) if k in menu.PARAM_LABELS else k
            out.append(label + ("*" if k in menu.EDITABLE else ""))
        return out

    def open_item(self, i):
        self.lcd.push(ParamView(self.lcd, self.params[i], self.values[self.params[i]]))


# ------------------------------------------------------------------ pages

class PagedView(View):
    """Pages of lines; a title line with the page number; up/down scroll."""

    def pages(self):
        return [(self.title(), [])]

    def body(self):
        pages = self.pages()
        self.page %= len(pages)
        name, lines = pages[self.page]
        head = pad(name, "%d/%d" % (self.page + 1, len(pages))) if len(pages) > 1 else name
        self.scroll = max(0, min(self.scroll, len(lines) - BODY))
        return [(fit(head), False)] + [(fit(s), False) for s in
                                       lines[self.scroll:self.scroll + BODY]]

    def act_up(self):
        self.scroll = max(0, self.scroll - 1)

    def act_down(self):
        self.scroll += 1

    def act_page_next(self):
        self.page += 1
        self.scroll = 0

    def act_page_prev(self):
        self.page -= 1
        self.scroll = 0


def latest(values):
    """{q: record} of the newest record of each quantity (records oldest first)."""
    out = {}
    for v in values:
        out[v["q"]] = v
    return out


def at_last_ts(values):
    """(ts, records) of the newest boundary in ``values``."""
    if not values:
        return None, []
    ts = values[-1]["ts"]
    return ts, [v for v in values if v["ts"] == ts]


class MeterView(PagedView):
    kind = "meter"
    live = True
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

    def value_line(self, rec):
        label = self.lcd.t(menu.QUANTITIES.get(rec["q"], (rec["q"], rec["q"])))
        v = rec.get("value")
        if rec["q"] in ("valve.state", "relay.state") and v in menu.STATES:
            shown = self.lcd.t(menu.STATES[v])
        else:
            shown = number(v) + (rec.get("unit") or "")
        return pad(label, shown)

    def pages(self):
        order = list(menu.QUANTITIES)
        ranked = sorted(self.now.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else len(order), kv[0]))
        cur = [self.value_line(r) for q, r in ranked if q not in self.STATE_QS]
        if not cur:
            cur.append(self.t("none"))
        frz = []
        for key, (ts, recs) in (("daily", self.daily), ("monthly", self.monthly)):
            frz.append(pad(self.t(key), short_ts(ts) if ts else self.t("none")))
            frz.extend(self.value_line(r) for r in recs if r["q"] not in self.STATE_QS)
        state = [self.value_line(self.now[q]) for q in self.STATE_QS if q in self.now]
        read = max((r["ts"] for r in self.now.values()), default=None)
        state += [self.t("read_at"), " " + (short_ts(read) if read else self.t("none"))]
        ident = "%s %s" % (self.meter.get("id", ""), self.meter.get("address", ""))
        if cols(ident) > COLS:
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
                cells.append(BLOCKS[lv - 1] * 2 if lv else "  ")
            rows.append(" ".join(cells))
        rows.append(" ".join(ts[8:10] if isinstance(ts, str) else "--" for ts, _ in days))
        unit = (self.chart[-1].get("unit") or "") if self.chart else ""
        rows.append(pad("max", number(top) + unit))
        return rows


class PortsView(PagedView):
    kind = "ports"
    live = True
    diag = None

    def load(self):
        self.diag = self.fetch("diag") or {}

    def pages(self):
        ports = self.diag.get("ports", {}) if self.diag else {}
        out = []
        for name in sorted(ports):
            p = ports[name]
            rate = p.get("success_rate")
            lines = [pad(self.t("success"), "--" if rate is None else "%.1f%%" % (rate * 100)),
                     pad(self.t("requests"), str(p.get("requests", 0))),
                     pad(self.t("timeouts"), str(p.get("timeouts", 0))),
                     pad(self.t("queue"), str(p.get("queue", 0))),
                     pad(self.t("meters"), str(p.get("meters", 0))),
                     pad(self.t("last_ok"), short_ts(p.get("last_ok")))]
            err = p.get("last_error")
            lines.append(self.t("last_error"))
            lines.extend(" " + s for s in wrap(str(err) if err else "--", COLS - 1))
            out.append((self.t("port") + " " + name, lines))
        health = (self.diag or {}).get("health", {})
        summary = [pad(self.t("meters"), str((self.diag or {}).get("meters", 0))),
                   pad(self.t("alarms"), str(health.get("active", 0)))]
        for cond, n in sorted(health.get("by_condition", {}).items()):
            label = self.lcd.t(menu.TEXT[cond]) if cond in menu.TEXT else cond
            summary.append(pad(" " + label, str(n)))
        return [(self.title(), summary)] + out


class EventView(PagedView):
    kind = "event"

    def __init__(self, lcd, event):
        super().__init__(lcd)
        self.event = event

    def pages(self):
        e = self.event
        label = self.lcd.t(menu.EVENTS.get(e.get("type"), (e.get("type"), e.get("type"))))
        lines = [str(e.get("ts", "--"))[:19].replace("T", " "),
                 pad(self.t("severity"), self.lcd.t(menu.SEVERITY.get(
                     e.get("severity"), (e.get("severity"), e.get("severity")))) or "--")]
        if e.get("meter"):
            lines.append(pad(self.t("meter"), str(e["meter"])))
        detail = e.get("detail") or {}
        if isinstance(detail, dict):
            for k in sorted(detail):
                lines.extend(wrap("%s: %s" % (k, detail[k])))
        elif detail:
            lines.extend(wrap(str(detail)))
        return [(label or "", lines)]


class ParamView(PagedView):
    kind = "param"

    def __init__(self, lcd, key, value):
        super().__init__(lcd)
        self.key = key
        self.value = value

    def load(self):
        r = self.fetch("params.get", {"keys": [self.key]})
        if r:
            self.value = r.get("params", {}).get(self.key, self.value)

    def pages(self):
        label = self.lcd.t(menu.PARAM_LABELS[self.key]) if self.key in menu.PARAM_LABELS \
            else self.key
        lines = wrap(self.key) if label != self.key else []
        lines.append(self.t("value"))
        lines.extend(" " + s for s in wrap(shown_value(self.value), COLS - 1))
        lines.append(self.t("editable") if self.key in menu.EDITABLE else self.t("readonly"))
        return [(label, lines)]

    def act_open(self):
        kind = menu.EDITABLE.get(self.key)
        if kind is None:
            return
        self.lcd.with_password(lambda: EditView(self.lcd, self.key, kind, self.value))


def shown_value(v):
    if v is None:
        return "--"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(str(x) for x in v) or "[]"
    return str(v)


class TerminalView(PagedView):
    kind = "terminal"
    live = True
    status = None

    def load(self):
        self.status = self.fetch("status") or {}

    def pages(self):
        s = self.status or {}
        store = s.get("store", {})
        used, budget = store.get("bytes"), store.get("budget")
        use = "--"
        if isinstance(used, int) and isinstance(budget, int) and budget:
            use = "%dK %d%%" % (used // 1024, used * 100 // budget)
        clock = s.get("clock", {})
        return [(self.title(), [
            pad(self.t("terminal_id"), str(s.get("cid", "--"))),
            pad(self.t("firmware"), str(s.get("fw", "--"))),
            pad(self.t("store"), use),
            pad(self.t("meters"), str(s.get("meters", {}).get("total", "--"))),
            self.t("clock"),
            " " + str(clock.get("time") or s.get("ts") or "--")[:19].replace("T", " "),
        ])]


class ClockView(PagedView):
    kind = "clock"
    live = True
    info = None

    def load(self):
        self.info = self.fetch("time.get") or {}

    def pages(self):
        i = self.info or {}
        last = i.get("last_correction") or {}
        ts = str(i.get("ts") or "--")
        return [(self.title(), [
            ts[:10], ts[11:19],
            pad("UTC", "%+d min" % i["tz_offset_min"] if "tz_offset_min" in i else "--"),
            pad(self.t("drift"), number(i.get("drift_ppm"))),
            self.t("last_sync"),
            " " + (short_ts(last.get("ts")) + " %ss" % last.get("correction_s")
                   if last else "--")])]


# ------------------------------------------------------------------ entry

class EntryView(View):
    """A field typed with the arrow keys: up/down change the character under
    the cursor, left/right move it; OK submits."""

    charset = menu.CHARSETS["text"]
    secret = False

    def __init__(self, lcd, value, charset, entry=None, fixed=None):
        super().__init__(lcd, entry)
        self.value = list(value)
        self.charset = charset
        self.fixed = fixed          # a fixed number of characters, or None
        self.cursor = 0

    def prompt(self):
        return self.title()

    def field(self):
        shown = []
        for i, ch in enumerate(self.value):
            shown.append("*" if self.secret and i != self.cursor else ch)
        s = "".join(shown)
        if self.fixed is None and self.cursor == len(self.value):
            s += "_"
        return s

    def extra(self):
        return []

    def body(self):
        out = [(fit(self.prompt()), False)]
        f = self.field()
        start = max(0, self.cursor - (COLS - 2))
        out.append((fit(f[start:]), False))
        out.append((" " * (self.cursor - start) + "^", False))
        out.append((self.t("keys_entry"), False))
        return out + [(s, False) for s in self.extra()]

    def _step(self, d):
        cs = self.charset
        if self.cursor == len(self.value):
            self.value.append(cs[0] if d > 0 else cs[-1])
            return
        ch = self.value[self.cursor]
        i = cs.find(ch)
        self.value[self.cursor] = cs[(i + d) % len(cs)] if i >= 0 else cs[0]

    def act_char_next(self):
        self._step(1)

    def act_char_prev(self):
        self._step(-1)

    def act_cursor_left(self):
        self.cursor = max(0, self.cursor - 1)

    def act_cursor_right(self):
        limit = len(self.value) - 1 if self.fixed else len(self.value)
        if self.fixed is None and self.cursor == len(self.value):
            return
        self.cursor = min(limit, self.cursor + 1)

    def text(self):
        return "".join(self.value).strip()


class AddressView(EntryView):
    kind = "address"

    def __init__(self, lcd, entry):
        super().__init__(lcd, "0" * menu.ADDRESS_DIGITS, menu.CHARSETS["address"], entry,
                         fixed=menu.ADDRESS_DIGITS)
        self.meters = []

    def prompt(self):
        return self.t("enter_address")

    def load(self):
        self.meters = (self.fetch("meters.list") or {}).get("meters", [])

    def act_submit(self):
        typed = self.text()
        for m in self.meters:
            a = str(m.get("address", ""))
            if a == typed or (a.isdigit() and int(a) == int(typed)):
                self.lcd.push(MeterView(self.lcd, m))
                return
        self.lcd.push(MessageView(self.lcd, self.t("enter_address"),
                                  [self.t("not_found"), typed]))


class PasswordView(EntryView):
    kind = "password"
    secret = True

    def __init__(self, lcd, then):
        super().__init__(lcd, "0" * menu.PASSWORD_DIGITS, menu.CHARSETS["password"],
                         fixed=menu.PASSWORD_DIGITS)
        self.then = then

    def prompt(self):
        return self.t("password")

    def act_submit(self):
        user = self.lcd.login(self.text())
        if user is None:
            self.lcd.replace(MessageView(self.lcd, self.t("password"),
                                         [self.t("bad_password")]))
        else:
            self.lcd.replace(self.then())


class EditView(EntryView):
    kind = "edit"

    def __init__(self, lcd, key, vtype, value):
        super().__init__(lcd, shown_value(value) if value not in (None, "") else "",
                         menu.CHARSETS[vtype])
        self.key = key
        self.vtype = vtype

    def prompt(self):
        return self.lcd.t(menu.PARAM_LABELS[self.key]) if self.key in menu.PARAM_LABELS \
            else self.key

    def extra(self):
        return wrap(self.key)

    def act_submit(self):
        text = self.text()
        value = text
        if self.vtype == "int":
            try:
                value = int(text)
            except ValueError:
                value = text         # params.set says what is wrong with it
        r = self.fetch("params.set", {self.key: value})
        if r is None:
            code, message = self.error
            self.error = None
            lines = [self.t("refused") + " " + str(code)] + wrap(message)
        elif r.get("changed"):
            ch = r["changed"].get(self.key, {})
            lines = [self.t("changed"), shown_value(ch.get("old")) + " \u2192 " +
                     shown_value(ch.get("new"))]
        else:
            lines = [self.t("unchanged")]
        self.lcd.replace(MessageView(self.lcd, self.prompt(), lines))

    def lines(self):
        return self.body()


class ConfirmView(View):
    kind = "confirm"

    def body(self):
        ask = "confirm_restart" if self.entry.args.get("what") == "restart" else "confirm_reset"
        return [(fit(self.title()), False), ("", False)] + \
            [(s, False) for s in wrap(self.t(ask))] + [("", False)] + \
            [(s, False) for s in wrap(self.t("ok_cancel"))]

    def act_submit(self):
        r = self.fetch(self.entry.op, dict(self.entry.args))
        if r is None:
            code, message = self.error
            self.error = None
            lines = [self.t("refused") + " " + str(code)] + wrap(message)
        elif r.get("restarting"):
            lines = [self.t("restarting")]
        else:
            lines = [self.t("done")] + ["%s: %s" % (k, v) for k, v in
                                        sorted((r.get("deleted") or {}).items())]
        self.lcd.replace(MessageView(self.lcd, self.title(), lines))


class MessageView(View):
    kind = "message"

    def __init__(self, lcd, title, lines):
        super().__init__(lcd)
        self._title = title
        self._lines = lines

    def title(self):
        return self._title

    def body(self):
        out = [(fit(self._title), False)]
        for s in self._lines:
            out.extend((w, False) for w in wrap(s))
        return out[:ROWS]


class HomeView(View):
    kind = "home"
    live = True
    status = None
    read_today = None

    def load(self):
        self.status = self.lcd.status(refresh=True)
        now, off = self.lcd.now(), self.lcd.offset()
        day = midnight(now, off)
        r = self.fetch("data", {"kind": "daily", "from": iso(day, off),
                                "to": iso(day + 3600, off)})
        self.read_today = None if r is None else len(set(v["meter"] for v in r["values"]))
        self.error = None       # the home screen shows what it has

    def body(self):
        s = self.status or {}
        t = self.lcd.local()
        wd = self.lcd.t(menu.WEEKDAYS[t.tm_wday])
        date = "%04d-%02d-%02d %s" % (t.tm_year, t.tm_mon, t.tm_mday,
                                      ("星期" + wd) if self.lcd.lang == "zh" else wd)
        total = s.get("meters", {}).get("total")
        up = (s.get("uplink") or {}).get("up")
        lines = [date, "%02d:%02d:%02d" % (t.tm_hour, t.tm_min, t.tm_sec),
                 pad(self.t("address"), str(s.get("cid", "--"))),
                 pad(self.t("read_today"), "%s/%s" % (
                     "--" if self.read_today is None else self.read_today,
                     "--" if total is None else total)),
                 pad(self.t("alarms"), str(self.lcd.alarm_count(s))),
                 pad(self.t("uplink"), self.t("online") if up else self.t("offline")),
                 "", "", self.t("ok_menu")]
        return [(fit(x), False) for x in lines]

    def act_open(self):
        self.lcd.enter(self.entry.children[0])


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
        lines += [mv.value_line(r) for q, r in sorted(self.now.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else len(order), kv[0]))]
        return [(fit(x), False) for x in lines[:ROWS]]


VIEWS = {"home": HomeView, "menu": MenuView, "meter_list": MeterListView,
         "address": AddressView, "ports": PortsView, "events": EventsView,
         "params": ParamsView, "terminal": TerminalView, "clock": ClockView,
         "confirm": ConfirmView}
