"""Screens that take input on the arrow keys: a meter address, a password,
a parameter's new value; and the second confirmation of a reset."""

from gateway.lcd import menu
from gateway.lcd.screens_meter import MeterView
from gateway.lcd.screens_base import MessageView, View, fit, shown_value
from gateway.lcd.textfmt import COLS, wrap


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
        """The typed value; a blank (the last character of a text charset) is no character."""
        return "".join(ch for ch in self.value if ch != " ")


class AddressView(EntryView):
    kind = "address"

    def __init__(self, lcd, entry):
        super().__init__(lcd, "0" * menu.ADDRESS_DIGITS, menu.CHARSETS["address"], entry,
                         fixed=menu.ADDRESS_DIGITS)
        self.meters = []

    def prompt(self):
        return self.t("enter_address")

    def load(self):
        self.meters = (self.fetch(self.op("meters.list")) or {}).get("meters", [])

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
            if self.key in (r.get("restart_needed") or ()):
                lines.append(self.t("restart_needed"))
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
