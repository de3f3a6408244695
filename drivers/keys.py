"""The LCD's keys: Linux input events (``/dev/input/eventN``, as gpio-keys
presents them) or the same records written into a FIFO.

``struct input_event`` is ``struct timeval time; __u16 type; __u16 code;
__s32 value``: 24 bytes on a 64-bit kernel (``llHHi``), 16 on a 32-bit one;
the size is the native one unless ``event_size`` says otherwise.  EV_KEY
events become ``KeyEvent(key, code, value)`` with value 1 press, 0 release,
2 repeat (autorepeat: gpio-keys' ``autorepeat`` property, or the kernel's
input repeat); codes not in the key map are skipped.  Key names are strings
(UP, DOWN, LEFT, RIGHT, CANCEL, OK) so that this module needs nothing above
``drivers/``.
"""

import os
import select
import stat
import struct

from drivers.errors import DriverError

EV_KEY = 0x01
PRESS, RELEASE, REPEAT = 1, 0, 2
DEFAULT_KEYMAP = {103: "UP", 108: "DOWN", 105: "LEFT", 106: "RIGHT", 1: "CANCEL", 28: "OK"}
FORMATS = {24: "=qqHHi", 16: "=iiHHi"}
NATIVE_SIZE = struct.calcsize("@llHHi")


class KeyDeviceError(DriverError):
    """The key input device cannot be used as configured."""


class KeyEvent:
    __slots__ = ("key", "code", "value", "time")

    def __init__(self, key, code, value, time):
        self.key, self.code, self.value, self.time = key, code, value, time

    @property
    def pressed(self):
        return self.value in (PRESS, REPEAT)

    @property
    def repeat(self):
        return self.value == REPEAT

    def __repr__(self):
        return "KeyEvent(%s, code=%d, value=%d)" % (self.key, self.code, self.value)


class KeyReader:
    """``read(timeout)``: the key events that arrive within ``timeout`` seconds
    (None: wait for one; 0: only those already there)."""

    def __init__(self, path="/dev/input/event0", keymap=None, event_size=None):
        self.path = path
        self.keymap = dict(DEFAULT_KEYMAP if keymap is None else keymap)
        size = event_size or NATIVE_SIZE
        if size not in FORMATS:
            raise KeyDeviceError("input events are 16 or 24 bytes, not %r" % (event_size,))
        self.size, self._fmt = size, FORMATS[size]
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise KeyDeviceError("key input device %s does not exist" % path,
                                 hint="check [lcd] keys: ls /dev/input/by-path; is gpio-keys "
                                      "configured?") from None
        except OSError as err:
            raise KeyDeviceError("cannot use key input %s: %s" % (path, err.strerror)) from None
        # a FIFO is opened for writing too, so that it never reads end-of-file
        # between two writers
        flags = os.O_NONBLOCK | (os.O_RDWR if stat.S_ISFIFO(st.st_mode) else os.O_RDONLY)
        try:
            self._fd = os.open(path, flags)
        except OSError as err:
            raise KeyDeviceError("cannot open key input %s: %s" % (path, err.strerror),
                                 hint="the agent's user needs read access (group input)") \
                from None
        self._pending = b""

    def fileno(self):
        return self._fd

    def read(self, timeout=None):
        events = self._parse()
        if events or self._fd is None:
            return events
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return []
        while True:
            try:
                chunk = os.read(self._fd, self.size * 64)
            except BlockingIOError:
                break
            except OSError as err:
                raise KeyDeviceError("reading key input %s failed: %s"
                                     % (self.path, err.strerror)) from None
            if not chunk:
                break
            self._pending += chunk
            if len(chunk) < self.size * 64:
                break
        return self._parse()

    def _parse(self):
        out = []
        n = len(self._pending) // self.size
        for i in range(n):
            sec, usec, etype, code, value = struct.unpack_from(self._fmt, self._pending,
                                                               i * self.size)
            if etype != EV_KEY:
                continue
            key = self.keymap.get(code)
            if key is not None:
                out.append(KeyEvent(key, code, value, sec + usec / 1e6))
        self._pending = self._pending[n * self.size:]
        return out

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def encode(code, value, sec=0, usec=0, event_size=None):
    """One EV_KEY input_event as bytes (for tests and simulators)."""
    return struct.pack(FORMATS[event_size or NATIVE_SIZE], sec, usec, EV_KEY, code, value)
