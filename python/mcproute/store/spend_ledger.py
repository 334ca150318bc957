"""Open the spend ledger of a data directory and its database."""

from __future__ import annotations

from mcproute.governance.journal import JOURNAL_NAME, SpendJournal
from mcproute.governance.ledger import SpendLedger
from mcproute.store.database import Database, SqliteDatabase
from mcproute.store.datadir import DataDir
from mcproute.store.spend import SpendStore


def open_ledger(data_dir: DataDir, database: Database) -> SpendLedger:
    """The ledger on `database`, journaling into `data_dir`. On SQLite it takes a database
    object (so a write lock) of its own: a `flock` shared by two threads of one process would
    not keep them apart."""
    own = SqliteDatabase(data_dir) if database.kind == "sqlite" else database
    return SpendLedger(SpendStore(own), SpendJournal(data_dir.ensure().path / JOURNAL_NAME))
