"""The small transport interface every line satisfies, and its pyserial form.

Interface (style.md "Ports: pyserial")::

    open()  close()  is_open
    write(data)
    read(max_bytes, timeout) -> bytes   at least one byte, or b"" after timeout
    flush_input()

``SerialTransport`` opens a device path or any pyserial URL with
``serial.serial_for_url``: ``/dev/ttyS1``, ``socket://host:port`` for an
Ethernet-to-RS485 converter, ``rfc2217://host:port``, ``loop://``.  The
simulator's in-process line (``sim.lines``) implements the same interface.
A device is opened exclusively (pyserial's ``exclusive``: an flock), so a
second program (``concentrator probe`` while the agent runs) is refused
instead of becoming a second master on the bus.  RS485 direction control uses the kernel's RS485 mode
(``serial.rs485.RS485Settings``); pyserial's software RTS toggling is
unreliable (its own documentation says so) and is not offered.
"""

import os
import select
import termios

import serial
import serial.rs485

from drivers.errors import PortClosedError, PortOpenError

PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD,
            "M": serial.PARITY_MARK, "S": serial.PARITY_SPACE}
STOPBITS = {1: serial.STOPBITS_ONE, 1.5: serial.STOPBITS_ONE_POINT_FIVE, 2: serial.STOPBITS_TWO}


class SerialTransport:
    """A pyserial port (device path or URL) with line settings."""

    def __init__(self, url, baud=2400, parity="E", bytesize=8, stopbits=1, rs485=None):
        self.url = url
        self.baud = baud
        self.parity = parity
        self.bytesize = bytesize
        self.stopbits = stopbits
        self.rs485 = rs485  # None or dict(delay_before_tx=, delay_before_rx=, rts_level_for_tx=...)
        self.serial = None

    @property
    def is_open(self):
        return self.serial is not None and self.serial.is_open

    def open(self):
        try:
            self._open(self.parity)
        except PortOpenError as err:
            if not (self.parity != "N" and _is_pty(self.url) and "Invalid argument" in str(err)):
                raise
            # Linux pseudo-terminals refuse PARENB (EINVAL from tcsetattr); a pty
            # has no wire and no parity bit, so the simulator's lines run 8N1
            self._open("N")

    def _open(self, parity):
        if self.parity not in PARITIES:
            raise PortOpenError("parity %r is not one of N, E, O, M, S" % self.parity, port=self.url)
        if self.stopbits not in STOPBITS:
            raise PortOpenError("stop bits %r is not 1, 1.5 or 2" % self.stopbits, port=self.url)
        try:
            port = serial.serial_for_url(self.url, do_not_open=True)
            port.baudrate = self.baud
            port.parity = PARITIES[parity]
            port.bytesize = self.bytesize
            port.stopbits = STOPBITS[self.stopbits]
            port.timeout = 0
            port.write_timeout = 5
            port.exclusive = True       # one master per bus: a second opener is refused
            if self.rs485:
                port.rs485_mode = serial.rs485.RS485Settings(**self.rs485)
            port.open()
        except (serial.SerialException, ValueError, OSError, termios.error) as err:
            raise PortOpenError("cannot open %s: %s" % (self.url, err), port=self.url,
                                hint=_open_hint(self.url, err)) from err
        self.serial = port

    def close(self):
        if self.serial is not None:
            try:
                self.serial.close()
            finally:
                self.serial = None

    def write(self, data):
        try:
            self.serial.write(data)
        except (serial.SerialException, OSError, termios.error) as err:
            raise PortClosedError("write to %s failed: %s" % (self.url, err), port=self.url,
                                  hint="check the cable or adapter, then restart the port") from err

    def read(self, max_bytes, timeout):
        """Up to ``max_bytes`` as soon as at least one byte is there, or b"" on timeout."""
        s = self.serial
        fd = getattr(s, "fd", None)
        try:
            if fd is not None:
                # a POSIX device: wait with select and keep the port non-blocking;
                # changing pyserial's timeout rewrites termios (EINVAL on ptys)
                ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
                return s.read(max_bytes) if ready else b""
            s.timeout = max(0.0, timeout)
            first = s.read(1)
            if not first:
                return b""
            s.timeout = 0
            more = s.read(max_bytes - 1) if max_bytes > 1 else b""
            return first + more
        except (serial.SerialException, OSError, termios.error, ValueError) as err:
            raise PortClosedError("read from %s failed: %s" % (self.url, err), port=self.url,
                                  hint="check the cable or adapter, then restart the port") from err

    def flush_input(self):
        try:
            self.serial.reset_input_buffer()
        except (serial.SerialException, OSError, termios.error):
            pass  # a socket:// port without data; a line gone (EIO) fails at the write


def _is_pty(url):
    try:
        return os.path.realpath(url).startswith("/dev/pts/")
    except (TypeError, ValueError):
        return False


def _open_hint(url, err):
    text = str(err)
    if "No such file" in text or "could not open port" in text and "[Errno 2]" in text:
        return "no such device: check the port name (ls /dev/tty*) or the adapter"
    if "Permission denied" in text or "[Errno 13]" in text:
        return "permission denied: run as root or add the user to the dialout group"
    if "Connection refused" in text:
        return "nothing listens at that address: check the converter's IP and port"
    if "RS485" in text or "rs485" in text:
        return "this device or URL has no kernel RS485 mode: drop the rs485 settings"
    if "exclusively lock" in text:
        return ("the port is owned by another program, most likely the running agent: go "
                "through the agent (`concentrator read`, `concentrator status`) or stop it first "
                "(systemctl stop concentrator)")
    if "busy" in text.lower():
        return "the port is in use by another program (is the agent running?)"
    return "check the port name or URL and the line settings"
