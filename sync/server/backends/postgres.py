"""The district server on PostgreSQL: a connection pool behind the same `ServerDb` primitives.

Who calls this: `sync.server.store.DistrictStore.open` when given a `postgresql://` URL (`safecity
serve --database-url`, `safecity admin --database-url`). Several server processes may share one
database: every push takes the change-log counter row `FOR UPDATE` first, so pushes commit one
after another, positions are handed out in commit order (a reader can never skip a change
committed later with a smaller position), and a push retried against another process sees the
first one's `last_seq`.

The tables are the SQLite migrations translated (`postgres_ddl`): the same tables, columns and
checks, with 64-bit integers, and without the laptop's full-text search, which the server
does not keep. `meta` records the schema version, and a database newer than this code is refused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from schema.errors import StoreError
from schema.store.connection import _statements
from schema.store.migrations import MIGRATIONS, SCHEMA_VERSION, V1_SEARCH
from sync.server.backends.sqlite import LAPTOP_ONLY, SERVER_COLUMNS, SERVER_TABLES

try:
    import psycopg
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool
except ImportError:  # pragma: no cover - the postgres extra is not installed
    psycopg = None  # type: ignore[assignment]  # an optional dependency: PostgresBackend says it is missing


def postgres_ddl() -> list[str]:
    """The statements that build the server's tables on PostgreSQL, from the SQLite migrations."""
    statements = []
    for number, migration in enumerate(MIGRATIONS, start=1):
        script = migration.replace(V1_SEARCH, "") if number == 1 else migration
        statements += list(_statements(script))
    statements += SERVER_TABLES
    statements += [f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} {d}" for t, c, d in SERVER_COLUMNS]
    skipped = {name for names in LAPTOP_ONLY.values() for name in names}
    translated = []
    for statement in statements:
        words = set(re.findall(r"\w+", statement.split("(")[0]))
        if "fts5" in statement or "TRIGGER" in statement or "sqlite_master" in statement or "PRAGMA" in statement:
            continue  # the laptop's search, SQLite's own faster checks (migration 3)
        if words & skipped:
            continue
        statement = re.sub(r"\bINTEGER\b", "BIGINT", statement)
        statement = re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)
        statement = statement.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
        statement = statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
        statement = statement.replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1)
        statement = statement.replace(" ADD COLUMN ", " ADD COLUMN IF NOT EXISTS ", 1)
        statement = statement.replace("IF NOT EXISTS IF NOT EXISTS", "IF NOT EXISTS")
        translated.append(statement)
    return translated


COPY_FROM = 100
"""Rows from which `many` copies instead of inserting row by row."""


@cache
def _copy_target(sql: str) -> tuple[str, str, str] | None:
    """(table, columns, tail) of `INSERT INTO table (columns) VALUES (?, ..., ?)[ ON CONFLICT DO
    NOTHING]`, or None for any other statement (constants, an upsert)."""
    match = re.fullmatch(
        r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \(\?(?:, \?)*\)( ON CONFLICT DO NOTHING)?", sql.strip()
    )
    return (match[1], match[2], match[3] or "") if match else None


