"""What the LCD shows, in other forms: a PNG (1-bit greyscale, standard
library only), the raw buffer, and the pixels in a terminal as Unicode
braille (two by four pixels a character cell: 160 x 160 pixels are 80 x 40
cells).  The text lines come from the screen model (``Lcd.text_lines``)."""

import struct
import zlib

_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _expand_table(scale):
    """byte -> its 8 bits each repeated ``scale`` times, as ``scale`` bytes."""
    table = []
    for b in range(256):
        v = 0
        for i in range(7, -1, -1):
            bit = (b >> i) & 1
            v = (v << scale) | (((1 << scale) - 1) if bit else 0)
        table.append(v.to_bytes(scale, "big"))
    return table


def png(fb, scale=1):
    """The framebuffer as PNG bytes: 1-bit greyscale, dark pixels black on
    white, each pixel ``scale`` x ``scale``."""
    if not isinstance(scale, int) or not 1 <= scale <= 16:
        raise ValueError("scale must be a whole number 1..16, got %r" % (scale,))
    w, h, stride = fb.width, fb.height, fb.stride
    table = _expand_table(scale) if scale > 1 else None
    rows = []
    inv = bytes(range(255, -1, -1))          # PNG greyscale: 0 is black
    for y in range(h):
        row = bytes(fb.buf[y * stride:(y + 1) * stride]).translate(inv)
        if table is not None:
            row = b"".join(table[b] for b in row)
        line = b"\x00" + row
        rows.extend([line] * scale)
    ihdr = struct.pack(">IIBBBBB", w * scale, h * scale, 1, 0, 0, 0, 0)
    return (_PNG_SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + _chunk(b"IEND", b""))


def raw(fb):
    """The 3,200 bytes a display driver takes (MONO_HLSB, 1 = dark)."""
    return bytes(fb.buf)


# braille dot bits for (dx, dy) in a 2 x 4 cell
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def braille(fb):
    """The pixels as lines of braille characters (U+2800..U+28FF)."""
    lines = []
    for cy in range(0, fb.height, 4):
        cells = []
        for cx in range(0, fb.width, 2):
            v = 0
            for dy in range(4):
                for dx in range(2):
                    if fb.pixel(cx + dx, cy + dy):
                        v |= _DOTS[dy][dx]
            cells.append(chr(0x2800 + v))
        lines.append("".join(cells))
    return lines
