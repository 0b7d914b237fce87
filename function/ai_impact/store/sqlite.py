"""The embedded SQLite store: one file, WAL journal, one connection per thread.

Writes run in ``BEGIN IMMEDIATE`` transactions (one writer at a time, readers never blocked);
concurrent processes on the same file are safe. The schema is migrated on open.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from ai_impact.catalog import lookup_key
from ai_impact.store.base import Entry, NameTakenError, Store, Token, now
from ai_impact.store.migrations import MIGRATIONS

_BUSY_TIMEOUT_S = 30.0
_TOKEN_COLUMNS = (
    "t.id, t.role, t.customer_id, c.name, t.name, t.rate_per_minute, t.created_at, t.revoked_at"
)
_ENTRY_COLUMNS = "kind, id, customer_id, fields, created_at, updated_at, created_by, deleted"


def _token(row: tuple) -> Token:
    token_id, role, customer_id, customer, name, rate, created_at, revoked_at = row
    return Token(
        token_id, role, customer_id, customer, name, rate, created_at, revoked_at is not None
    )


def _entry(row: tuple) -> Entry:
    kind, entry_id, customer_id, fields, created_at, updated_at, created_by, deleted = row
    return Entry(
        kind,
        entry_id,
        customer_id,
        orjson.loads(fields),
        created_at,
        updated_at,
        created_by,
        bool(deleted),
    )


class SQLiteStore(Store):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._migrate()

    # --- connection and transactions ----------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=FULL")
            self._local.connection = connection
            self._local.depth = 0
        return connection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        connection = self._connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        connection.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            connection.execute("COMMIT")
        finally:
            self._local.depth = 0

    def _migrate(self) -> None:
        connection = self._connection()
        with self.transaction():
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number:d}")

    def schema_version(self) -> int:
        return self._connection().execute("PRAGMA user_version").fetchone()[0]

    def _query(self, sql: str, *params: object) -> list[tuple]:
        return self._connection().execute(sql, params).fetchall()

    def _write(self, sql: str, *params: object) -> int:
        with self.transaction():
            return self._connection().execute(sql, params).rowcount

    def generation(self) -> int:
        return self._query("SELECT value FROM meta WHERE key = 'generation'")[0][0]

    def _bump(self) -> None:
        self._connection().execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")

    # --- customers and tokens -----------------------------------------------------------------

    def customer_id(self, name: str) -> int:
        with self.transaction():
            self._connection().execute(
                "INSERT OR IGNORE INTO customers (name, created_at) VALUES (?, ?)", (name, now())
            )
            return self._query("SELECT id FROM customers WHERE name = ?", name)[0][0]

    def add_token(
        self, token_hash: str, role: str, customer_id: int, name: str, rate_per_minute: int | None
    ) -> Token:
        with self.transaction():
            cursor = self._connection().execute(
                "INSERT INTO tokens (token_hash, role, customer_id, name, rate_per_minute, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash, role, customer_id, name, rate_per_minute, now()),
            )
            rows = self._query(
                f"SELECT {_TOKEN_COLUMNS} FROM tokens t JOIN customers c ON c.id = t.customer_id "
                "WHERE t.id = ?",
                cursor.lastrowid,
            )
        return _token(rows[0])

    def token(self, token_hash: str) -> Token | None:
        rows = self._query(
            f"SELECT {_TOKEN_COLUMNS} FROM tokens t JOIN customers c ON c.id = t.customer_id "
            "WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            token_hash,
        )
        return _token(rows[0]) if rows else None

    def tokens(self) -> list[Token]:
        rows = self._query(
            f"SELECT {_TOKEN_COLUMNS} FROM tokens t JOIN customers c ON c.id = t.customer_id "
            "ORDER BY t.id"
        )
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: int) -> bool:
        return bool(
            self._write(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                now(),
                token_id,
            )
        )

    def revoke_tokens_named(self, name: str) -> int:
        return self._write(
            "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", now(), name
        )

    # --- BigQuery projects --------------------------------------------------------------------

    def map_project(self, project: str, customer_id: int) -> None:
        self._write(
            "INSERT INTO projects (project, customer_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (project) DO UPDATE SET customer_id = excluded.customer_id",
            project,
            customer_id,
            now(),
        )

    def project_customer(self, project: str) -> int | None:
        rows = self._query("SELECT customer_id FROM projects WHERE project = ?", project)
        return rows[0][0] if rows else None

    def projects(self) -> list[tuple[str, int]]:
        return [tuple(r) for r in self._query("SELECT project, customer_id FROM projects")]

    # --- catalog entries ----------------------------------------------------------------------

    def entry(self, kind: str, entry_id: str) -> Entry | None:
        rows = self._query(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE kind = ? AND key = ?",
            kind,
            lookup_key(entry_id),
        )
        return _entry(rows[0]) if rows else None

    def entries(self, kind: str | None = None, customer_id: int | None = None) -> list[Entry]:
        rows = self._query(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE (?1 IS NULL OR kind = ?1) "
            "AND (?2 IS NULL OR customer_id = ?2) ORDER BY kind, key",
            kind,
            customer_id,
        )
        return [_entry(r) for r in rows]

    def customers_with_entries(self) -> list[int]:
        rows = self._query(
            "SELECT DISTINCT customer_id FROM entries WHERE customer_id > 0 ORDER BY customer_id"
        )
        return [r[0] for r in rows]

    def put(self, entry: Entry, names: list[str], replace: bool = True) -> None:
        key = lookup_key(entry.id)
        connection = self._connection()
        with self.transaction():
            if not replace and self.entry(entry.kind, entry.id) is not None:
                raise NameTakenError(entry.id)
            connection.execute(
                "DELETE FROM names WHERE kind = ? AND entry_key = ?", (entry.kind, key)
            )
            connection.execute(
                f"INSERT INTO entries (key, {_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET id = excluded.id, "
                "customer_id = excluded.customer_id, fields = excluded.fields, "
                "created_at = excluded.created_at, updated_at = excluded.updated_at, "
                "created_by = excluded.created_by, deleted = excluded.deleted",
                (
                    key,
                    entry.kind,
                    entry.id,
                    entry.customer_id,
                    orjson.dumps(entry.fields),
                    entry.created_at,
                    entry.updated_at,
                    entry.created_by,
                    int(entry.deleted),
                ),
            )
            for name in dict.fromkeys(lookup_key(n) for n in names):
                try:
                    connection.execute(
                        "INSERT INTO names (kind, key, entry_key) VALUES (?, ?, ?)",
                        (entry.kind, name, key),
                    )
                except sqlite3.IntegrityError:
                    raise NameTakenError(name) from None
            self._bump()

    def remove(self, kind: str, entry_id: str) -> bool:
        with self.transaction():
            removed = self._write(
                "DELETE FROM entries WHERE kind = ? AND key = ?", kind, lookup_key(entry_id)
            )
            self._bump()
        return bool(removed)