@cache
def _pg(sql: str) -> str:
    """`?` parameters to psycopg's `%s` (and a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgServerDb:
    """`ServerDb` on a pool: inside `transaction()` one connection per thread, else autocommit."""

    kind = "postgres"

    def __init__(self, pool: Any):
        self.pool = pool
        self._local = threading.local()

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
        else:
            with self.pool.connection() as conn:
                yield conn

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        with self._conn() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_pg(sql), params)
            return cur.fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._conn() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_pg(sql), params)
            return cur.fetchall()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(_pg(sql), params)
            return cur.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(_pg(sql), params)
            return cur.rowcount

    def rows_by_id(self, table: str, columns: Sequence[str], ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """`columns` of the rows of `table` whose id is one of `ids`: one array parameter."""
        return self.rows(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ANY(?)", [list(ids)]) if ids else []

    def many(self, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        """Run `sql` once per parameter row. An INSERT whose values are all parameters (and at
        most ON CONFLICT DO NOTHING) of COPY_FROM rows or more goes through COPY, PostgreSQL's
        bulk path: one stream for the lot instead of one statement per row.

        With ON CONFLICT DO NOTHING, inside a transaction, the rows are first copied straight in
        behind a savepoint: a conflict is rare (a push's events have new ids), and the staging
        table every push went through cost a tenth of a 100,000-hazard push. Only when the copy
        meets a row that exists is it rolled back to the savepoint and the rows copied into a
        staging table, then inserted from there with the conflict clause."""
        if not seq:
            return
        target = _copy_target(sql)
        in_transaction = getattr(self._local, "conn", None) is not None
        with self._conn() as conn, conn.cursor() as cur:
            if target is None or len(seq) < COPY_FROM or (target[2] and not in_transaction):
                cur.executemany(_pg(sql), seq)
                return
            table, columns, tail = target
            if tail:
                cur.execute("SAVEPOINT copy_straight")
            try:
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in seq:
                        copy.write_row(row)
            except psycopg.errors.UniqueViolation:
                if not tail:
                    raise
                cur.execute("ROLLBACK TO SAVEPOINT copy_straight")
            else:
                if tail:
                    cur.execute("RELEASE SAVEPOINT copy_straight")
                return
            # A row exists: copy into a staging table of this transaction, then one INSERT.
            stage = f"stage_{table}"
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS")
            cur.execute(f"TRUNCATE {stage}")
            with cur.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                for row in seq:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage}{tail}")

    @contextmanager
    def transaction(self) -> Iterator[PgServerDb]:
        if getattr(self._local, "conn", None) is not None:
            yield self  # nested: the outer transaction decides
            return
        with self.pool.connection() as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield self
            finally:
                self._local.conn = None

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """The psycopg connection of this thread (inside `transaction()`, the transaction's), for
        what the portable methods cannot say: bytea sent and read in binary (`PostgresFiles`),
        not as hex text at twice the size and several times the CPU."""
        with self._conn() as conn:
            yield conn

    def read_counter(self) -> int:
        """Lock the change-log counter for this transaction and read it (see the module doc)."""
        self.execute("INSERT INTO meta (key, value) VALUES ('pos', '0') ON CONFLICT (key) DO NOTHING")
        row = self.one("SELECT value FROM meta WHERE key = 'pos' FOR UPDATE")
        assert row is not None  # inserted just above, in this transaction
        return int(row["value"])

    def columns(self, table: str) -> list[str]:
        return _columns(self, table)

    def close(self) -> None:
        pass


def _columns(db: PgServerDb, table: str) -> list[str]:
    key = (id(db.pool), table)
    if key not in _COLUMN_CACHE:
        _COLUMN_CACHE[key] = [
            r[0]
            for r in db.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = ? ORDER BY ordinal_position",
                (table,),
            )
        ]
    return _COLUMN_CACHE[key]


_COLUMN_CACHE: dict[tuple[int, str], list[str]] = {}


class PostgresBackend:
    """The production district server's storage: PostgreSQL through a psycopg connection pool."""

    def __init__(self, url: str, *, max_size: int = 10):
        if psycopg is None:
            raise StoreError("PostgreSQL support is not installed: pip install 'safecity[postgres]'")
        self.url = url
        try:
            self.pool = ConnectionPool(
                url, min_size=1, max_size=max_size, open=True, timeout=30, kwargs={"autocommit": True}
            )
            self.pool.wait(timeout=10)
        except Exception as err:  # noqa: BLE001 - psycopg raises several kinds; all mean the same here
            raise StoreError(f"cannot connect to PostgreSQL at {_redact(url)}: {err}") from None
        self._db = PgServerDb(self.pool)
        self._migrate()

    def _migrate(self) -> None:
        db = self._db
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(5170)")  # two processes starting at once
            exists = db.one(
                "SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema()"
                " AND table_name = 'meta'"
            )
            version = db.one("SELECT value FROM meta WHERE key = 'schema_version'") if exists else None
            if version and int(version["value"]) > SCHEMA_VERSION:
                raise StoreError(
                    f"the database was written by a newer SafeCity (schema {version['value']}); please update SafeCity"
                )
            if version and int(version["value"]) == SCHEMA_VERSION:
                return
            for statement in postgres_ddl():
                db.execute(statement)
            for index in LAPTOP_ONLY["index"]:  # made by an older version, before the laptops' own
                db.execute(f"DROP INDEX IF EXISTS {index}")
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    def db(self) -> PgServerDb:
        return self._db

    def written(self) -> None:
        """A write committed: nothing to do (PostgreSQL checkpoints by itself)."""

    def close(self) -> None:
        self.pool.close()


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
