"""gateway.lcd.font: the converted Unifont file, lookups, missing glyphs."""

import os

from gateway.lcd import menu
from gateway.lcd.font import DEFAULT, Font, default_font
from gateway.lcd.framebuf import FrameBuffer


def test_file_is_compact_and_covers_gb2312():
    font = default_font()
    assert font.has("A")
    size = os.path.getsize(DEFAULT)
    gb = [bytes((hi, lo)).decode("gb2312") for hi in range(0xB0, 0xF8)
          for lo in range(0xA1, 0xFF) if not (hi == 0xD7 and lo > 0xF9)]
    assert len(gb) == 6763                     # the GB2312 hanzi
    assert all(font.has(ch) for ch in gb)
    assert all(font.has(chr(c)) for c in range(0x20, 0x7F))
    n = len(font._classes[0][0]) + len(font._classes[1][0])
    assert 18 <= size / n <= 34
    assert os.path.exists(DEFAULT.replace(".lcdf", ".LICENSE"))


def test_widths():
    font = default_font()
    assert font.glyph("中")[1] == 16 and font.glyph("a")[1] == 8
    assert font.width("中a") == 24 and font.columns("中a") == 3
    assert font.height == 16


def test_every_menu_text_has_its_glyphs():
    font = default_font()
    missing = sorted(set(ch for s in menu.all_labels() for ch in s if not font.has(ch)))
    assert missing == []


def test_missing_glyph_draws_a_box_and_never_raises():
    font = default_font()
    ch = "\U0001F600"                          # not in the font
    assert not font.has(ch)
    rows, w = font.glyph(ch)
    assert w == 16 and len(rows) == 16
    fb = FrameBuffer()
    fb.text(ch + "\u0e01", 0, 0)               # an emoji and a Thai letter: boxes
    dark = [(x, y) for y in range(16) for x in range(24) if fb.pixel(x, y)]
    assert dark
    assert all(fb.pixel(x, 2) for x in range(0, 15))      # the box's top edge
    assert fb.pixel(16, 2) and fb.pixel(22, 2)           # the narrow box next to it


def test_loaded_lazily_once(tmp_path):
    f = Font(DEFAULT)
    assert not f._loaded
    f.glyph("中")
    data = f._data
    f.glyph("国")
    assert f._data is data
