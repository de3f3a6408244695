"""What can go wrong in the store, as exceptions that say it in words.

One root, ``StoreError``, with a branch per thing the store keeps.  Each
error carries structured fields (the file, the table, the key or meter, the
field, what is allowed) so that the CLI can print one line with a hint and
the MQTT command handler can map it to an error code: ``UnknownMeterError``
is ``unknown_meter``, every other ``ArchiveError``/``ParamsError`` is
``bad_request``.

Messages say what is wrong and what to do, e.g.::

    meter m-0003: address '1234567890123' is not valid for dlt645-2007:
    use 1 to 12 decimal digits, as printed on the nameplate

``StoreError`` derives from the project's one exception root
(``protocols.core.errors.ConcentratorError``): the one import of the project
``store/`` makes, so that every layer's errors share a root (docs/architecture.md).
"""

from protocols.core.errors import ConcentratorError


class StoreError(ConcentratorError):
    """Root of every store error (the store's branch of ConcentratorError)."""

    def __init__(self, message, path=None, table=None, key=None, field=None,
                 value=None, allowed=None, hint=None, errors=None):
        text = message
        if hint:
            text = "%s (%s)" % (text, hint)
        super().__init__(text)
        self.message = message
        self.path = path
        self.table = table
        self.key = key
        self.field = field
        self.value = value
        self.allowed = allowed
        self.hint = hint
        # several problems found at once (a CSV import, a set_many): each is
        # itself a StoreError; ``message`` then summarises them
        self.errors = list(errors or ())


class StoreFileError(StoreError):
    """A store file cannot be read or written: not JSON, not a TinyDB document, I/O error."""


class ArchiveError(StoreError):
    """A meter record is not valid, or an archive operation cannot be done."""


class UnknownMeterError(ArchiveError):
    """No meter with that id (MQTT error code ``unknown_meter``)."""


class ArchiveCsvError(ArchiveError):
    """A line of an archive CSV file is not valid; ``line`` is 1-based (the header is 1)."""

    def __init__(self, message, line=None, **kw):
        super().__init__(message, **kw)
        self.line = line


class ParamsError(StoreError):
    """A parameter key or value is not valid, or the parameters file is."""


class BackupError(StoreError):
    """A backup cannot be made, or a file is not a backup that can be restored."""
