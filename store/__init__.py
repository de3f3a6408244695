"""The local store, and the one place other packages import it from.

Two kinds of storage, each in its own subpackage:

* ``store.sqlite``: one SQLite file (WAL) for readings and frozen values,
  events, the five logs, small persisted state, catch-up gaps and the uplink
  outbox and batches -- ``Store``.
* ``store.documents``: JSON documents (TinyDB, written atomically) for what
  people edit: the archive of meters (``Archive``, its CSV form) and the
  parameters (``Params`` and the ``params_table``), the operators and roles
  (``Operators``).

``store.backup`` packs both into one file and restores it; ``store.errors``
is the one exception family of both.  ``store`` imports nothing of the
project: only the standard library, sqlite3 and tinydb.

Other packages import the names below from ``store`` and nothing from the
submodules, so the store can be rearranged without touching them.
"""

from store.backup import backup, copy_database, restore
from store.documents import archive_csv, archive_record, params_table
from store.documents.archive import Archive
from store.documents.archive_csv import export as export_csv
from store.documents.archive_csv import import_ as import_csv
from store.documents.archive_record import FIELDS, MeterRules, address_key, normalise, with_changes
from store.documents.operators import OperatorError, Operators
from store.documents.params import Params
from store.errors import (ArchiveCsvError, ArchiveError, BackupError, ParamsError, StoreError,
                          StoreFileError, UnknownMeterError)
from store.sqlite import codec
from store.sqlite.codec import EncodingError
from store.sqlite.check import check_file
from store.sqlite.db import KINDS, SchemaError, StoreFullError
from store.sqlite.journal import LOG_CATEGORIES, SEVERITIES
from store.sqlite.store import Store

__all__ = [
    # SQLite: readings, events, logs, outbox
    "Store", "KINDS", "LOG_CATEGORIES", "SEVERITIES", "SchemaError", "StoreFullError",
    "check_file", "EncodingError", "codec",
    # documents: archive and parameters
    "Archive", "Params", "params_table", "archive_record", "archive_csv", "export_csv",
    "import_csv", "FIELDS", "MeterRules", "address_key", "normalise", "with_changes",
    # documents: operators and roles
    "Operators", "OperatorError",
    # both
    "backup", "restore", "copy_database",
    "StoreError", "StoreFileError", "ArchiveError", "UnknownMeterError", "ArchiveCsvError",
    "ParamsError", "BackupError",
]
