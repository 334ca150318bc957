"""State on disk: the data directory (SQLite, the default embedded store)."""

from mcproute.store.datadir import DataDir, data_dir_from_env
from mcproute.store.sqlite_keys import SqliteApiKeyStore
from mcproute.store.sqlite_sessions import SqliteEndedSessions

__all__ = ["DataDir", "SqliteApiKeyStore", "SqliteEndedSessions", "data_dir_from_env"]
