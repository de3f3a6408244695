"""The screens: one class per screen kind of ``gateway.lcd.menu.KEYMAP``
(the common parts in ``screens_base``, meters in ``screens_meter``, input in
``screens_entry``); ``VIEWS``: the kinds a menu entry opens.

A screen fetches its data through the LCD's one ``call`` (``load``), says
what it shows as lines of text (``lines``: the lines under the status bar in
its face, each ``(text, inverted)``) and has the actions its keymap names (``act_*``).
The LCD draws exactly those lines, so the text renderer tells what the
pixels show.
"""

from gateway.lcd import menu
from gateway.lcd.face import FACE12
from gateway.lcd.screens_base import ListView, PagedView, View, shown_value
from gateway.lcd.screens_clock import ClockSetView
from gateway.lcd.screens_entry import AddressView, ConfirmView, EditView
from gateway.lcd.screens_meter import MeterView
from gateway.lcd.textfmt import (COLS, fit, iso, midnight, number, pad, parse_iso, short_ts,
                                  wrap)


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
        r = self.fetch(self.op("meters.list"))
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
    face = FACE12
    events = ()
    DAYS = 31
    KEEP = 200

    def load(self):
        now = self.lcd.now()
        off = self.lcd.offset()
        start, end = now - self.DAYS * 86400, now + 86400
        got = []
        for _ in range(50):      # events.query gives the oldest first, in pages
            r = self.fetch(self.op("events.query"), {"from": iso(start, off), "to": iso(end, off)})
            if r is None:
                return
            got.extend(r.get("events", []))
            got = got[-self.KEEP:]
            if not r.get("truncated") or not r.get("events"):
                break
            start_text = r["events"][-1]["ts"]
            nxt = parse_iso(start_text)
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
        r = self.fetch(self.op("params.get"))
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


class PortsView(PagedView):
    kind = "ports"
    live = True
    face = FACE12
    diag = None

    def load(self):
        self.diag = self.fetch(self.op("diag")) or {}

    def pages(self):
        ports = self.diag.get("ports", {}) if self.diag else {}
        out = []
        for name in sorted(ports):
            p = ports[name]
            rate = p.get("success_rate")
            shown = "--" if rate is None else "%.1f%%" % (rate * 100)
            lines = [self.pad(self.t("success"), shown),
                     self.pad(self.t("requests"), str(p.get("requests", 0))),
                     self.pad(self.t("timeouts"), str(p.get("timeouts", 0))),
                     self.pad(self.t("queue"), str(p.get("queue", 0))),
                     self.pad(self.t("meters"), str(p.get("meters", 0))),
                     self.pad(self.t("last_ok"), short_ts(p.get("last_ok")))]
            err = p.get("last_error")
            lines.append(self.t("last_error"))
            lines.extend(" " + s for s in self.wrap(str(err) if err else "--", self.face.cols - 1))
            out.append((self.t("port") + " " + name, lines))
        health = (self.diag or {}).get("health", {})
        summary = [self.pad(self.t("meters"), str((self.diag or {}).get("meters", 0))),
                   self.pad(self.t("alarms"), str(health.get("active", 0)))]
        for cond, n in sorted(health.get("by_condition", {}).items()):
            label = self.lcd.t(menu.TEXT[cond]) if cond in menu.TEXT else cond
            summary.append(self.pad(" " + label, str(n)))
        # the channel table: one line a port, its success rate and meters
        c = self.face.cols - 7
        summary.append(self.pad(self.pad(self.t("port"), self.t("success"), c), self.t("meters")))
        for name in sorted(ports):
            p = ports[name]
            rate = p.get("success_rate")
            shown = "--" if rate is None else "%.1f%%" % (rate * 100)
            summary.append(self.pad(self.pad(name, shown, c), str(p.get("meters", 0))))
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


class TerminalView(PagedView):
    kind = "terminal"
    live = True
    status = None

    def load(self):
        self.status = self.fetch(self.op("status")) or {}

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
        self.info = self.fetch(self.op("time.get")) or {}

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
                   if last else "--"),
            self.t("editable")])]

    def act_open(self):
        self.lcd.with_password(lambda: ClockSetView(self.lcd))


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


VIEWS = {"home": HomeView, "menu": MenuView, "meter_list": MeterListView,
         "address": AddressView, "ports": PortsView, "events": EventsView,
         "params": ParamsView, "terminal": TerminalView, "clock": ClockView,
         "confirm": ConfirmView}
