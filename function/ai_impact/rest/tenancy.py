"""Whose catalog: the global one and each customer's, built from the bundled catalog and the
store, cached until the store changes.

- global catalog = the bundled CSVs with the admins' changes (store entries of customer 0:
  replaced rows, and deleted rows) applied;
- a customer's catalog = the global catalog extended with that customer's custom entries
  (:meth:`ai_impact.catalog.Catalog.extend`, which validates them like CSV rows).

Caches are keyed by the store's generation, so every process sees every write (several server
processes may share one store file).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ai_impact
from ai_impact import catalog as _catalog
from ai_impact.catalog import Catalog, CatalogError
from ai_impact.catalog.defaults import CATALOG_AUTHOR, CATALOG_DATE, GLOBAL_CUSTOMER_ID
from ai_impact.logs import log
from ai_impact.rest.resources import NODE, RESOURCES, Resource, from_row, to_row
from ai_impact.store import Entry, Store

CUSTOM_SOURCE = "custom entry (REST API)"
Estimate = Callable[..., list[dict]]


@dataclass(frozen=True)
class Item:
    """A catalog entry as the API sees it: ``obj`` is the full API object (extension fields
    and ``id`` in its API form included); ``key`` is its catalog id."""

    resource: Resource
    key: str
    obj: dict
    customer_id: int
    created_at: str
    updated_at: str
    created_by: str
    fields: dict  # what a PUT merges into: the stored fields, or obj without id

    @property
    def is_global(self) -> bool:
        return self.customer_id == GLOBAL_CUSTOMER_ID


def apply_global(base: Catalog, changes: Sequence[Entry]) -> Catalog:
    """``base`` with the admins' changes: changed rows replaced, deleted rows removed."""
    if not changes:
        return base
    drop: dict[str, set[int]] = {}
    added: dict[str, list[dict]] = {}
    for entry in changes:
        resource = RESOURCES[entry.kind]
        row = base.tables[resource.table].find(entry.id)
        if row is not None:
            drop.setdefault(resource.table, set()).add(row)
        if not entry.deleted:
            added.setdefault(resource.table, []).append(
                to_row(resource, entry.id, entry.fields, base)
            )
    return base.extend(added, drop=drop)


def extend_custom(global_catalog: Catalog, entries: Sequence[Entry]) -> Catalog:
    """The global catalog plus custom ``entries`` (nodes may refer to GPUs and datacenters
    among them: the catalog checks the references of all the tables together)."""
    if not entries:
        return global_catalog
    rows: dict[str, list[dict]] = {"gpus": [], "nodes": [], "models": [], "datacenters": []}
    for entry in entries:
        resource = RESOURCES[entry.kind]
        rows[resource.table].append(to_row(resource, entry.id, entry.fields, global_catalog))
    return global_catalog.extend(rows, source=CUSTOM_SOURCE)


def _extend_skipping_invalid(
    global_catalog: Catalog, entries: Sequence[Entry], customer_id: int
) -> Catalog:
    """:func:`extend_custom`, leaving out (and logging) entries that do not validate. The REST
    API refuses invalid writes, but rows INSERTed with SQL into the BigQuery store are not
    checked: one bad row must not stop the customer's estimates."""
    try:
        return extend_custom(global_catalog, entries)
    except (CatalogError, ValueError):
        pass
    order = {"gpu": 0, "datacenter": 1, "node": 2, "model": 3}  # nodes refer to both
    catalog = global_catalog
    for entry in sorted(entries, key=lambda e: order.get(e.kind, 3)):
        try:
            catalog = extend_custom(catalog, [entry])
        except (CatalogError, ValueError) as problem:
            log(
                "WARNING",
                "custom entry skipped",
                customer_id=customer_id,
                kind=entry.kind,
                id=entry.id,
                problem=str(problem),
            )
    return catalog


def custom_item(resource: Resource, entry: Entry, global_catalog: Catalog) -> Item:
    """A custom entry: its fields as stored, plus the derived values of the extension fields
    it does not give (the catalog columns it was completed with)."""
    row = to_row(resource, entry.id, entry.fields, global_catalog)
    derived = from_row(resource, row, global_catalog)
    obj = {f.name: derived[f.name] for f in resource.fields if f.extension and f.name in derived}
    obj |= {k: v for k, v in entry.fields.items() if v is not None} | {"id": entry.id}
    return Item(
        resource,
        entry.id,
        obj,
        entry.customer_id,
        entry.created_at,
        entry.updated_at,
        entry.created_by,
        entry.fields,
    )


