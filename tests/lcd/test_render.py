"""gateway.lcd.render: PNG (decoded here with zlib), braille, raw."""

import struct
import zlib

import pytest

from gateway.lcd import render
from gateway.lcd.framebuf import FrameBuffer


def decode_png(data):
    """(width, height, bit depth, colour type, rows of bytes) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[:4]
    raw = zlib.decompress(idat)
    stride = (w * depth + 7) // 8
    rows = []
    for y in range(h):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        assert line[0] == 0
        rows.append(line[1:])
    return w, h, depth, ctype, rows


def sample():
    fb = FrameBuffer()
    fb.text("测量点 m³", 3, 20)
    fb.rect(0, 0, 160, 160, 1)
    fb.fill_rect(100, 100, 17, 9, 1)
    return fb


def test_png_is_160x160_1bit_and_matches_the_buffer():
    fb = sample()
    w, h, depth, ctype, rows = decode_png(render.png(fb))
    assert (w, h, depth, ctype) == (160, 160, 1, 0)
    for y in range(160):
        for x in range(160):
            white = bool(rows[y][x // 8] & (0x80 >> (x % 8)))
            assert white != bool(fb.pixel(x, y)), (x, y)


def test_png_scaled():
    fb = sample()
    w, h, depth, ctype, rows = decode_png(render.png(fb, scale=3))
    assert (w, h) == (480, 480)
    for y in range(0, 480, 7):
        for x in range(0, 480, 5):
            white = bool(rows[y][x // 8] & (0x80 >> (x % 8)))
            assert white != bool(fb.pixel(x // 3, y // 3))
    with pytest.raises(ValueError):
        render.png(fb, scale=0)


def test_braille_is_80_by_40_and_maps_dots():
    fb = FrameBuffer()
    fb.pixel(0, 0, 1)
    fb.pixel(1, 3, 1)
    fb.pixel(159, 159, 1)
    lines = render.braille(fb)
    assert len(lines) == 40 and all(len(s) == 80 for s in lines)
    assert lines[0][0] == chr(0x2800 + 0x01 + 0x80)
    assert lines[39][79] == chr(0x2800 + 0x80)
    assert lines[10][10] == "\u2800"


def test_raw_is_the_3200_bytes():
    fb = sample()
    assert render.raw(fb) == bytes(fb.buf) and len(render.raw(fb)) == 3200
