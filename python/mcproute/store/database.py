"""The durable database behind the stores: the data directory's SQLite (the embedded default)
or PostgreSQL (`MCPROUTE_DATABASE_URL` or `mcp.store.database_url`), for replicas on several
hosts.

Both speak the same small dialect to the stores (`?` placeholders, `execute`/`executemany`
returning cursors) and give the same guarantees:

- `write(conn, scope)`: one transaction, all of it or none of it, and writers of the same
  thing serialize. SQLite: every writer, `BEGIN IMMEDIATE` under the data directory's write
  lock. PostgreSQL: transaction-scoped advisory locks on the names in `scope` (a context's
  id, a key's id), so a context's next item number is read and written by one replica at a
  time while other contexts and keys go on; a write without a scope takes one lock shared by
  all such writes. `lock(conn, names)` takes more of them inside the transaction (for rows
  found by a query). Once it returns the write is durable: SQLite runs `synchronous=FULL`,
  PostgreSQL commits with `synchronous_commit` on (its default; the database refuses to run
  otherwise).
- `snapshot(conn)`: one consistent view for a read of several rows.

A connection is used by the one store thread that opened it (`sqlite_tx.SqliteThread`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mcproute.redact import redact_url
from mcproute.store.datadir import DataDir
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.sqlite_tx import SqliteThread, immediate

if TYPE_CHECKING:  # psycopg is loaded only when PostgreSQL is configured
    import psycopg

# pg_advisory_xact_lock key of the stores' write transactions ("mcpr" "writ" in ASCII).
WRITE_LOCK_KEY = 0x6D637072_77726974


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...
    def close(self) -> None: ...


class Database(Protocol):
    kind: str

    def connect(self) -> Any: ...
    def write(
        self, conn: Any, scope: Sequence[str] | None = None
    ) -> contextlib.AbstractContextManager[Any]: ...
    def lock(self, conn: Any, names: Iterable[str]) -> None: ...
    def snapshot(self, conn: Any) -> contextlib.AbstractContextManager[Any]: ...
    def usable(self, conn: Any) -> bool: ...
    def thread(self, name: str, *, background: bool = False) -> SqliteThread: ...
    def close(self) -> None: ...


def live_connection(database: Database, conn: Any, prepare_sqlite: Callable[[Any], None]) -> Any:
    """`conn` if it still works, else a new connection (PostgreSQL dropped the last one); a new
    SQLite connection gets its schema from `prepare_sqlite`. For a store's own thread."""
    if conn is not None and not database.usable(conn):
        with contextlib.suppress(Exception):
            conn.close()
        conn = None
    if conn is None:
        conn = database.connect()
        if database.kind == "sqlite":
            prepare_sqlite(conn)
    return conn


class ThreadOwnedConnection:
    """For a store whose one connection (`_connection`) is used only on its own thread
    (`_thread`): `close` closes the connection on that thread, then ends the thread."""

    _connection: Any
    _thread: SqliteThread

    def close(self) -> None:
        def shut() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._thread.call(shut)
        self._thread.shutdown()


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, data_dir: DataDir) -> None:
        self.data_dir = data_dir
        self._write_lock = data_dir.write_lock()

    def __repr__(self) -> str:
        return f"SqliteDatabase({self.data_dir!r})"

    def thread(self, name: str, *, background: bool = False) -> SqliteThread:
        """A store's own thread: a local disk answers, so calls wait as long as it takes."""
        return SqliteThread(name, background=background)

    def connect(self) -> sqlite3.Connection:
        return self.data_dir.connect()

    def write(
        self, conn: sqlite3.Connection, scope: Sequence[str] | None = None
    ) -> contextlib.AbstractContextManager[Any]:
        return immediate(conn, self._write_lock)  # one writer at a time: scopes add nothing

    def lock(self, conn: sqlite3.Connection, names: Iterable[str]) -> None:
        pass

    @contextlib.contextmanager
    def snapshot(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def usable(self, conn: sqlite3.Connection) -> bool:
        return True

    def close(self) -> None:
        self._write_lock.close()


class PgConnection:
    """A psycopg connection that takes the stores' `?` placeholders. Psycopg adapts bytes to
    bytea and back, floats to double precision."""

    def __init__(self, conn: psycopg.Connection[Any], url: str) -> None:
        import psycopg

        self.raw = conn
        self._url = url
        self._down = psycopg.OperationalError

    @staticmethod
    def _sql(sql: str) -> Any:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.raw.execute(self._sql(sql), list(params))
        except self._down:
            raise pg_unavailable(self._url) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(self._sql(sql), [list(r) for r in rows])
        except self._down:
            raise pg_unavailable(self._url) from None

    def close(self) -> None:
        self.raw.close()


def pg_unavailable(url: str) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"database unavailable: PostgreSQL at {redact_url(url)} does not answer;"
        " requests that need it are refused until it is back"
    )


class PostgresDatabase:
    kind = "postgres"
    CONNECT_TIMEOUT_S = 5
    # A request waits this long for a query; a database that stops answering (a hung server,
    # a partition) fails requests with 503 instead of holding them. A lost peer also breaks
    # the connection by TCP: keepalives, and a bound on unacknowledged data.
    DEADLINE_S = 10.0

    def __init__(self, url: str) -> None:
        self.url = url

    def __repr__(self) -> str:
        return f"PostgresDatabase({redact_url(self.url)!r})"

    def connect(self) -> PgConnection:
        import psycopg

        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=self.CONNECT_TIMEOUT_S,
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                tcp_user_timeout=10_000,  # ms
            )
        except psycopg.OperationalError:
            raise pg_unavailable(self.url) from None
        return PgConnection(conn, self.url)

    @contextlib.contextmanager
    def write(
        self, conn: PgConnection, scope: Sequence[str] | None = None
    ) -> Iterator[PgConnection]:
        import psycopg

        conn.execute("BEGIN")
        try:
            if scope is None:
                conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK_KEY,))
            else:
                self.lock(conn, scope)
            yield conn
        except BaseException:
            with contextlib.suppress(psycopg.Error, StoreUnavailableError):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def lock(self, conn: PgConnection, names: Iterable[str]) -> None:
        """Take the advisory locks of `names` until the transaction ends, in one order for
        every transaction (sorted by their hash), so two writers never deadlock."""
        wanted = sorted(set(names))
        if wanted:
            conn.execute(
                "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT"
                " hashtextextended(name, 0) AS h FROM unnest(?::text[]) AS name ORDER BY h) AS s",
                (wanted,),
            )

    @contextlib.contextmanager
    def snapshot(self, conn: PgConnection) -> Iterator[PgConnection]:
        import psycopg

        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield conn
        finally:
            with contextlib.suppress(psycopg.Error, StoreUnavailableError):
                conn.execute("COMMIT")

    def usable(self, conn: PgConnection) -> bool:
        return not (conn.raw.closed or conn.raw.broken)

    def thread(self, name: str, *, background: bool = False) -> SqliteThread:
        def late() -> StoreUnavailableError:
            return StoreUnavailableError(
                f"database unavailable: PostgreSQL at {redact_url(self.url)} did not answer"
                f" within {self.DEADLINE_S:.0f} s; requests that need it are refused until it"
                " answers"
            )

        return SqliteThread(name, self.DEADLINE_S, late, background=background)

    def ping(self) -> bool:
        """Whether PostgreSQL answers now (for /readyz; blocks: call it off the loop)."""
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def close(self) -> None:
        pass
