"""The narrow interface the server's push, pull and accounts are written against.

Who reads this: `sync.server.push`, `sync.server.pull`, `sync.server.accounts`, `sync.server.store`
and mypy. Two backends satisfy it structurally (no base class to inherit): `sqlite` (the embedded
server, one file under `--data`) and `postgres` (production, a connection pool). Like httpx's
`BaseTransport`, the interface is small on purpose: portable SQL with `?` parameters, a
transaction, the change-log counter, and a bulk insert. Anything a backend does differently
(COPY on PostgreSQL, chunked `IN` lists on SQLite) stays behind these methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class ServerDb(Protocol):
    """One handle on the server's database, as one request (one thread) uses it."""

    kind: str
    """'sqlite' or 'postgres': for the rare SQL that cannot be written portably."""

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None: ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the rows it changed."""
        ...

    def many(self, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter tuple (an INSERT of many rows)."""
        ...

    def rows_by_id(self, table: str, columns: Sequence[str], ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """`columns` of the rows of `table` whose id is one of `ids` (any number of them)."""
        ...

    def transaction(self) -> AbstractContextManager[Any]:
        """Everything inside commits together or not at all."""
        ...

    def read_counter(self) -> int:
        """The last change-log position handed out (inside the push transaction)."""
        ...

    def columns(self, table: str) -> list[str]: ...

    def close(self) -> None: ...


class Backend(Protocol):
    """A district's storage: hands each thread its `ServerDb`, and hears when a write committed."""

    def db(self) -> ServerDb: ...

    def written(self) -> None:
        """A write transaction committed (the SQLite backend checkpoints its WAL in a quiet moment)."""
        ...

    def close(self) -> None: ...
