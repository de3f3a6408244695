"""The console's view of the LCD: ``lcd.keys`` and ``lcd.screen`` (console only).

The panel is the agent's (``gateway.lcd.panel.Panel``, set as ``lcd``) when
``[lcd]`` is configured; otherwise, and in the offline console, a panel
without a screen is made on first use, over these same operations (through
``lcd_call`` where the caller filters them, as the offline console does).
``lcd.screen`` returns the text lines and the raw 1-bit buffer in base64
(MONO_HLSB, 1 = dark) for a PNG or the pixels in a terminal.
"""

import threading

from upstream.errors import CommandError

_MAKE = threading.Lock()
MAX_KEYS = 200


class LcdOps:
    lcd = None              # the Panel
    lcd_config = None       # gateway.lcd.config.LcdConfig for a panel made here
    lcd_call = None         # what that panel calls (default: self.call)

    def _panel(self):
        with _MAKE:
            if self.lcd is None:
                from gateway.lcd.panel import Panel
                self.lcd = Panel(self.lcd_call or self.call, self.clock, self.lcd_config,
                                 authenticate=self.auth.lcd_operator if self.auth else None)
            return self.lcd

    @staticmethod
    def _lang(args):
        lang = args.get("lang")
        if lang not in (None, "zh", "en"):
            raise CommandError("bad_request", "lang is %r: zh or en" % (lang,))
        return lang

    def op_lcd_keys(self, args, meta):
        from gateway.lcd.keys import key_name
        keys = args.get("keys")
        if not isinstance(keys, list) or not keys or len(keys) > MAX_KEYS:
            raise CommandError("bad_request", "keys is a list of 1-%d key names (UP, DOWN, "
                                              "LEFT, RIGHT, CANCEL, OK)" % MAX_KEYS)
        try:
            keys = [key_name(k) for k in keys]
        except ValueError as err:
            raise CommandError("bad_request", str(err))
        return self._panel().press(keys, self._lang(args))

    def op_lcd_screen(self, args, meta):
        return self._panel().screen(self._lang(args))
