"""PostgreSQL's schema, as numbered migrations the program applies itself (`mcproute db
migrate`, and every `mcproute serve` on start). A session-level advisory lock makes replicas
that start together take turns: the first applies what is missing, the others find it done.
Each migration runs in its own transaction and is recorded in `mcproute_migrations`.

Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

import logging
import time

from mcproute.redact import redact_url
from mcproute.store.database import pg_unavailable

log = logging.getLogger("mcproute.store")
MIGRATE_LOCK_KEY = 0x6D637072_6D696772  # "mcpr" "migr"

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "api keys, contexts, keyring usage",
        """
CREATE TABLE api_keys (
    key_id            TEXT PRIMARY KEY,
    env               TEXT NOT NULL,
    secret_hash       BYTEA NOT NULL,
    scopes            TEXT NOT NULL,
    created_at        DOUBLE PRECISION NOT NULL,
    expires_at        DOUBLE PRECISION,
    revoked           INTEGER NOT NULL DEFAULT 0,
    replaced_by       TEXT,
    name              TEXT,
    require_signature INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE contexts (
    id         TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION,
    items      INTEGER NOT NULL,
    bytes      BIGINT NOT NULL,
    meta       BYTEA,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX contexts_by_id ON contexts (id);
CREATE INDEX contexts_by_expiry ON contexts (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE context_items (
    tenant     TEXT NOT NULL,
    context_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    body       BYTEA NOT NULL,
    PRIMARY KEY (tenant, context_id, seq)
);
CREATE TABLE keyring_usage (
    key_id      BIGINT PRIMARY KEY,
    encryptions BIGINT NOT NULL
);
""",
    ),
    (
        2,
        "audit events",
        """
CREATE TABLE audit_events (
    id       BIGSERIAL PRIMARY KEY,
    at       DOUBLE PRECISION NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT,
    detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_time ON audit_events (at);
""",
    ),
    (
        3,
        "deployment checks",
        """
CREATE TABLE deployment_checks (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
""",
    ),
    (
        4,
        "spend ledger",
        """
CREATE TABLE spend_ledger (
    id                  TEXT PRIMARY KEY,
    at                  DOUBLE PRECISION NOT NULL,
    request_id          TEXT,
    key_id              TEXT,
    tenant              TEXT,
    model               TEXT NOT NULL,
    deployment          TEXT,
    input_tokens        BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    cost_nusd           BIGINT,
    status              INTEGER NOT NULL,
    role                TEXT NOT NULL,
    parent              TEXT
);
CREATE INDEX spend_ledger_by_time ON spend_ledger (at);
""",
    ),
    (
        5,
        "key limits, tenant policies",
        """
ALTER TABLE api_keys ADD COLUMN limits TEXT;
CREATE TABLE tenant_policies (
    name       TEXT PRIMARY KEY,
    limits     TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
""",
    ),
    (
        6,
        "keyring usage in shards",
        # One row per key and shard (each process counts in its own), so writers of different
        # contexts do not queue on one counter row; the count is the sum.
        """
ALTER TABLE keyring_usage ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keyring_usage DROP CONSTRAINT keyring_usage_pkey;
ALTER TABLE keyring_usage ADD PRIMARY KEY (key_id, shard);
""",
    ),
    (
        7,
        "users' upstream oauth grants",
        """
CREATE TABLE oauth_grants (
    key     TEXT PRIMARY KEY,
    sealed  BYTEA NOT NULL,
    updated DOUBLE PRECISION NOT NULL
);
""",
    ),
)


def latest() -> int:
    return MIGRATIONS[-1][0]


def migrate(url: str) -> list[int]:
    """Apply the migrations the database lacks; the versions applied (none: up to date)."""
    import psycopg  # loaded only when PostgreSQL is configured

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        raise pg_unavailable(url) from None
    applied: list[int] = []
    with conn:
        setting = conn.execute("SHOW synchronous_commit").fetchone()
        if setting is None or setting[0] in ("off", "local"):
            raise RuntimeError(
                f"PostgreSQL at {redact_url(url)}: synchronous_commit is {setting and setting[0]};"
                " an acknowledged write could be lost. Set it to on (the default)"
            )
        conn.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS mcproute_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at DOUBLE PRECISION NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM mcproute_migrations")}
            newer = sorted(done - {v for v, _, _ in MIGRATIONS})
            if newer:
                raise RuntimeError(
                    f"PostgreSQL at {redact_url(url)}: schema version {newer[-1]} is newer than"
                    f" this mcproute knows ({latest()}); upgrade mcproute"
                )
            for version, name, sql in MIGRATIONS:
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO mcproute_migrations (version, name, applied_at)"
                        " VALUES (%s, %s, %s)",
                        [version, name, time.time()],
                    )
                log.info("database: applied migration %d (%s)", version, name)
                applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
    return applied
