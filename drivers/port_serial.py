"""A pyserial-shaped face of a Port, for libraries that want a serial object.

minimalmodbus (our named Modbus dependency) writes a request to a serial
object and reads the answer from it.  ``PortSerial`` gives it one whose
``write`` runs the request as one ``Port.transact``: the port waits out the
line silence, writes the request, collects the reply through the protocol's
deframer and acceptance check, retries on its own, traces both frames
(``probe -v``, the frame log) and counts one request and one reply per
frame.  ``read`` then hands back the accepted reply frame (or nothing when
the port gave up: ``error`` keeps the port's DriverError for the caller).

Only what minimalmodbus uses is here: ``open``, ``close``, ``is_open``,
``port``, ``baudrate``, ``timeout``, ``write``, ``read``, ``flush``,
``reset_input_buffer`` and ``reset_output_buffer``.
"""

from drivers.errors import DriverError


class PortSerial:
    """One exchange at a time over ``port`` (see the module docstring)."""

    def __init__(self, port, deframer, accept, meter=None):
        self._port = port
        self._deframer = deframer
        self._accept = accept         # accept(request, frame) -> None or why not
        self._meter = meter
        self._reply = b""
        self.error = None

    # pyserial's face
    @property
    def port(self):
        return self._port.name

    @property
    def is_open(self):
        return True

    @property
    def baudrate(self):
        return self._port.settings.baud

    @property
    def timeout(self):
        return self._port.settings.reply_timeout

    @timeout.setter
    def timeout(self, value):
        self._port.settings.reply_timeout = value

    def open(self):
        self._port.open()

    def close(self):
        pass                          # the port's owner closes it

    def flush(self):
        pass

    def reset_input_buffer(self):
        self._reply = b""

    def reset_output_buffer(self):
        pass

    def write(self, request):
        """Run ``request`` as one transaction of the port."""
        request = bytes(request)
        self._reply, self.error = b"", None
        try:
            ex = self._port.transact(request, self._deframer,
                                     lambda frame: self._accept(request, frame),
                                     meter=self._meter)
            self._reply = ex.frame
        except DriverError as err:
            self.error = err
        return len(request)

    def read(self, size=1):
        """The reply frame of the last ``write`` (whole: the deframer cut it)."""
        reply, self._reply = self._reply, b""
        return reply
