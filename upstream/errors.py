"""Errors of the master-station link, and the command error codes of mqtt.md.

Both derive from the project's one exception root (``protocols.core.errors``),
the one import of the project ``upstream/`` makes besides ``store/``.
"""

from protocols.core.errors import ConcentratorError

# mqtt.md "Error codes"
CODES = ("bad_request", "unknown_op", "unauthorized", "replayed", "expired", "unknown_meter",
         "busy", "timeout", "meter_error", "not_supported", "too_large", "internal")


class UplinkError(ConcentratorError):
    """Root of the uplink's own errors (connection, TLS, configuration)."""


class CommandError(ConcentratorError):
    """A command refused or failed: ``code`` is one of CODES, ``message`` says
    what is wrong (naming the field) and what to do."""

    def __init__(self, code, message, detail=None):
        if code not in CODES:
            raise ValueError("unknown command error code %r" % code)
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.detail = detail

    def reply(self):
        err = {"code": self.code, "message": self.message}
        if self.detail is not None:
            err["detail"] = self.detail
        return err
