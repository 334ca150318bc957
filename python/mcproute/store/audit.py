"""Audit events: what changed the deployment's security state, who it concerned, when.

An event of a stored change is written in the same transaction as the change it records (a key
created, rotated or revoked, a tenant policy set: never without its event, nor an event without
its change), to the same database: the data directory's SQLite or PostgreSQL. Events of what
is not a row there (a keyring rotated, an admin call and who made it) are written once it has
happened. Events hold key ids, labels, methods and paths, never a secret or a request body.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      REAL NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT,
    detail  TEXT NOT NULL DEFAULT '{}'
)
"""


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: float
    # "key.created", "key.rotated", "key.revoked", "key.updated", "tenant.updated",
    # "keyring.rotated", "keyring.reencrypted", "keyring.dropped", "admin.call"
    action: str
    subject: str | None  # the key id, tenant, keyring key id, or the admin caller's key id
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def record_event(conn: Any, action: str, subject: str | None, **detail: Any) -> None:
    """Add an event inside the caller's write transaction."""
    conn.execute(
        "INSERT INTO audit_events (at, action, subject, detail) VALUES (?, ?, ?, ?)",
        (time.time(), action, subject, orjson.dumps(detail).decode()),
    )


def read_events(conn: Any, limit: int = 100) -> list[AuditEvent]:
    """The newest `limit` events, oldest first."""
    rows = conn.execute(
        "SELECT id, at, action, subject, detail FROM audit_events ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        AuditEvent(int(i), float(at), action, subject, orjson.loads(detail))
        for i, at, action, subject, detail in reversed(rows)
    ]
