"""gateway.lcd.font: the converted Unifont and WenQuanYi files, lookups,
missing glyphs."""

import os

import pytest

from gateway.lcd import menu
from gateway.lcd.font import DEFAULT, SMALL, Font, FontError, default_font, small_font
from gateway.lcd.textfmt import pad, unhair
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


# ---------------------------------------------------------------- 12 px face

def test_small_file_is_compact_covers_gb2312_and_ships_its_licence():
    font = small_font()
    gb = [bytes((hi, lo)).decode("gb2312") for hi in range(0xB0, 0xF8)
          for lo in range(0xA1, 0xFF) if not (hi == 0xD7 and lo > 0xF9)]
    assert all(font.has(ch) for ch in gb)
    assert all(font.has(chr(c)) for c in range(0x20, 0x7F))
    n = sum(len(index) for index, _, _, _ in font._classes)
    assert n > 7000 and 18 <= os.path.getsize(SMALL) / n <= 32
    with open(SMALL.replace(".lcdf", ".LICENSE"), encoding="utf-8") as f:
        text = f.read()
    assert "WenQuanYi" in text and "font embedding exception" in text


def test_small_widths_12x12_chinese_proportional_ascii():
    font = small_font()
    assert font.height == 12 and font.narrow == 6 and font.wide == 12
    assert font.glyph("中")[1] == 12 and font.glyph("0")[1] == 6
    assert font.glyph("W")[1] == 10 and font.glyph(".")[1] == 5      # proportional
    assert font.glyph("\u200a") == ((0,) * 12, 1)                   # the hair space
    rows, w = font.glyph("中")
    assert len(rows) == 12 and any(rows) and not rows[11]          # a line gap under it


def test_every_label_has_its_glyphs_in_the_small_face():
    """The 12 px screens (meter data, events, channels) print labels of every table."""
    font = small_font()
    missing = sorted(set(ch for s in menu.all_labels() for ch in s if not font.has(ch)))
    assert missing == []


def test_small_missing_glyph_draws_a_box():
    font = small_font()
    assert not font.has("\u2713")          # WenQuanYi lacks the check mark
    rows, w = font.glyph("\u2713")
    assert w == 6 and len(rows) == 12 and rows[2] == 0b111110
    rows, w = font.glyph("\U0001F600")
    assert w == 12 and len(rows) == 12


@pytest.mark.parametrize("data, says", [
    (b"LCDX\x02", "not an LCD font file"),
    (b"LCDF\x03\x0c\x06\x0c\x00", "not an LCD font file"),
    (b"LCDF\x02\x0c\x06", "truncated header"),
    (b"LCDF\x02\x0c\x06\x0c\x01\x06\x02\x00\x00\x00\x41\x00", "expected"),
])
def test_bad_font_file_is_a_clear_error(tmp_path, data, says):
    path = tmp_path / "bad.lcdf"
    path.write_bytes(data)
    with pytest.raises(FontError) as e:
        Font(str(path)).glyph("A")
    assert says in str(e.value) and str(path) in str(e.value)


def test_pad_aligns_right_to_the_pixel_in_the_small_face():
    font = small_font()
    for left, right in (("Queue", "2"), ("Last ok", "11-18 22:00"), ("成功率", "75.0%"),
                        ("Import", "12345.67kWh"), ("", "x")):
        line = pad(left, right, 26, font)
        assert font.width(line) == 156 and line.endswith(right) and line.startswith(left)
        gap = line[len(left):len(line) - len(right)]
        assert set(gap) <= {" ", "\u200a"} and unhair(line) == left + gap.strip("\u200a") + right
    assert "\u200a" not in pad("Queue", "2", 20)             # the 16 px face has none
