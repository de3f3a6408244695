"""The LCD's bitmap fonts (files made by ``scripts/make-lcd-font``).

Two faces: GNU Unifont 16 px (``unifont16.lcdf``: 8x16 and 16x16, the
default) and WenQuanYi Bitmap Song 12 px (``wqy12.lcdf``: 12x12 Chinese,
proportional ASCII of nominal width 6) for the screens that need density.
A font file is read once, when a glyph is first asked for (about 250 KB and
195 KB); a glyph is found by binary search on the sorted code point index of
its width class (version 1: a narrow and a wide class; version 2: one class
per width).  A character the font lacks draws a box of its nominal width
(wide for East Asian characters), never an error.
"""

import bisect
import os
import struct
import sys
import threading
import unicodedata
from array import array

from protocols.core.errors import ConcentratorError

FONT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fonts")
DEFAULT = os.path.join(FONT_DIR, "unifont16.lcdf")
SMALL = os.path.join(FONT_DIR, "wqy12.lcdf")


class FontError(ConcentratorError):
    pass


class Font:
    def __init__(self, path=DEFAULT):
        self.path = path
        self._lock = threading.Lock()
        self._loaded = False
        self._cache = {}

    def _load(self):
        with self._lock:
            if self._loaded:
                return
            try:
                with open(self.path, "rb") as f:
                    data = f.read()
            except OSError as err:
                raise FontError("cannot read the LCD font %s: %s" % (self.path, err)) from err
            if data[:4] != b"LCDF" or data[4:5] not in (b"\x01", b"\x02"):
                raise FontError("%s is not an LCD font file (version 1 or 2)" % self.path)
            try:
                if data[4] == 1:
                    h, nw, ww, n, w = struct.unpack_from("<BBBII", data, 5)
                    classes, pos = ((n, nw), (w, ww)), 16
                else:
                    h, nw, ww, k = struct.unpack_from("<BBBB", data, 5)
                    classes = [struct.unpack_from("<BI", data, 9 + 5 * i)[::-1]
                               for i in range(k)]
                    pos = 9 + 5 * k
            except struct.error as err:
                raise FontError("%s: truncated header" % self.path) from err
            self.height = h
            self._classes = []
            for count, width in classes:
                index = array("H")
                index.frombytes(data[pos:pos + 2 * count])
                if sys.byteorder != "little":
                    index.byteswap()
                pos += 2 * count
                size = h * ((width + 7) // 8)
                self._classes.append((index, width, pos, size))
                pos += count * size
            if pos != len(data):
                raise FontError("%s: %d bytes, expected %d" % (self.path, len(data), pos))
            self._data = data
            self.narrow = nw
            self.wide = ww
            self._loaded = True

    def _find(self, cp):
        for index, width, base, size in self._classes:
            i = bisect.bisect_left(index, cp)
            if i < len(index) and index[i] == cp:
                return width, base + i * size, size
        return None

    def has(self, ch):
        if not self._loaded:
            self._load()
        return self._find(ord(ch)) is not None

    def glyph(self, ch):
        """(rows as ints, width) of ``ch``; a box when the font lacks it."""
        g = self._cache.get(ch)
        if g is not None:
            return g
        if not self._loaded:
            self._load()
        found = self._find(ord(ch))
        if found is None:
            g = self._box(ch)
        else:
            width, off, size = found
            bpr = (width + 7) // 8
            pad = bpr * 8 - width
            raw = self._data[off:off + size]
            g = (tuple(int.from_bytes(raw[i:i + bpr], "big") >> pad
                       for i in range(0, size, bpr)), width)
        self._cache[ch] = g
        return g

    def _box(self, ch):
        w = self.wide if unicodedata.east_asian_width(ch) in ("W", "F") else self.narrow
        h = self.height
        edge = ((1 << (w - 1)) - 1) << 1    # columns 0 .. w-2 (MSB is column 0)
        side = (1 << (w - 1)) | 2           # columns 0 and w-2
        rows = [0, 0] + [edge] + [side] * (h - 6) + [edge] + [0, 0]
        return tuple(rows[:h]), w

    def width(self, s):
        """Width of ``s`` in pixels."""
        return sum(self.glyph(ch)[1] for ch in s)

    def columns(self, s):
        """Width of ``s`` in narrow columns (a wide character counts two)."""
        if not self._loaded:
            self._load()
        return self.width(s) // self.narrow


_default = None


_small = None


def default_font():
    global _default
    if _default is None:
        _default = Font()
    return _default


def small_font():
    """The 12 px face."""
    global _small
    if _small is None:
        _small = Font(SMALL)
    return _small
