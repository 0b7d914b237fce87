"""The BigQuery store: the state of the deployed service in the tables of its dataset
(sql/store: customers, tokens, projects, custom_models, custom_nodes, custom_gpus,
custom_datacenters), so that every instance of the function shares it, and analysts can register
hardware, models or datacenters with a plain ``INSERT INTO custom_nodes ...`` and use them by
``node_id`` (``datacenter_id``, ...) in SQL.

Selected by ``AI_IMPACT_BIGQUERY_DATASET=PROJECT.DATASET`` (:func:`ai_impact.store.open_store`).
``AI_IMPACT_STORE_TTL_S`` (default 60) is how long a snapshot is used;
``AI_IMPACT_BIGQUERY_ENDPOINT`` points the client at another API endpoint (an emulator) with
anonymous credentials.

Reads come from a snapshot of all seven tables, read again once it is older than the TTL
(seven queries submitted together, so a refresh waits about as long as one query), so estimates
never wait on BigQuery otherwise. If a refresh fails, the previous snapshot is kept and the failure
logged; with no snapshot at all, :class:`StoreUnavailableError` is raised. It is an
``OSError``: the REST layer answers 503 for it, and so does the BigQuery door
(:mod:`ai_impact.http`), which BigQuery retries. Neither falls back to the bundled catalog
alone: a customer's custom model would become an ``unknown_model`` error, never retried.

Writes are made on a private copy of the snapshot, which the writing thread reads, and sent at
the end of the outermost :meth:`transaction` as one multi-statement BigQuery transaction
(``BEGIN TRANSACTION ... COMMIT TRANSACTION``): all or nothing. Values are written into the
script as typed literals (:func:`literal`), not as query parameters: the local emulator the
tests run on does not pass parameters to multi-statement scripts (bqemulator 1.4.0).
A transaction starts from a fresh snapshot; names (ids, aliases) are checked against it, so two
instances writing the same new name within that moment could both succeed (on reads, the entry
updated last wins).
Customer and token ids are the largest id + 1.

Rows inserted with SQL need only ``id`` and the fields they give: ``customer_id`` defaults to
1 (the deployment's own customer, to which Terraform maps the caller projects), the timestamps
to the insertion time and ``created_by`` to the inserting user (column DEFAULTs, sql/store).
Entry ids compare like catalog ids (:func:`ai_impact.catalog.lookup_key`).
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import orjson
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import GoogleAPIError, NotFound
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import GoogleAuthError
from google.cloud import bigquery

from ai_impact.catalog import lookup_key
from ai_impact.store.base import Entry, NameTakenError, Store, Token, now

ENV_DATASET = "AI_IMPACT_BIGQUERY_DATASET"
ENV_TTL = "AI_IMPACT_STORE_TTL_S"
ENV_ENDPOINT = "AI_IMPACT_BIGQUERY_ENDPOINT"
DEFAULT_TTL_S = 60.0
# The table of each kind of entry, and the columns every such table has besides the fields.
ENTRY_TABLES = {
    "model": "custom_models",
    "node": "custom_nodes",
    "gpu": "custom_gpus",
    "datacenter": "custom_datacenters",
}
# Entry tables new since release 0.1.0 (sql/store/released): a store of that release lacks
# them until Terraform creates them, so a missing one reads as empty (and is logged).
NEWER_TABLES = frozenset({"custom_datacenters"})
METADATA = ("id", "customer_id", "deleted", "created_at", "updated_at", "created_by")
# BigQuery SQL of lookup_key(): trimmed, lower case, '_' -> '-'.
_KEY_SQL = "LOWER(REPLACE(TRIM(id), '_', '-'))"
# Calls made while serving a request: fail within seconds rather than retry for minutes.
_RETRY = Retry(deadline=30)
_JOB_TIMEOUT_S = 60.0
# Table schema types (the API's legacy names) -> GoogleSQL names.
_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ERRORS = (GoogleAPIError, GoogleAuthError, OSError)


class StoreUnavailableError(OSError):
    """BigQuery could not be read or written."""


def _stamp(value: datetime) -> str:
    """A TIMESTAMP as the store interface's text (RFC 3339, microseconds, Z)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp") from None


