"""The LCD: screens, keys, status bar, idle handling, and the picture.

``Lcd(call, clock, authenticate)`` is all it needs:

* ``call(op, args, meta) -> result`` -- the operations of the console and
  MQTT; a refusal raises an exception with ``.code`` and ``.message``.
  ``meta`` is ``{"source": "lcd", "user": <operator or None>}``.
* ``clock`` -- ``.time()`` (epoch seconds) and ``.tz_offset`` (seconds).
* ``authenticate(password) -> user name or None``.

``press(key)`` handles a key (``gateway.lcd.keys``), ``tick()`` the idle
timers; after each, ``framebuffer``, ``text_lines()``, ``png()`` and
``braille()`` show the screen, and an optional ``display`` (``show(buf)``,
``backlight(on)``) gets it.
"""

from gateway.lcd import menu, render
from gateway.lcd.face import STATUS_H
from gateway.lcd.font import default_font
from gateway.lcd.framebuf import FrameBuffer
from gateway.lcd.keys import CANCEL, OK, key_name
from gateway.lcd.screens import VIEWS, HomeView
from gateway.lcd.screens_entry import PasswordView
from gateway.lcd.screens_meter import RollingView
from gateway.lcd.textfmt import COLS, cols, fit, local, unhair

SIGNAL = "\u2582\u2584\u2586\u2588"


