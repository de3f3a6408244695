"""Setting the concentrator's clock on the keys: the local date and time as
14 digits (shown 2026-11-19 00:26:40), sent to ``time.set`` -- the same
operation as the console's ``concentrator time set`` and the master
station's -- which checks, applies and records it."""

import calendar

from gateway.lcd import menu
from gateway.lcd.screens_base import MessageView
from gateway.lcd.screens_entry import EntryView
from gateway.lcd.textfmt import fit, iso, wrap

DIGITS = 14
# display position of each digit in "YYYY-MM-DD hh:mm:ss"
_POS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)


class ClockSetView(EntryView):
    kind = "clock_set"

    def __init__(self, lcd):
        t = lcd.local()
        now = "%04d%02d%02d%02d%02d%02d" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour,
                                            t.tm_min, t.tm_sec)
        super().__init__(lcd, now, menu.CHARSETS["address"], fixed=DIGITS)

    def prompt(self):
        return self.t("set_clock")

    def shown(self):
        d = "".join(self.value)
        return "%s-%s-%s %s:%s:%s" % (d[0:4], d[4:6], d[6:8], d[8:10], d[10:12], d[12:14])

    def body(self):
        return [(fit(self.prompt()), False), (self.shown(), False),
                (" " * _POS[self.cursor] + "^", False), (self.t("keys_entry"), False),
                ("UTC%+d min" % (self.lcd.offset() // 60), False)]

    def epoch(self):
        """Epoch seconds of the typed local time, or None when it is no time."""
        d = "".join(self.value)
        y, mo, day, h, mi, s = (int(d[i:j]) for i, j in
                                ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14)))
        if not (1 <= mo <= 12 and 1 <= day <= calendar.monthrange(y or 1, mo)[1]
                and h < 24 and mi < 60 and s < 60):
            return None
        return calendar.timegm((y, mo, day, h, mi, s, 0, 0, 0)) - self.lcd.offset()

    def act_submit(self):
        ts = self.epoch()
        if ts is None:
            lines = [self.t("no_time"), self.shown()]
        else:
            r = self.fetch("time.set", {"ts": iso(ts, self.lcd.offset())})
            if r is None:
                code, message = self.error
                self.error = None
                lines = [self.t("refused") + " " + str(code)] + wrap(message)
            else:
                lines = [self.t("clock_done"), "%+.3f s" % r.get("correction_s", 0)]
        self.lcd.replace(MessageView(self.lcd, self.prompt(), lines))

    def lines(self):
        return self.body()
