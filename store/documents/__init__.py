"""The JSON-document half of the store: the archive of meters and the
parameters, each a TinyDB file written atomically (``jsonfile``), validated
on load and on every change (``archive_record``/``archive_rules``,
``params_table``/``coerce``), the archive also as CSV (``archive_csv``)."""
