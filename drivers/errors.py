"""What can go wrong on a port, as exceptions that say it in words.

One root, ``DriverError`` (a branch of the project's root
``protocols.core.errors.ConcentratorError``); each carries the port name, the meter address and
the last frame seen in hex where there was one, so that a log line or the
CLI's one-line error tells what happened on the wire and what to check.
"""

from protocols.core.errors import ConcentratorError


class DriverError(ConcentratorError):
    """Root of every port and meter-link error."""

    def __init__(self, message, port=None, meter=None, frame=None, hint=None):
        text = message
        if hint:
            text = "%s (%s)" % (text, hint)
        super().__init__(text)
        self.message = message
        self.port = port
        self.meter = meter
        self.frame = frame
        self.hint = hint


class PortOpenError(DriverError):
    """The device or URL could not be opened with these settings."""


class PortClosedError(DriverError):
    """The port went away while in use (USB adapter unplugged, TCP peer gone)."""


class PortStoppedError(DriverError):
    """The agent is stopping: the transaction was cut short (not the meter's fault)."""


class NoReplyError(DriverError):
    """Nothing (valid) came back within the reply timeout, after every retry."""


class BadFrameError(DriverError):
    """Bytes came back but never a valid frame (checksum, framing, truncation)."""


class WrongAddressError(DriverError):
    """Only replies from another address came back."""


class MeterRefusedError(DriverError):
    """The meter answered with an error reply (a valid frame saying no)."""

    def __init__(self, message, reasons=(), **kw):
        super().__init__(message, **kw)
        self.reasons = list(reasons)


class NotSupportedError(DriverError):
    """The meter's protocol cannot do what was asked (e.g. a valve on DL/T645)."""


class NoRecordError(DriverError):
    """The meter keeps no value for that boundary (too old, never frozen)."""


class NotFrozenYetError(DriverError):
    """The meter has not frozen that boundary yet (its newest record is older:
    the concentrator's clock runs ahead of the meter's).  Ask again later."""
