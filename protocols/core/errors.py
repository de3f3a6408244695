"""The project's one exception root and the codecs' branch of it.

``ConcentratorError`` is the root of every error the project raises on
purpose; each layer derives its branch from it (``CodecError`` here,
``DriverError`` in drivers/, ``StoreError`` in store/, ``UplinkError`` and
``CommandError`` in upstream/, ``ConfigError`` in gateway/), and each branch
carries structured fields (offset, port, meter, key, code...) besides the
message, so a caller can act on them and a log line tells the whole story.

Runs unchanged on CPython 3.10+ and MicroPython 1.27 (docs/micropython.md):
no typing, dataclasses, enum, decimal or __future__ imports.
"""


class ConcentratorError(Exception):
    """Root of every error the project raises on purpose."""


class CodecError(ConcentratorError):
    """Root of every error a codec raises.

    ``offset`` is the byte offset in the frame (from its first start byte)
    where the problem was found, ``expected``/``got`` what should have been
    there and what was.  The message repeats them so that a log line alone
    tells the whole story.
    """

    def __init__(self, message, offset=None, expected=None, got=None):
        text = message
        if offset is not None:
            text = text + " at byte %d" % offset
        if expected is not None:
            text = text + ": expected %s" % expected
            if got is not None:
                text = text + ", got %s" % got
        elif got is not None:
            text = text + ": got %s" % got
        super().__init__(text)
        self.offset = offset
        self.expected = expected
        self.got = got


class ChecksumError(CodecError):
    """The checksum or CRC of a frame does not match its bytes."""


class LengthError(CodecError):
    """A length field is impossible or disagrees with the frame."""


class TruncatedError(CodecError):
    """The frame or a field inside it ends before it should."""


class FramingError(CodecError):
    """A start, second start or end byte is not where the layout puts it."""


class UnknownIdentifierError(CodecError):
    """A data identifier, function code, VIF or register is not in our tables."""


class BadValueError(CodecError):
    """A field holds a value its encoding does not allow (non-BCD digit, bad date)."""


def hex_of(data):
    """Bytes as upper-case hex pairs separated by spaces (for messages and logs)."""
    return bytes(data).hex(" ").upper()


def byte_hex(b):
    return "%02XH" % b
