"""A 1-bit framebuffer in the layout display controllers take (MicroPython's
``framebuf.MONO_HLSB``): rows top down, each row ``ceil(width / 8)`` bytes,
the most significant bit the leftmost pixel; 1 is a dark (set) pixel.

160 x 160 pixels are 3,200 bytes.  The drawing API follows MicroPython's
``framebuf``: fill, pixel, hline, vline, rect, fill_rect, text, blit, invert.
Integer maths only.  Rows are handled as Python integers (one shift and mask
per row instead of a loop per pixel), so a full screen of text takes a few
milliseconds.
"""

WIDTH = 160
HEIGHT = 160


class FrameBuffer:
    __slots__ = ("width", "height", "stride", "buf", "_full")

    def __init__(self, width=WIDTH, height=HEIGHT, buf=None):
        self.width = width
        self.height = height
        self.stride = (width + 7) // 8
        size = self.stride * height
        if buf is None:
            buf = bytearray(size)
        elif len(buf) != size:
            raise ValueError("a %dx%d framebuffer needs %d bytes, got %d"
                             % (width, height, size, len(buf)))
        self.buf = buf
        self._full = (1 << (self.stride * 8)) - 1

    # ----------------------------------------------------------- rows as ints
    def _row(self, y):
        s = y * self.stride
        return int.from_bytes(self.buf[s:s + self.stride], "big")

    def _put_row(self, y, value):
        s = y * self.stride
        self.buf[s:s + self.stride] = value.to_bytes(self.stride, "big")

    def _mask(self, x, w):
        """Row bits of pixels x .. x+w-1, clipped to the width."""
        x0 = max(x, 0)
        x1 = min(x + w, self.width)
        if x1 <= x0:
            return 0
        bits = self.stride * 8
        return ((1 << (x1 - x0)) - 1) << (bits - x1)

    def _place(self, bits, w, x):
        """Row bits of a ``w``-pixel pattern (MSB leftmost) put at column x."""
        shift = self.stride * 8 - x - w
        v = bits << shift if shift >= 0 else bits >> -shift
        return v & self._mask(0, self.width)

    # ---------------------------------------------------------------- drawing
    def fill(self, c):
        b = 0xFF if c else 0
        self.buf[:] = bytes((b,)) * len(self.buf)
        if c and self.width % 8:      # keep the padding bits clear
            m = self._mask(0, self.width)
            for y in range(self.height):
                self._put_row(y, m)

    def pixel(self, x, y, c=None):
        """The pixel at (x, y) (0 or 1; 0 outside), or set it when ``c`` is given."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None if c is not None else 0
        i = y * self.stride + (x >> 3)
        bit = 0x80 >> (x & 7)
        if c is None:
            return 1 if self.buf[i] & bit else 0
        if c:
            self.buf[i] |= bit
        else:
            self.buf[i] &= ~bit & 0xFF
        return None

    def hline(self, x, y, w, c):
        self.fill_rect(x, y, w, 1, c)

    def vline(self, x, y, h, c):
        self.fill_rect(x, y, 1, h, c)

    def rect(self, x, y, w, h, c, f=False):
        if f:
            self.fill_rect(x, y, w, h, c)
            return
        if w <= 0 or h <= 0:
            return
        self.fill_rect(x, y, w, 1, c)
        self.fill_rect(x, y + h - 1, w, 1, c)
        self.fill_rect(x, y, 1, h, c)
        self.fill_rect(x + w - 1, y, 1, h, c)

    def fill_rect(self, x, y, w, h, c):
        m = self._mask(x, w)
        if not m:
            return
        for yy in range(max(y, 0), min(y + h, self.height)):
            r = self._row(yy)
            self._put_row(yy, r | m if c else r & ~m)

    def invert(self, x=0, y=0, w=None, h=None):
        """Invert the whole buffer, or the region (x, y, w, h)."""
        w = self.width - x if w is None else w
        h = self.height - y if h is None else h
        m = self._mask(x, w)
        if not m:
            return
        for yy in range(max(y, 0), min(y + h, self.height)):
            self._put_row(yy, self._row(yy) ^ m)

    def blit(self, src, x, y, key=-1):
        """Copy ``src`` (a FrameBuffer) with its top left at (x, y); pixels of
        colour ``key`` (0 or 1) are transparent."""
        for sy in range(src.height):
            yy = y + sy
            if not 0 <= yy < self.height:
                continue
            bits = src._row(sy) >> (src.stride * 8 - src.width)
            placed = self._place(bits, src.width, x)
            area = self._mask(x, src.width)
            r = self._row(yy)
            if key == 0:
                r |= placed
            elif key == 1:
                r &= ~(area & ~placed)
            else:
                r = (r & ~area) | placed
            self._put_row(yy, r)

    def glyph(self, rows, w, x, y, c=1):
        """Draw a glyph: ``rows`` are its rows as ints (MSB leftmost, ``w`` bits)."""
        for i, bits in enumerate(rows):
            yy = y + i
            if bits and 0 <= yy < self.height:
                placed = self._place(bits, w, x)
                if placed:
                    r = self._row(yy)
                    self._put_row(yy, r | placed if c else r & ~placed)

    def text(self, s, x, y, c=1, font=None):
        """Draw ``s`` with ``font`` (default: the 16 px font); set pixels in colour
        ``c``, the background untouched.  Returns the x after the last glyph."""
        if font is None:
            from gateway.lcd.font import default_font
            font = default_font()
        for ch in s:
            rows, w = font.glyph(ch)
            if x >= self.width:
                x += w
                continue
            self.glyph(rows, w, x, y, c)
            x += w
        return x