def _global_items(resource: Resource, catalog: Catalog, changes: dict[str, Entry]) -> list[Item]:
    table = catalog.tables[resource.table]
    items = []
    for i in range(len(table)):
        row = table.row(i)
        key = row[resource.key_column]
        obj = from_row(resource, row, catalog)
        change = changes.get(_catalog.lookup_key(key))
        fields = {k: v for k, v in obj.items() if k != "id"}
        stamp = (CATALOG_DATE, CATALOG_DATE, CATALOG_AUTHOR)
        if change is not None:
            stamp = (change.created_at, change.updated_at, change.created_by)
        items.append(Item(resource, key, obj, GLOBAL_CUSTOMER_ID, *stamp, fields))
    return items


@dataclass
class _Snapshot:
    """What one store generation (and one bundled catalog) gives."""

    key: tuple
    global_catalog: Catalog
    global_items: dict[str, dict[str, Item]]  # kind -> lookup key of the id -> item
    node_keys: dict[str, str]  # API form of a global node id -> catalog id
    customers: dict[int, Catalog]


class Catalogs:
    """The catalogs of the global scope and of each customer, cached per store generation."""

    def __init__(self, store: Store, base: Callable[[], Catalog] = _catalog.default) -> None:
        self.store = store
        self._base = base
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def _current(self) -> _Snapshot:
        base = self._base()
        key = (self.store.generation(), id(base))
        snapshot = self._snapshot
        if snapshot is not None and snapshot.key == key:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.key != key:
                self._snapshot = self._build(key, base)
            return self._snapshot

    def _build(self, key: tuple, base: Catalog) -> _Snapshot:
        changes = self.store.entries(customer_id=GLOBAL_CUSTOMER_ID)
        global_catalog = apply_global(base, changes)
        items = {}
        for kind, resource in RESOURCES.items():
            by_key = {_catalog.lookup_key(c.id): c for c in changes if c.kind == kind}
            items[kind] = {
                _catalog.lookup_key(item.key): item
                for item in _global_items(resource, global_catalog, by_key)
            }
        node_keys = {item.obj["id"]: item.key for item in items[NODE.kind].values()}
        return _Snapshot(key, global_catalog, items, node_keys, {})

    def global_catalog(self) -> Catalog:
        return self._current().global_catalog

    def global_items(self, resource: Resource) -> dict[str, Item]:
        """The global entries of ``resource`` by the lookup key of their catalog id."""
        return self._current().global_items[resource.kind]

    def node_key(self, node_id: str) -> str:
        """The catalog id of a node named in its API form (or already a catalog id)."""
        return self._current().node_keys.get(node_id, node_id)

    def for_customer(self, customer_id: int | None) -> Catalog:
        """The catalog of ``customer_id`` (the global one for None)."""
        snapshot = self._current()
        if customer_id is None:
            return snapshot.global_catalog
        found = snapshot.customers.get(customer_id)
        if found is None:
            entries = self.store.entries(customer_id=customer_id)
            found = _extend_skipping_invalid(snapshot.global_catalog, entries, customer_id)
            snapshot.customers[customer_id] = found
        return found

    def check(self, customer_ids: Sequence[int] | None) -> None:
        """Build, uncached, the catalogs the store now gives (inside a write transaction):
        the global one and those of ``customer_ids`` (every customer's if None). Raises
        CatalogError (or ValueError) if any would not load."""
        global_catalog = apply_global(
            self._base(), self.store.entries(customer_id=GLOBAL_CUSTOMER_ID)
        )
        ids = self.store.customers_with_entries() if customer_ids is None else customer_ids
        for customer_id in ids:
            extend_custom(global_catalog, self.store.entries(customer_id=customer_id))

    def estimator(self, customer_id: int | None) -> Estimate:
        """``estimate(rows, debug=False)`` over ``customer_id``'s catalog; ``node_id`` may be
        given in its API form (``aws-p5-48xlarge``)."""
        catalog = self.for_customer(customer_id)
        node_keys = self._current().node_keys

        def estimate(
            rows: Sequence[Mapping],
            debug: bool = False,
            emissions_basis: str = "location",
            model_match: str = "fallback",
            ranges: bool = False,
        ) -> list[dict]:
            keyed = [_with_node_key(r, node_keys) for r in rows]
            return ai_impact.estimate(
                keyed,
                debug=debug,
                emissions_basis=emissions_basis,
                catalog=catalog,
                model_match=model_match,
                ranges=ranges,
            )

        return estimate


def _with_node_key(row: Mapping, node_keys: dict[str, str]) -> Mapping:
    if isinstance(row, Mapping):
        node_id = row.get("node_id")
        if isinstance(node_id, str) and node_id in node_keys:
            return {**row, "node_id": node_keys[node_id]}
    return row
