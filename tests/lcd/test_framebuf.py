"""gateway.lcd.framebuf: the drawing primitives on the MONO_HLSB layout."""

from gateway.lcd.font import default_font
from gateway.lcd.framebuf import FrameBuffer


def dark(fb):
    return set((x, y) for y in range(fb.height) for x in range(fb.width) if fb.pixel(x, y))


def test_layout_is_mono_hlsb():
    fb = FrameBuffer()
    assert len(fb.buf) == 3200 and fb.stride == 20
    fb.pixel(0, 0, 1)
    fb.pixel(9, 1, 1)
    fb.pixel(159, 159, 1)
    assert fb.buf[0] == 0x80 and fb.buf[21] == 0x40 and fb.buf[3199] == 0x01
    assert fb.pixel(9, 1) == 1 and fb.pixel(8, 1) == 0
    fb.pixel(9, 1, 0)
    assert fb.buf[21] == 0


def test_outside_is_clipped():
    fb = FrameBuffer()
    fb.pixel(-1, 0, 1)
    fb.pixel(160, 5, 1)
    assert fb.pixel(200, 200) == 0
    fb.fill_rect(150, 155, 20, 20, 1)
    fb.hline(-5, 0, 8, 1)
    fb.vline(0, -3, 5, 1)
    assert dark(fb) == set((x, y) for x in range(150, 160) for y in range(155, 160)) | \
        set((x, 0) for x in range(3)) | {(0, 1)}


def test_fill_and_invert():
    fb = FrameBuffer()
    fb.fill(1)
    assert fb.buf == bytearray(b"\xff" * 3200)
    fb.invert()
    assert fb.buf == bytearray(3200)
    fb.invert(3, 2, 10, 4)
    assert dark(fb) == set((x, y) for x in range(3, 13) for y in range(2, 6))
    fb.invert(3, 2, 5, 4)
    assert dark(fb) == set((x, y) for x in range(8, 13) for y in range(2, 6))


def test_lines_and_rects():
    fb = FrameBuffer()
    fb.hline(5, 7, 12, 1)
    assert dark(fb) == set((x, 7) for x in range(5, 17))
    fb.fill(0)
    fb.vline(33, 10, 4, 1)
    assert dark(fb) == set((33, y) for y in range(10, 14))
    fb.fill(0)
    fb.rect(10, 20, 5, 4, 1)
    edge = set()
    for x in range(10, 15):
        edge |= {(x, 20), (x, 23)}
    for y in range(20, 24):
        edge |= {(10, y), (14, y)}
    assert dark(fb) == edge
    fb.fill(0)
    fb.rect(10, 20, 5, 4, 1, True)
    assert dark(fb) == set((x, y) for x in range(10, 15) for y in range(20, 24))
    fb.fill_rect(11, 21, 3, 2, 0)
    assert dark(fb) == edge


def test_blit_with_and_without_key():
    src = FrameBuffer(12, 3)
    src.pixel(0, 0, 1)
    src.pixel(11, 2, 1)
    fb = FrameBuffer()
    fb.fill_rect(0, 0, 40, 10, 1)
    fb.blit(src, 5, 1)                # opaque: the 12x3 area takes src's pixels
    assert fb.pixel(5, 1) == 1 and fb.pixel(6, 1) == 0 and fb.pixel(16, 3) == 1
    assert fb.pixel(17, 1) == 1 and fb.pixel(4, 1) == 1
    fb.fill(0)
    fb.blit(src, 155, 158, key=0)      # 0 transparent, clipped at the edges
    assert dark(fb) == {(155, 158)}
    fb.fill(1)
    fb.blit(src, 0, 0, key=1)          # 1 transparent: only src's 0 pixels land
    assert fb.pixel(0, 0) == 1 and fb.pixel(1, 0) == 0 and fb.pixel(12, 0) == 1


def test_text_draws_font_glyphs_at_any_x():
    font = default_font()
    for x in (0, 3, 8, 13):
        fb = FrameBuffer()
        end = fb.text("中A", x, 16, 1, font)
        assert end == x + 24
        rows, w = font.glyph("中")
        want = set((x + c, 16 + r) for r, bits in enumerate(rows) for c in range(w)
                   if bits & (1 << (w - 1 - c)))
        rows, w = font.glyph("A")
        want |= set((x + 16 + c, 16 + r) for r, bits in enumerate(rows) for c in range(w)
                    if bits & (1 << (w - 1 - c)))
        assert dark(fb) == want and want


def test_text_colour_zero_clears():
    fb = FrameBuffer()
    fb.fill_rect(0, 0, 16, 16, 1)
    fb.text("中", 0, 0, 0)
    fb.invert(0, 0, 16, 16)
    ref = FrameBuffer()
    ref.text("中", 0, 0, 1)
    assert fb.buf == ref.buf


def test_odd_width_buffer_keeps_padding_clear():
    fb = FrameBuffer(10, 2)
    fb.fill(1)
    assert bytes(fb.buf) == b"\xff\xc0\xff\xc0"
    fb.invert()
    assert bytes(fb.buf) == bytes(4)
