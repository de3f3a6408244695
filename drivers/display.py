"""The LCD's output: a Linux framebuffer device (``/dev/fbN``, as a panel
behind an fbtft or DRM driver presents it), mmapped.

The picture comes in as the LCD's buffer: 1 bit a pixel, rows MSB first
(MONO_HLSB), 1 = a dark pixel, ``src_width`` x ``src_height`` (160 x 160,
3,200 bytes).  It is written at (``x``, ``y``) of the device in the device's
format: 1 bpp (MSB first; FB_VISUAL_MONO01 takes 1 as black, MONO10 as
white), 16 bpp RGB565 or 32 bpp XRGB8888 (little-endian, dark = black, light
= white).

On a character device the geometry comes from the FBIOGET_VSCREENINFO and
FBIOGET_FSCREENINFO ioctls.  On a regular file (tests, a bench that looks at
the file) it comes from the arguments: ``width``, ``height``, ``bpp`` and
optionally ``line_length``.

The backlight, when a sysfs file is given (``/sys/class/backlight/*/bl_power``
or ``.../brightness``), is switched by writing to it.
"""

import mmap
import os
import stat
import struct

from drivers.errors import DriverError

FBIOGET_VSCREENINFO = 0x4600
FBIOGET_FSCREENINFO = 0x4602
_VAR = "=8I"     # xres yres xres_virtual yres_virtual xoffset yoffset bits_per_pixel grayscale
_VAR_SIZE = 160                    # sizeof(struct fb_var_screeninfo)
_FIX = "@16sLIIIIHHHILIIH2H"       # sizeof(struct fb_fix_screeninfo): 80 (64-bit), 68 (32-bit)
FB_VISUAL_MONO01 = 0
FB_VISUAL_MONO10 = 1


class DisplayError(DriverError):
    """The framebuffer device or its backlight cannot be used as configured."""


def _table(bytes_per_pixel, dark, light):
    """byte of 8 pixels (MSB first) -> their bytes in the device's format."""
    out = []
    for b in range(256):
        out.append(b"".join(dark if b & (0x80 >> i) else light for i in range(8)))
    return out


class FramebufferDisplay:
    """``show(buf)`` writes a picture, ``backlight(on)`` switches the light."""

    def __init__(self, path="/dev/fb0", width=None, height=None, bpp=None, line_length=None,
                 backlight=None, x=0, y=0, src_width=160, src_height=160, invert=None):
        self.path = path
        self.src_width, self.src_height = src_width, src_height
        self.x, self.y = x, y
        self.backlight_path = backlight
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise DisplayError("framebuffer device %s does not exist" % path,
                               hint="check [lcd] display: ls /dev/fb*; is the panel's "
                                    "fbtft/DRM driver loaded?") from None
        except OSError as err:
            raise DisplayError("cannot use framebuffer %s: %s" % (path, err)) from None
        visual = FB_VISUAL_MONO01
        try:
            self._fd = os.open(path, os.O_RDWR)
        except OSError as err:
            raise DisplayError("cannot open framebuffer %s: %s" % (path, err.strerror),
                               hint="the agent's user needs write access (group video)") \
                from None
        try:
            if stat.S_ISCHR(st.st_mode):
                width, height, bpp, line_length, visual = self._query()
            elif not stat.S_ISREG(st.st_mode):
                raise DisplayError("%s is neither a framebuffer device nor a file" % path)
            elif not (width and height and bpp):
                raise DisplayError("%s is a regular file: give width, height and bpp" % path)
            if bpp not in (1, 16, 32):
                raise DisplayError("framebuffer %s has %s bits a pixel; 1, 16 and 32 are "
                                   "supported" % (path, bpp))
            self.width, self.height, self.bpp = width, height, bpp
            self.line_length = line_length or (width * bpp + 7) // 8
            if x < 0 or y < 0 or x + src_width > width or y + src_height > height:
                raise DisplayError("a %dx%d picture at (%d, %d) does not fit framebuffer %s "
                                   "of %dx%d" % (src_width, src_height, x, y, path, width,
                                                 height))
            if bpp == 1 and x % 8:
                raise DisplayError("on a 1 bpp framebuffer x must be a multiple of 8, got %d"
                                   % x)
            self.size = self.line_length * height
            if stat.S_ISREG(st.st_mode) and st.st_size < self.size:
                raise DisplayError("%s has %d bytes, a %dx%d %d bpp framebuffer needs %d"
                                   % (path, st.st_size, width, height, bpp, self.size))
            self._mm = mmap.mmap(self._fd, self.size, mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            os.close(self._fd)
            raise
        if invert is None:
            invert = bpp == 1 and visual == FB_VISUAL_MONO10
        self.invert = invert
        if bpp == 16:
            self._table = _table(2, b"\x00\x00", b"\xff\xff")
        elif bpp == 32:
            self._table = _table(4, b"\x00\x00\x00\xff", b"\xff\xff\xff\xff")
        else:
            self._table = None
        self._src_stride = (src_width + 7) // 8

    def _query(self):
        import fcntl
        try:
            var = bytearray(_VAR_SIZE)
            fcntl.ioctl(self._fd, FBIOGET_VSCREENINFO, var)
            fix = bytearray(struct.calcsize(_FIX))
            fcntl.ioctl(self._fd, FBIOGET_FSCREENINFO, fix)
        except OSError as err:
            raise DisplayError("%s does not answer the framebuffer ioctls: %s"
                               % (self.path, err.strerror)) from None
        xres, yres, _, _, _, _, bpp, _ = struct.unpack_from(_VAR, var)
        f = struct.unpack_from(_FIX, fix)
        visual, line_length = f[5], f[9]
        return xres, yres, bpp, line_length, visual

    def show(self, buf):
        """Write a picture (MONO_HLSB, 1 = dark) to the device."""
        stride = self._src_stride
        if len(buf) != stride * self.src_height:
            raise DisplayError("a %dx%d picture has %d bytes, got %d" % (
                self.src_width, self.src_height, stride * self.src_height, len(buf)))
        data = bytes(buf)
        if self.invert:
            data = data.translate(bytes(range(255, -1, -1)))
        mm, ll = self._mm, self.line_length
        if self._table is None:
            off = self.x // 8
            for r in range(self.src_height):
                o = (self.y + r) * ll + off
                mm[o:o + stride] = data[r * stride:(r + 1) * stride]
            return
        table = self._table
        bpp_bytes = self.bpp // 8
        n = self.src_width * bpp_bytes
        off = self.x * bpp_bytes
        for r in range(self.src_height):
            row = b"".join([table[b] for b in data[r * stride:(r + 1) * stride]])[:n]
            o = (self.y + r) * ll + off
            mm[o:o + n] = row

    def backlight(self, on):
        """Switch the backlight (no-op without a backlight path)."""
        path = self.backlight_path
        if not path:
            return
        if os.path.basename(path) == "bl_power":
            value = "0" if on else "4"             # FB_BLANK_UNBLANK / FB_BLANK_POWERDOWN
        else:
            value = "0"
            if on:
                value = "1"
                try:
                    with open(os.path.join(os.path.dirname(path), "max_brightness")) as f:
                        value = f.read().strip() or "1"
                except OSError:
                    pass
        try:
            with open(path, "w") as f:
                f.write(value + "\n")
        except OSError as err:
            raise DisplayError("cannot switch the backlight at %s: %s"
                               % (path, err.strerror)) from None

    def close(self):
        if getattr(self, "_mm", None) is not None:
            self._mm.close()
            self._mm = None
            os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
