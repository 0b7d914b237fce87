"""The store interface: what the REST API and the CLI need to persist, and nothing else.

Catalog entries are kept as the API shows them (``fields``: the API object without its
metadata); mapping them to catalog rows is the REST layer's job. Every write is atomic; a group
of writes is atomic inside :meth:`Store.transaction`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

ROLES = ("admin", "user")
# Entries of customer 0 (catalog.defaults.GLOBAL_CUSTOMER_ID) are an admin's changes to the
# global (bundled) catalog.


def now() -> str:
    """The current UTC time, RFC 3339 with a Z (the API's date-time format)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NameTakenError(Exception):
    """A name (id or alias) already names another entry of the same kind."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} already names an entry")
        self.name = name


@dataclass(frozen=True)
class Token:
    """An API token (its secret is never stored, only its SHA-256)."""

    id: int
    role: str
    customer_id: int
    customer: str
    name: str
    rate_per_minute: int | None  # None: the server's default rate
    created_at: str
    revoked: bool


@dataclass(frozen=True)
class Entry:
    """A custom catalog entry (customer_id > 0), or an admin's change to a global entry
    (customer_id 0; ``deleted`` marks a global entry removed)."""

    kind: str
    id: str
    customer_id: int
    fields: dict = field(hash=False)
    created_at: str
    updated_at: str
    created_by: str
    deleted: bool = False


class Store(ABC):
    """Persistence of customers, tokens, BigQuery projects and catalog entries."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Make the writes inside atomic (nested calls join the outer transaction)."""

    @abstractmethod
    def generation(self) -> int:
        """A number that changes whenever catalog entries change (for caches)."""

    # --- customers and tokens ---------------------------------------------------------------

    @abstractmethod
    def customer_id(self, name: str) -> int:
        """Id of the customer called ``name``, created if new (ids start at 1)."""

    @abstractmethod
    def add_token(
        self, token_hash: str, role: str, customer_id: int, name: str, rate_per_minute: int | None
    ) -> Token: ...

    @abstractmethod
    def token(self, token_hash: str) -> Token | None:
        """The live (not revoked) token with this hash."""

    @abstractmethod
    def tokens(self) -> list[Token]: ...

    @abstractmethod
    def revoke_token(self, token_id: int) -> bool: ...

    @abstractmethod
    def revoke_tokens_named(self, name: str) -> int: ...

    # --- BigQuery projects --------------------------------------------------------------------

    @abstractmethod
    def map_project(self, project: str, customer_id: int) -> None:
        """Estimates called from BigQuery project ``project`` use this customer's entries."""

    @abstractmethod
    def project_customer(self, project: str) -> int | None: ...

    @abstractmethod
    def projects(self) -> list[tuple[str, int]]: ...

    # --- catalog entries ----------------------------------------------------------------------

    @abstractmethod
    def entry(self, kind: str, entry_id: str) -> Entry | None:
        """The entry whose id is ``entry_id`` (ids compare like catalog lookups)."""

    @abstractmethod
    def entries(self, kind: str | None = None, customer_id: int | None = None) -> list[Entry]:
        """The entries (of ``kind``, of ``customer_id``), ordered by kind and id."""

    @abstractmethod
    def customers_with_entries(self) -> list[int]:
        """Ids of the customers that own custom entries."""

    @abstractmethod
    def put(self, entry: Entry, names: list[str], replace: bool = True) -> None:
        """Insert ``entry``, or replace the entry of its id if ``replace`` (else
        :class:`NameTakenError`); ``names`` (its id and aliases) must name no other entry of its
        kind (:class:`NameTakenError`)."""

    @abstractmethod
    def remove(self, kind: str, entry_id: str) -> bool: ...
