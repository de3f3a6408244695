"""The store's shape: one public face, two visible halves, no project imports."""

import ast
import pathlib

import store

ROOT = pathlib.Path(store.__file__).parent
PROJECT = {"gateway", "drivers", "protocols", "scheduler", "upstream", "sim", "bench", "tests"}


def test_the_public_names_are_importable_from_store():
    for name in store.__all__:
        assert getattr(store, name) is not None, name
    assert store.Store.__module__ == "store.sqlite.store"
    assert store.Archive.__module__ == "store.documents.archive"
    assert store.Params.__module__ == "store.documents.params"


def test_sqlite_and_documents_are_separate_subpackages():
    sqlite = set(p.stem for p in (ROOT / "sqlite").glob("*.py"))
    documents = set(p.stem for p in (ROOT / "documents").glob("*.py"))
    assert {"db", "readings", "journal", "outbox", "batches", "gaps", "maintenance",
            "codec"} <= sqlite
    assert {"jsonfile", "archive", "archive_csv", "params", "params_table"} <= documents
    for path in (ROOT / "documents").glob("*.py"):      # the JSON half never touches SQLite
        assert "sqlite3" not in path.read_text(), path


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_store_imports_nothing_of_the_project_but_the_exception_root():
    for path in ROOT.rglob("*.py"):
        for name in _imports(path):
            if name == "protocols.core.errors":
                continue            # ConcentratorError, the root every layer derives from
            assert name.split(".")[0] not in PROJECT, "%s imports %s" % (path, name)


def test_no_file_is_over_500_lines():
    for path in ROOT.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 500, path


def test_no_sql_outside_the_store_in_scheduler_and_upstream():
    for package in ("scheduler", "upstream"):
        for path in (ROOT.parent / package).rglob("*.py"):
            text = path.read_text()
            for word in ("PRAGMA", ".execute(", "BEGIN IMMEDIATE", "._meter_id(", ".connect()"):
                assert word not in text, "%s: %s (ask the store for it)" % (path, word)
