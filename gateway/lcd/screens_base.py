"""The screens' common parts: a screen (``View``), lists, pages, messages.

A screen fetches its data through the LCD's one ``call`` (``load``), says
what it shows as lines of text (``lines``: the lines under the status bar,
each ``(text, inverted)``: 9 of 20 columns in the 16 px face, 12 of 26 in the
12 px face a dense screen sets as its ``face``) and has the actions its keymap names (``act_*``).
The LCD draws exactly those lines, so the text renderer tells what the
pixels show.
"""

from gateway.lcd import menu
from gateway.lcd.face import FACE16
from gateway.lcd.textfmt import fit  # noqa: F401  (screens_entry takes it from here)

ROWS = FACE16.rows    # lines under the status bar in the 16 px face


class View:
    kind = None
    live = False            # reloaded every refresh period
    face = FACE16           # FACE12 where the screen needs density

    def __init__(self, lcd, entry=None):
        self.lcd = lcd
        self.entry = entry
        self.error = None
        self.sel = 0
        self.scroll = 0
        self.page = 0

    def t(self, key):
        return self.lcd.t(menu.TEXT[key])

    # text in this screen's face
    def fit(self, s, n=None):
        return self.face.fit(s, n)

    def pad(self, left, right="", n=None):
        return self.face.pad(left, right, n)

    def wrap(self, s, n=None):
        return self.face.wrap(s, n)

    @property
    def body_rows(self):
        """Lines under a screen's title line."""
        return self.face.rows - 1

    def title(self):
        return self.lcd.t(self.entry.label) if self.entry else ""

    def fetch(self, op, args=None):
        """``call(op, args)``, or None with ``self.error`` set on refusal."""
        try:
            return self.lcd.call_op(op, args or {})
        except Exception as err:          # shown on the screen, never raised
            self.error = (getattr(err, "code", "internal"), getattr(err, "message", str(err)))
            return None

    def op(self, default):
        """The operation that feeds this screen: its menu entry's, else ``default``."""
        return self.entry.op if self.entry is not None and self.entry.op else default

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
            [(s, False) for s in self.wrap(message)]

    def lines(self):
        if self.error:
            return [(self.fit(self.title()), False)] + self.error_lines()
        return self.body()

    # default actions
    def act_refresh(self):
        self.reload()


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
            head = self.pad(head, "%d/%d" % (self.sel + 1, n))
        out = [(self.fit(head), False)]
        if not n:
            return out + [(self.empty_text(), False)]
        if self.sel < self.scroll:
            self.scroll = self.sel
        if self.sel >= self.scroll + self.body_rows:
            self.scroll = self.sel - self.body_rows + 1
        for i in range(self.scroll, min(self.scroll + self.body_rows, n)):
            mark = ">" if i == self.sel else " "
            out.append((self.fit(mark + items[i]), i == self.sel))
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
        self._move(-self.body_rows)

    def act_page_down(self):
        self._move(self.body_rows)

    def act_open(self):
        if self.items():
            self.open_item(self.sel)

    def open_item(self, i):
        pass


class PagedView(View):
    """Pages of lines; a title line with the page number; up/down scroll."""

    def pages(self):
        return [(self.title(), [])]

    def body(self):
        pages = self.pages()
        self.page %= len(pages)
        name, lines = pages[self.page]
        head = self.pad(name, "%d/%d" % (self.page + 1, len(pages))) if len(pages) > 1 else name
        self.scroll = max(0, min(self.scroll, len(lines) - self.body_rows))
        return [(self.fit(head), False)] + [(self.fit(s), False) for s in
                                            lines[self.scroll:self.scroll + self.body_rows]]

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


def shown_value(v):
    if v is None:
        return "--"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(str(x) for x in v) or "[]"
    return str(v)


class MessageView(View):
    kind = "message"

    def __init__(self, lcd, title, lines):
        super().__init__(lcd)
        self._title = title
        self._lines = lines

    def title(self):
        return self._title

    def body(self):
        out = [(self.fit(self._title), False)]
        for s in self._lines:
            out.extend((w, False) for w in self.wrap(s))
        return out[:self.face.rows]