def _log(severity: str, message: str, **fields: object) -> None:
    """One structured line for Cloud Logging, like the service's own (ai_impact.http)."""
    entry = {"severity": severity, "message": message, **fields}
    sys.stdout.write(orjson.dumps(entry, default=str).decode() + "\n")
    sys.stdout.flush()


def _string(value: str) -> str:
    for char in value:
        if ord(char) < 0x20 and char not in _ESCAPES:
            raise ValueError(f"control character {char!r} cannot be stored")
    return "'" + "".join(_ESCAPES.get(char, char) for char in value) + "'"


def literal(kind: str, value: object) -> str:
    """``value`` as a BigQuery literal of type ``kind`` (STRING, INT64, FLOAT64, BOOL, TIMESTAMP
    or ARRAY<one of them>). Strings are single-quoted with backslash, quote, newline, carriage
    return and tab escaped (BigQuery lexical structure, "String and bytes literals"); other
    control characters are refused. Raises ValueError for a value that is not of ``kind``."""
    if value is None:
        return "NULL"
    if kind.startswith("ARRAY<"):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{value!r} is not a list")
        return f"{kind}[{', '.join(literal(kind[6:-1], v) for v in value)}]"
    if kind == "STRING" and isinstance(value, str):
        return _string(value)
    if kind == "BOOL" and isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if kind == "INT64" and isinstance(value, int | float) and not isinstance(value, bool):
        if value != int(value):
            raise ValueError(f"{value!r} is not an integer")
        return str(int(value))
    if kind == "FLOAT64" and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not finite")
        return f"CAST('{float(value)!r}' AS FLOAT64)"
    if kind == "TIMESTAMP" and isinstance(value, str):
        stamp = _timestamp(value).astimezone(UTC)
        return f"TIMESTAMP '{stamp:%Y-%m-%d %H:%M:%S.%f}+00'"
    raise ValueError(f"{value!r} cannot be written as {kind}")


@dataclass
class _Snapshot:
    customers: dict[int, str] = field(default_factory=dict)
    tokens: dict[int, tuple[str, Token]] = field(default_factory=dict)  # id -> (hash, token)
    projects: dict[str, int] = field(default_factory=dict)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)  # (kind, key) -> entry
    loaded_at: float = 0.0

    def generation(self) -> int:
        """A digest of the entries: changes whenever one does."""
        digest = hashlib.blake2b(digest_size=8)
        for key in sorted(self.entries):
            e = self.entries[key]
            record = (key, e.id, e.customer_id, e.fields, e.updated_at, e.deleted)
            digest.update(orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=str))
        return int.from_bytes(digest.digest(), "big") >> 1


def _entry(kind: str, row: dict) -> Entry:
    fields = {k: v for k, v in row.items() if k not in METADATA and v is not None}
    return Entry(
        kind,
        row["id"],
        int(row["customer_id"]),
        fields,
        _stamp(row["created_at"]),
        _stamp(row["updated_at"]),
        row["created_by"] or "",
        bool(row["deleted"]),
    )


