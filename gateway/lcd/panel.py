"""The LCD in the agent: one ``Lcd`` shared by its key thread and the console.

``Panel(call, clock, settings, display)`` holds the ``Lcd`` behind a lock:
the key thread (``PanelThread``: key events of ``drivers.keys.KeyReader``
and ``tick()`` on the injected clock) and the console's ``lcd.keys`` and
``lcd.screen`` ops (``gateway.ops.lcd``) take turns.  ``call`` is the
console's ``Operations.call``: what the panel shows comes from the same ops
and counters as the console and MQTT (principle 7), with meta source "lcd".

``open_panel(settings, call, clock)`` opens the devices of an ``[lcd]``
section (``gateway.lcd.config``) and returns the running parts.
"""

import base64
import logging
import threading

from gateway.lcd.keys import key_name
from gateway.lcd.lcd import Lcd

log = logging.getLogger(__name__)


class Panel:
    def __init__(self, call, clock, settings=None, display=None, authenticate=None):
        """``authenticate(password) -> operator name or None``: an operator's
        password typed on the keys (gateway.auth); changes need one."""
        s = settings
        self.lock = threading.Lock()
        self.lcd = Lcd(call, clock, authenticate,
                       lang=s.lang if s else "zh",
                       idle_s=s.idle_s if s else 60, backlight_s=s.backlight_s if s else 120,
                       rolling_s=s.rolling_s if s else 180, roll_s=s.roll_s if s else 5,
                       display=display)

    def press(self, keys, lang=None, repeat=False):
        """Press ``keys`` (names of gateway.lcd.keys) in turn; the screen after."""
        names = [key_name(k) for k in keys]
        with self.lock:
            for k in names:
                self.lcd.press(k, repeat=repeat)
            return self._screen(lang)

    def tick(self):
        with self.lock:
            self.lcd.tick()

    def screen(self, lang=None):
        with self.lock:
            return self._screen(lang)

    def _screen(self, lang):
        lcd = self.lcd
        if lang and lang != lcd.lang:           # drawn aside: the panel keeps its language
            display, was = lcd.display, lcd.lang
            lcd.display, lcd.lang = None, lang
            try:
                lcd.render()
                return _shown(lcd)
            finally:
                lcd.lang = was
                lcd.render()
                lcd.display = display
        return _shown(lcd)


def _shown(lcd):
    fb = lcd.framebuffer
    return {"lang": lcd.lang, "lines": lcd.text_lines(), "inverted": list(lcd.inverted),
            "backlight": lcd.backlight, "width": fb.width, "height": fb.height,
            "raw": base64.b64encode(bytes(fb.buf)).decode("ascii")}


class PanelThread:
    """Key events to ``panel``, and its idle timers on the clock, until ``stop()``."""

    def __init__(self, panel, reader, display=None, poll_s=0.5):
        self.panel = panel
        self.reader = reader
        self.display = display
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="lcd", daemon=True)
        self._thread.start()

    def _run(self):
        from drivers.errors import DriverError
        while not self._stop.is_set():
            try:
                for ev in self.reader.read(self.poll_s):
                    if ev.pressed:
                        self.panel.press([ev.key], repeat=ev.repeat)
                self.panel.tick()
            except DriverError as err:          # the device went away: say so, keep trying
                log.error("lcd: %s", err)
                self._stop.wait(5)
            except Exception:                   # a bug in a screen must not stop the agent
                log.exception("lcd: a key or a tick failed")
                self._stop.wait(1)

    def stop(self):
        """The thread ends, the key device and the framebuffer are closed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.reader.close()
        if self.display is not None:
            self.display.close()


def open_panel(settings, call, clock, authenticate=None):
    """The Panel and its PanelThread (not started) for an ``[lcd]`` section;
    DriverError (drivers.display, drivers.keys) when a device cannot be used."""
    from drivers.display import FramebufferDisplay
    from drivers.keys import KeyReader
    s = settings
    display = FramebufferDisplay(s.display, width=s.width, height=s.height, bpp=s.bpp,
                                 backlight=s.backlight or None)
    try:
        reader = KeyReader(s.keys, keymap=dict((code, name) for name, code in s.keycodes.items()))
    except BaseException:
        display.close()
        raise
    try:
        panel = Panel(call, clock, s, display, authenticate=authenticate)
    except BaseException:
        reader.close()
        display.close()
        raise
    return panel, PanelThread(panel, reader, display)
