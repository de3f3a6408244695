"""The LCD's menu and screens (issue 11): a 160x160 1-bit screen, six keys,
Chinese (default) or English.  ``Lcd`` is the entry point; the drivers for
the framebuffer device and the keys are ``drivers.display`` and
``drivers.keys``."""

from gateway.lcd.lcd import Lcd

__all__ = ["Lcd"]