class BigQueryStore(Store):
    def __init__(
        self,
        client: bigquery.Client,
        dataset: str,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``dataset``: PROJECT.DATASET holding the tables of sql/store."""
        self.client = client
        self.dataset = dataset
        self.ttl_s = ttl_s
        self._clock = clock
        self._snapshot: _Snapshot | None = None
        self._refresh_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._writer: int | None = None  # thread holding the transaction
        self._depth = 0
        self._pending: _Snapshot | None = None
        self._statements: list[str] = []
        self._columns: dict[str, dict[str, str]] = {}  # table -> column -> literal type

    @classmethod
    def from_env(cls) -> BigQueryStore:
        dataset = os.environ[ENV_DATASET].strip()
        project, _, name = dataset.partition(".")
        if not project or not name:
            raise StoreUnavailableError(f"{ENV_DATASET} must be PROJECT.DATASET, not {dataset!r}")
        endpoint = os.environ.get(ENV_ENDPOINT)
        try:
            if endpoint:
                client = bigquery.Client(
                    project=project,
                    credentials=AnonymousCredentials(),
                    client_options=ClientOptions(api_endpoint=endpoint),
                )
            else:
                client = bigquery.Client(project=project)
        except _ERRORS as exc:
            raise StoreUnavailableError(f"BigQuery client: {exc}") from exc
        ttl = float(os.environ.get(ENV_TTL) or DEFAULT_TTL_S)
        return cls(client, dataset, ttl)

    def _table(self, name: str) -> str:
        return f"`{self.dataset}.{name}`"

    # --- reading ------------------------------------------------------------------------------

    def _read(self) -> _Snapshot:
        """All the tables, queried together."""
        queries = {
            "customers": "SELECT id, name FROM {}",
            "tokens": "SELECT id, token_hash, role, customer_id, name, rate_per_minute, "
            "created_at, revoked_at FROM {}",
            "projects": "SELECT project, customer_id FROM {}",
            **{table: "SELECT * FROM {}" for table in ENTRY_TABLES.values()},
        }
        jobs = {
            table: self.client.query(sql.format(self._table(table)), retry=_RETRY, job_retry=None)
            for table, sql in queries.items()
        }
        rows = {}
        for table, job in jobs.items():
            try:
                rows[table] = [dict(r) for r in job.result(retry=_RETRY, timeout=_JOB_TIMEOUT_S)]
            except NotFound as exc:
                if table not in NEWER_TABLES:
                    raise
                _log("WARNING", f"store table {table} missing: read as empty", error=str(exc))
                rows[table] = []
        snapshot = _Snapshot(loaded_at=self._clock())
        snapshot.customers = {int(r["id"]): r["name"] for r in rows["customers"]}
        for r in rows["tokens"]:
            token = Token(
                int(r["id"]),
                r["role"],
                int(r["customer_id"]),
                snapshot.customers.get(int(r["customer_id"]), ""),
                r["name"],
                r["rate_per_minute"],
                _stamp(r["created_at"]),
                r["revoked_at"] is not None,
            )
            snapshot.tokens[token.id] = (r["token_hash"], token)
        snapshot.projects = {r["project"]: int(r["customer_id"]) for r in rows["projects"]}
        for kind, table in ENTRY_TABLES.items():
            # Two rows with one id (plain INSERTs can make them): the one updated last wins.
            for r in sorted(rows[table], key=lambda r: (r["updated_at"], r["created_at"])):
                entry = _entry(kind, r)
                snapshot.entries[(kind, lookup_key(entry.id))] = entry
        return snapshot

    def _refresh(self, force: bool = False) -> _Snapshot:
        with self._refresh_lock:
            current = self._snapshot
            fresh = current is not None and self._clock() - current.loaded_at < self.ttl_s
            if current is not None and fresh and not force:
                return current
            try:
                self._snapshot = self._read()
            except _ERRORS as exc:
                if current is None or force:
                    raise StoreUnavailableError(f"cannot read {self.dataset}: {exc}") from exc
                _log("WARNING", "store refresh failed: kept the previous snapshot", error=str(exc))
                self._snapshot = replace(current, loaded_at=self._clock())
            return self._snapshot

    def _view(self) -> _Snapshot:
        """What this thread sees: its own pending writes, else the (fresh enough) snapshot."""
        if self._writer == threading.get_ident() and self._pending is not None:
            return self._pending
        return self._refresh()

    def generation(self) -> int:
        return self._view().generation()

    def token(self, token_hash: str) -> Token | None:
        for stored_hash, token in self._view().tokens.values():
            if stored_hash == token_hash and not token.revoked:
                return token
        return None

    def tokens(self) -> list[Token]:
        tokens = self._view().tokens
        return [tokens[i][1] for i in sorted(tokens)]

    def project_customer(self, project: str) -> int | None:
        return self._view().projects.get(project)

    def projects(self) -> list[tuple[str, int]]:
        return sorted(self._view().projects.items())

    def entry(self, kind: str, entry_id: str) -> Entry | None:
        return self._view().entries.get((kind, lookup_key(entry_id)))

    def entries(self, kind: str | None = None, customer_id: int | None = None) -> list[Entry]:
        found = self._view().entries
        return [
            found[key]
            for key in sorted(found)
            if (kind is None or key[0] == kind)
            and (customer_id is None or found[key].customer_id == customer_id)
        ]

    def customers_with_entries(self) -> list[int]:
        return sorted({e.customer_id for e in self._view().entries.values() if e.customer_id > 0})

    # --- writing ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._write_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._pending = copy.deepcopy(self._refresh(force=True))
            self._writer, self._depth, self._statements = threading.get_ident(), 1, []
            try:
                yield
                if self._statements:
                    self._commit()
                    self._pending.loaded_at = self._clock()
                    self._snapshot = self._pending
            finally:
                self._writer, self._depth, self._pending, self._statements = None, 0, None, []

    def _commit(self) -> None:
        statements = [f"{s};" for s in self._statements]
        script = "\n".join(["BEGIN TRANSACTION;", *statements, "COMMIT TRANSACTION;"])
        try:
            self.client.query(script, retry=_RETRY).result(retry=_RETRY, timeout=_JOB_TIMEOUT_S)
        except _ERRORS as exc:
            raise StoreUnavailableError(f"cannot write to {self.dataset}: {exc}") from exc

    def _write(self) -> _Snapshot:
        if self._pending is None or self._writer != threading.get_ident():
            raise RuntimeError("writes happen inside transaction()")
        return self._pending

    def customer_id(self, name: str) -> int:
        with self.transaction():
            state = self._write()
            for customer_id, known in state.customers.items():
                if known == name:
                    return customer_id
            new_id = max(state.customers, default=0) + 1
            self._statements.append(
                f"INSERT INTO {self._table('customers')} (id, name, created_at) VALUES "
                f"({new_id:d}, {literal('STRING', name)}, CURRENT_TIMESTAMP())"
            )
            state.customers[new_id] = name
            return new_id

    def add_token(
        self, token_hash: str, role: str, customer_id: int, name: str, rate_per_minute: int | None
    ) -> Token:
        with self.transaction():
            state = self._write()
            if customer_id not in state.customers:
                raise ValueError(f"no customer {customer_id}")
            created = now()
            token = Token(
                max(state.tokens, default=0) + 1,
                role,
                customer_id,
                state.customers[customer_id],
                name,
                rate_per_minute,
                created,
                False,
            )
            values = ", ".join(
                [
                    literal("INT64", token.id),
                    literal("STRING", token_hash),
                    literal("STRING", role),
                    literal("INT64", customer_id),
                    literal("STRING", name),
                    literal("INT64", rate_per_minute),
                    literal("TIMESTAMP", created),
                ]
            )
            self._statements.append(
                f"INSERT INTO {self._table('tokens')} (id, token_hash, role, customer_id, name, "
                f"rate_per_minute, created_at) VALUES ({values})"
            )
            state.tokens[token.id] = (token_hash, token)
            return token

    def _revoke(self, ids: list[int]) -> int:
        state = self._write()
        if ids:
            self._statements.append(
                f"UPDATE {self._table('tokens')} SET revoked_at = CURRENT_TIMESTAMP() "
                f"WHERE id IN ({', '.join(literal('INT64', i) for i in ids)}) "
                "AND revoked_at IS NULL"
            )
            for i in ids:
                stored_hash, token = state.tokens[i]
                state.tokens[i] = (stored_hash, replace(token, revoked=True))
        return len(ids)

    def revoke_token(self, token_id: int) -> bool:
        with self.transaction():
            found = self._write().tokens.get(token_id)
            return bool(self._revoke([token_id] if found and not found[1].revoked else []))

    def revoke_tokens_named(self, name: str) -> int:
        with self.transaction():
            tokens = self._write().tokens
            return self._revoke(
                [i for i, (_, t) in tokens.items() if t.name == name and not t.revoked]
            )

    def map_project(self, project: str, customer_id: int) -> None:
        with self.transaction():
            self._statements.append(
                f"MERGE {self._table('projects')} AS t USING (SELECT "
                f"{literal('STRING', project)} AS project, "
                f"{literal('INT64', customer_id)} AS customer_id) AS s "
                "ON t.project = s.project "
                "WHEN MATCHED THEN UPDATE SET customer_id = s.customer_id "
                "WHEN NOT MATCHED THEN INSERT (project, customer_id, created_at) "
                "VALUES (s.project, s.customer_id, CURRENT_TIMESTAMP())"
            )
            self._write().projects[project] = customer_id

    def _column_types(self, table: str) -> dict[str, str]:
        """Column name -> literal type (INT64, ..., ARRAY<STRING>) of ``table``, read once."""
        if table not in self._columns:
            try:
                schema = self.client.get_table(f"{self.dataset}.{table}", retry=_RETRY).schema
            except _ERRORS as exc:
                raise StoreUnavailableError(f"cannot read {table}'s schema: {exc}") from exc
            types = {}
            for column in schema:
                kind = _TYPES.get(column.field_type, column.field_type)
                types[column.name] = f"ARRAY<{kind}>" if column.mode == "REPEATED" else kind
            self._columns[table] = types
        return self._columns[table]

    def put(self, entry: Entry, names: list[str], replace: bool = True) -> None:
        key = lookup_key(entry.id)
        table = ENTRY_TABLES[entry.kind]
        with self.transaction():
            state = self._write()
            if not replace and (entry.kind, key) in state.entries:
                raise NameTakenError(entry.id)
            taken = {
                lookup_key(name)
                for other_key, other in state.entries.items()
                if other_key[0] == entry.kind and other_key[1] != key
                for name in [other.id, *other.fields.get("aliases", [])]
            }
            for name in names:
                if lookup_key(name) in taken:
                    raise NameTakenError(name)
            types = self._column_types(table)
            unknown = [f for f in entry.fields if f not in types or f in METADATA]
            if unknown:
                raise ValueError(f"{table} has no column for the fields {unknown}")
            columns = [*METADATA, *entry.fields]
            values = [
                literal("STRING", entry.id),
                literal("INT64", entry.customer_id),
                literal("BOOL", entry.deleted),
                literal("TIMESTAMP", entry.created_at),
                literal("TIMESTAMP", entry.updated_at),
                literal("STRING", entry.created_by),
                *(literal(types[f], v) for f, v in entry.fields.items()),
            ]
            self._statements.append(
                f"DELETE FROM {self._table(table)} WHERE {_KEY_SQL} = {literal('STRING', key)}"
            )
            self._statements.append(
                f"INSERT INTO {self._table(table)} ({', '.join(columns)}) "
                f"VALUES ({', '.join(values)})"
            )
            state.entries[(entry.kind, key)] = entry

    def remove(self, kind: str, entry_id: str) -> bool:
        key = lookup_key(entry_id)
        with self.transaction():
            state = self._write()
            if (kind, key) not in state.entries:
                return False
            self._statements.append(
                f"DELETE FROM {self._table(ENTRY_TABLES[kind])} "
                f"WHERE {_KEY_SQL} = {literal('STRING', key)}"
            )
            del state.entries[(kind, key)]
            return True
