"""Moved to `mcproute.store.sqlite_contexts` (every SQLite store lives in `mcproute.store`);
these names stay importable from here."""

from mcproute.store.sqlite_contexts import (
    DEFAULT_MAX_BYTES,
    KINDS,
    AmbiguousContextError,
    ContextInfo,
    ContextTooLargeError,
    SqliteContextStore,
    TenantContexts,
    default_context_store,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "KINDS",
    "AmbiguousContextError",
    "ContextInfo",
    "ContextTooLargeError",
    "SqliteContextStore",
    "TenantContexts",
    "default_context_store",
]
