"""The faces the screens write in: the 16 px face (Unifont, 9 lines of 20
columns under the status bar, the default) and the 12 px face (WenQuanYi, 12
lines of 26 columns) for the screens that need density.  The status bar is
always in the 16 px face, so a 12 px screen has exactly 16 + 12 x 12 = 160
rows."""

from gateway.lcd.font import default_font, small_font
from gateway.lcd.textfmt import fit, pad, wrap

STATUS_H = 16


class Face:
    __slots__ = ("name", "_font", "line_h", "rows", "cols")

    def __init__(self, name, font, line_h, rows, cols):
        self.name = name
        self._font = font
        self.line_h = line_h
        self.rows = rows            # lines under the status bar
        self.cols = cols            # narrow columns a line

    @property
    def font(self):
        return self._font()

    def fit(self, s, n=None):
        return fit(s, self.cols if n is None else n, self.font)

    def pad(self, left, right="", n=None):
        return pad(left, right, self.cols if n is None else n, self.font)

    def wrap(self, s, n=None):
        return wrap(s, self.cols if n is None else n, self.font)


FACE16 = Face("16", default_font, 16, 9, 20)
FACE12 = Face("12", small_font, 12, 12, 26)
