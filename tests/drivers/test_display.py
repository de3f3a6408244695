"""drivers.display: a regular file mmapped as the framebuffer device."""

import os

import pytest

from drivers.display import DisplayError, FramebufferDisplay


def picture():
    buf = bytearray(3200)
    buf[0] = 0x80                # pixel (0, 0)
    buf[20 * 5 + 2] = 0x01       # pixel (23, 5)
    buf[3199] = 0x01             # pixel (159, 159)
    return buf


def dark_pixels_1bpp(data, line_length, w, h):
    return set((x, y) for y in range(h) for x in range(w)
               if data[y * line_length + x // 8] & (0x80 >> (x % 8)))


def test_1bpp_file(tmp_path):
    path = tmp_path / "fb0"
    path.write_bytes(bytes(3200))
    with FramebufferDisplay(str(path), width=160, height=160, bpp=1) as d:
        d.show(picture())
    assert dark_pixels_1bpp(path.read_bytes(), 20, 160, 160) == {(0, 0), (23, 5), (159, 159)}


def test_1bpp_larger_panel_with_offset(tmp_path):
    path = tmp_path / "fb0"
    path.write_bytes(bytes(32 * 200))       # 256 x 200, 32 bytes a line
    with FramebufferDisplay(str(path), width=256, height=200, bpp=1, x=16, y=10) as d:
        d.show(picture())
    got = dark_pixels_1bpp(path.read_bytes(), 32, 256, 200)
    assert got == {(16, 10), (39, 15), (175, 169)}


def test_1bpp_mono10_inverts(tmp_path):
    path = tmp_path / "fb0"
    path.write_bytes(bytes(3200))
    with FramebufferDisplay(str(path), width=160, height=160, bpp=1, invert=True) as d:
        d.show(picture())
    data = path.read_bytes()
    assert data[0] == 0x7F and data[1] == 0xFF


def test_16bpp_rgb565(tmp_path):
    path = tmp_path / "fb1"
    path.write_bytes(b"\x55" * (160 * 2 * 160))
    with FramebufferDisplay(str(path), width=160, height=160, bpp=16) as d:
        d.show(picture())
    data = path.read_bytes()

    def px(x, y):
        return data[(y * 160 + x) * 2:(y * 160 + x) * 2 + 2]
    assert px(0, 0) == b"\x00\x00" and px(23, 5) == b"\x00\x00" and px(159, 159) == b"\x00\x00"
    assert px(1, 0) == b"\xff\xff" and px(22, 5) == b"\xff\xff"
    assert data.count(b"\x55") == 0
    dark = sum(1 for i in range(0, len(data), 2) if data[i:i + 2] == b"\x00\x00")
    assert dark == 3


def test_32bpp(tmp_path):
    path = tmp_path / "fb1"
    path.write_bytes(bytes(160 * 4 * 160))
    with FramebufferDisplay(str(path), width=160, height=160, bpp=32) as d:
        d.show(picture())
    data = path.read_bytes()
    assert data[0:4] == b"\x00\x00\x00\xff" and data[4:8] == b"\xff\xff\xff\xff"


def test_missing_device_names_the_path(tmp_path):
    with pytest.raises(DisplayError, match="/nonexistent/fb9"):
        FramebufferDisplay("/nonexistent/fb9")


def test_regular_file_needs_geometry_and_size(tmp_path):
    path = tmp_path / "fb0"
    path.write_bytes(bytes(100))
    with pytest.raises(DisplayError, match="give width, height and bpp"):
        FramebufferDisplay(str(path))
    with pytest.raises(DisplayError, match="needs 3200"):
        FramebufferDisplay(str(path), width=160, height=160, bpp=1)
    with pytest.raises(DisplayError, match="1, 16 and 32"):
        FramebufferDisplay(str(path), width=160, height=160, bpp=8)


def test_wrong_picture_size(tmp_path):
    path = tmp_path / "fb0"
    path.write_bytes(bytes(3200))
    with FramebufferDisplay(str(path), width=160, height=160, bpp=1) as d:
        with pytest.raises(DisplayError, match="3200 bytes"):
            d.show(bytes(10))


def test_backlight_bl_power_and_brightness(tmp_path):
    fb = tmp_path / "fb0"
    fb.write_bytes(bytes(3200))
    bl = tmp_path / "bl"
    bl.mkdir()
    (bl / "bl_power").write_text("0\n")
    with FramebufferDisplay(str(fb), width=160, height=160, bpp=1,
                            backlight=str(bl / "bl_power")) as d:
        d.backlight(False)
        assert (bl / "bl_power").read_text() == "4\n"
        d.backlight(True)
        assert (bl / "bl_power").read_text() == "0\n"
    (bl / "brightness").write_text("0\n")
    (bl / "max_brightness").write_text("7\n")
    with FramebufferDisplay(str(fb), width=160, height=160, bpp=1,
                            backlight=str(bl / "brightness")) as d:
        d.backlight(True)
        assert (bl / "brightness").read_text() == "7\n"
        d.backlight(False)
        assert (bl / "brightness").read_text() == "0\n"


def test_no_descriptor_left_open(tmp_path):
    path = tmp_path / "fb0"
    path.write_bytes(bytes(3200))
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with FramebufferDisplay(str(path), width=160, height=160, bpp=1) as d:
            d.show(picture())
    with pytest.raises(DisplayError):
        FramebufferDisplay(str(path), width=160, height=160, bpp=16)
    assert len(os.listdir("/proc/self/fd")) == before
