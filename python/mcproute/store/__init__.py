"""State on disk: the data directory (SQLite, the default embedded store)."""

from mcproute.store.datadir import DataDir, data_dir_from_env
from mcproute.store.sqlite_keys import SqliteApiKeyStore

__all__ = ["DataDir", "SqliteApiKeyStore", "data_dir_from_env"]