class Lcd:
    def __init__(self, call, clock, authenticate=None, lang="zh", idle_s=60, backlight_s=120,
                 rolling_s=180, roll_s=5, refresh_s=5, display=None, font=None):
        if lang not in ("zh", "en"):
            raise ValueError("lang must be zh or en, got %r" % (lang,))
        if not 0 < idle_s <= backlight_s <= rolling_s:
            raise ValueError("the idle times must grow: 0 < idle_s (%s) <= backlight_s (%s) "
                             "<= rolling_s (%s)" % (idle_s, backlight_s, rolling_s))
        self._call = call
        self.clock = clock
        self.authenticate = authenticate
        self.lang = lang
        self.idle_s, self.backlight_s, self.rolling_s = idle_s, backlight_s, rolling_s
        self.roll_s = roll_s
        self.refresh_s = refresh_s
        self.display = display
        self.font = font or default_font()
        self.framebuffer = FrameBuffer()
        self.user = None
        self.backlight = True
        self._status = None
        self._status_at = None
        self._lines = []
        self.inverted = []
        self.last_key = clock.time()
        self._loaded_at = self.last_key
        self.stack = []
        self.home()
        self.render()

    # ------------------------------------------------------------ services
    def t(self, pair):
        return pair[0] if self.lang == "zh" else pair[1]

    def meta(self):
        return {"source": "lcd", "user": self.user}

    def call_op(self, op, args):
        return self._call(op, args, self.meta())

    def now(self):
        return self.clock.time()

    def offset(self):
        return int(getattr(self.clock, "tz_offset", 0))

    def local(self):
        return local(self.now(), self.offset())

    def status(self, refresh=False):
        """The ``status`` op's result, fetched at most every ``refresh_s``."""
        now = self.now()
        if refresh or self._status_at is None or now - self._status_at >= self.refresh_s:
            try:
                self._status = self.call_op("status", {})
            except Exception:                # the bar shows what it knows
                self._status = None
            self._status_at = now
        return self._status

    @staticmethod
    def alarm_count(s):
        """Active alarms: diag's health count where given, else meters offline."""
        if not s:
            return 0
        if isinstance(s.get("health"), dict):
            return int(s["health"].get("active", 0))
        return int((s.get("meters") or {}).get("offline", 0))

    def login(self, password):
        user = self.authenticate(password) if self.authenticate else None
        if user:
            self.user = user
        return user or None

    # ---------------------------------------------------------- navigation
    @property
    def view(self):
        return self.stack[-1]

    def home(self):
        self.user = None
        self.stack = [HomeView(self, menu.MENU)]
        self.view.load()
        self._loaded_at = self.now()

    def push(self, view):
        self.stack.append(view)
        view.load()
        self._loaded_at = self.now()

    def replace(self, view):
        self.stack.pop()
        self.push(view)

    def back(self):
        if len(self.stack) > 1:
            self.stack.pop()
            self.view.reload()
            self._loaded_at = self.now()

    def enter(self, entry):
        """Open a menu entry (after a password where it asks for one)."""
        view_class = VIEWS[entry.screen]
        if entry.password:
            self.with_password(lambda: view_class(self, entry))
        else:
            self.push(view_class(self, entry))

    def with_password(self, make_view):
        """Push ``make_view()``, after the password screen unless someone is logged in."""
        if self.user:
            self.push(make_view())
        else:
            self.push(PasswordView(self, make_view))

    # ---------------------------------------------------------------- keys
    def press(self, key, repeat=False):
        """Handle one key (a name of gateway.lcd.keys, Esc/Enter as aliases);
        ``repeat``: the key is held (OK and CANCEL do not repeat)."""
        key = key_name(key)
        if repeat and key in (OK, CANCEL):
            return
        self.last_key = self.now()
        woke = False
        if not self.backlight:
            self._set_backlight(True)
            woke = True
        if isinstance(self.view, RollingView):
            self.home()
            woke = True
        if not woke:
            action = menu.KEYMAP[self.view.kind].get(key)
            if action == "back":
                self.back()
            elif action:
                getattr(self.view, "act_" + action)()
        self.render()

    # ---------------------------------------------------------------- idle
    def tick(self):
        """Idle handling on the clock: home after ``idle_s`` without a key,
        backlight off after ``backlight_s``, rolling display after
        ``rolling_s``; live screens reload every ``refresh_s``."""
        now = self.now()
        idle = now - self.last_key
        if idle >= self.rolling_s:
            if not isinstance(self.view, RollingView):
                self.stack = [RollingView(self)]
                self.view.load()
            self.view.show(int((idle - self.rolling_s) // self.roll_s))
        elif idle >= self.idle_s and (len(self.stack) > 1 or self.user):
            self.home()
        if idle >= self.backlight_s and self.backlight:
            self._set_backlight(False)
        if self.view.live and now - self._loaded_at >= self.refresh_s:
            self.view.reload()
            self._loaded_at = now
        self.render()

    def _set_backlight(self, on):
        self.backlight = on
        if self.display is not None:
            self.display.backlight(on)

    # ------------------------------------------------------------- picture
    def status_bar(self):
        s = self.status() or {}
        up = s.get("uplink") or {}
        sig = up.get("signal")
        # what the status op lacks is shown as "--", never as an empty signal
        bars = SIGNAL[:max(0, min(4, int(sig)))].ljust(4, "_") \
            if isinstance(sig, int) and not isinstance(sig, bool) else "--"
        chan = up.get("channel")
        chan = self.t(menu.TEXT[chan]) if chan in ("ethernet", "cellular") else \
            self.t(menu.TEXT["no_channel"])
        t = self.local()
        left = ("\u2191" if up.get("up") else "x") + bars + " " + chan
        right = ("!" if self.alarm_count(s) else " ") + " %02d:%02d" % (t.tm_hour, t.tm_min)
        return left + " " * max(1, COLS - cols(left, self.font) - cols(right, self.font)) + right

    def render(self):
        face = self.view.face
        body = list(self.view.lines())[:face.rows]
        body += [("", False)] * (face.rows - len(body))
        fb = self.framebuffer
        fb.fill(0)
        self._lines = []
        self.inverted = []
        # (y, height, font, columns) of each line: the status bar in the 16 px
        # face, the screen's lines in its face
        self.layout = [(0, STATUS_H, self.font, COLS)] + [
            (STATUS_H + i * face.line_h, face.line_h, face.font, face.cols)
            for i in range(face.rows)]
        for (y, h, font, n), (text, inverted) in zip(
                self.layout, [(self.status_bar(), True)] + body):
            text = fit(text, n, font)
            fb.text(text, 0, y, 1, font)
            if inverted:
                fb.invert(0, y, fb.width, h)
            self._lines.append(text)
            self.inverted.append(bool(inverted))
        if self.display is not None:
            self.display.show(fb.buf)

    def text_lines(self):
        """What the screen says: its lines (status bar first; 10, or 13 on a
        screen in the 12 px face), right-trimmed."""
        return [unhair(s).rstrip() for s in self._lines]

    def drawn_lines(self):
        """The lines exactly as drawn (with the 12 px face's hair spaces), and
        ``layout``: where each is."""
        return list(self._lines)

    def png(self, scale=1):
        return render.png(self.framebuffer, scale)

    def braille(self):
        return render.braille(self.framebuffer)

    def raw(self):
        return render.raw(self.framebuffer)
