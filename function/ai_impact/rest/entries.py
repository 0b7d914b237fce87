"""The catalog endpoints: list, get, create, update and delete models, nodes and GPUs, and
model aliases, with tenancy.

Visibility: global entries (the bundled catalog) to every caller; custom entries to their
customer and to admins. Writes: custom entries by their customer and admins; global entries by
admins only (403 otherwise). Another customer's custom entry is answered 404, as an unknown id.
Ids and aliases are unique across the global catalog and every customer (409).
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_impact.catalog import REFERENCES, Catalog, CatalogError, lookup_key
from ai_impact.catalog.defaults import GLOBAL_CUSTOMER_ID
from ai_impact.rest import schemas
from ai_impact.rest.errors import ApiError, bad_request, conflict, forbidden, not_found
from ai_impact.rest.resources import MODEL, NODE, RESOURCES, Resource, scope3_fields, slug
from ai_impact.rest.tenancy import Catalogs, Item, custom_item
from ai_impact.store import Entry, NameTakenError, Store, Token
from ai_impact.store.base import now

# Query parameter -> API field compared, per resource (values compare like catalog ids).
FILTERS: dict[str, dict[str, str]] = {
    "model": {"family": "family"},
    "node": {
        "service": "managed_service_id",
        "cloud": "cloud_id",
        "gpu": "gpu_id",
        "instance": "cloud_instance_id",
    },
    "gpu": {},
    "datacenter": {"country": "country", "cloud": "cloud_id"},
}


@dataclass(frozen=True)
class Caller:
    token: Token
    store: Store
    catalogs: Catalogs

    @property
    def is_admin(self) -> bool:
        return self.token.role == "admin"

    @property
    def label(self) -> str:
        """``created_by`` of what this caller writes."""
        return self.token.name or f"token-{self.token.id}"


def present(caller: Caller, item: Item, extensions: bool = False) -> dict:
    """The API object: the hosted API's fields (plus extensions if asked) and metadata.
    ``customer_id`` is disclosed to admins only; others get 0 where the SDK requires the key
    (Model, GPU) and no key where it is optional (Node)."""
    out = scope3_fields(item.resource, item.obj, extensions)
    out["id"] = item.obj["id"]
    if item.resource is MODEL:
        out.setdefault("aliases", [])
    if caller.is_admin:
        out["customer_id"] = item.customer_id
    elif item.resource is not NODE:
        out["customer_id"] = GLOBAL_CUSTOMER_ID
    out |= {
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "created_by": item.created_by,
    }
    return out


def find(caller: Caller, resource: Resource, entry_id: str) -> Item | None:
    """The entry ``entry_id`` names, if the caller may see it."""
    key = caller.catalogs.node_key(entry_id) if resource is NODE else entry_id
    entry = caller.store.entry(resource.kind, key)
    if entry is not None and entry.customer_id != GLOBAL_CUSTOMER_ID:
        if not caller.is_admin and entry.customer_id != caller.token.customer_id:
            return None
        return custom_item(resource, entry, caller.catalogs.global_catalog())
    return caller.catalogs.global_items(resource).get(lookup_key(key))


def _visible(caller: Caller, resource: Resource) -> list[Item]:
    global_catalog = caller.catalogs.global_catalog()
    customer = None if caller.is_admin else caller.token.customer_id
    custom = [
        custom_item(resource, e, global_catalog)
        for e in caller.store.entries(resource.kind, customer)
        if e.customer_id != GLOBAL_CUSTOMER_ID
    ]
    return [*caller.catalogs.global_items(resource).values(), *custom]


def list_entries(caller: Caller, resource: Resource, args: dict) -> tuple[dict, dict]:
    """``{models|nodes|gpus: [...]}`` sorted by id, at most 100 (``limit``, ``offset``), and
    the ``X-Total-Count`` header."""
    extensions = bool(schemas.query_flag(args, "extensions"))
    limit = schemas.query_count(args, "limit", schemas.MAX_PAGE, schemas.MAX_PAGE)
    offset = schemas.query_count(args, "offset", 0, 10**9)
    wanted = {
        # The SDK 0.3.0 sends its Family enum as "Family.llama" (str() of a str Enum).
        field: lookup_key(args[name].removeprefix("Family."))
        for name, field in FILTERS[resource.kind].items()
        if args.get(name) is not None
    }
    custom = schemas.query_flag(args, "custom") if resource is NODE else None
    items = [
        item
        for item in _visible(caller, resource)
        if (custom is None or custom != item.is_global)
        and all(lookup_key(str(item.obj.get(f) or "")) == v for f, v in wanted.items())
    ]
    items.sort(key=lambda item: item.obj["id"])
    page = [present(caller, item, extensions) for item in items[offset : offset + limit]]
    return {resource.list_key: page}, {"X-Total-Count": str(len(items))}


def get_entry(caller: Caller, resource: Resource, entry_id: str, args: dict) -> dict:
    item = find(caller, resource, entry_id)
    if item is None:
        raise not_found(resource.title, entry_id)
    return present(caller, item, bool(schemas.query_flag(args, "extensions")))


def _writable(caller: Caller, resource: Resource, entry_id: str) -> Item:
    item = find(caller, resource, entry_id)
    if item is None:
        raise not_found(resource.title, entry_id)
    if item.is_global and not caller.is_admin:
        raise forbidden(f"cannot modify global {resource.title}s without admin privileges")
    return item


def _check_free(
    caller: Caller, resource: Resource, names: list[str], own: str, alias_field: str = "aliases"
) -> None:
    """409 if a name is an id or alias of another entry of the global catalog; ``names`` is the
    id, then the aliases (named ``alias_field`` in the request)."""
    table = caller.catalogs.global_catalog().tables[resource.table]
    for i, name in enumerate(names):
        row = table.find(name)
        taken = row is not None and lookup_key(table[resource.key_column][row]) != lookup_key(own)
        if taken or (resource is NODE and caller.catalogs.node_key(name) != name):
            what = "alias" if i else "id"
            raise conflict(
                f"{what} {name!r} already names a global {resource.title}",
                alias_field if i else "id",
            )


def _names(entry_id: str, fields: dict) -> list[str]:
    return [entry_id, *fields.get("aliases", [])]


def _catalog_of(caller: Caller, customer_id: int) -> Catalog:
    if customer_id == GLOBAL_CUSTOMER_ID:
        return caller.catalogs.global_catalog()
    return caller.catalogs.for_customer(customer_id)


# A referenced catalog table -> the resource whose entries it holds.
_TABLE_RESOURCES = {r.table: r for r in RESOURCES.values()}


def _check_references(caller: Caller, resource: Resource, customer_id: int, fields: dict) -> None:
    """400 naming the request field when it names no entry the owner of the entry can see (a
    node's ``gpu_id``, a model's ``fine_tuned_from_model_id``), said in the API's terms before
    the catalog check would say it in the CSV files'."""
    catalog = _catalog_of(caller, customer_id)
    for f in resource.fields:
        target = REFERENCES.get((resource.table, f.column or ""))
        value = fields.get(f.name)
        if target is None or value is None or catalog.tables[target].find(str(value)) is not None:
            continue
        kind = _TABLE_RESOURCES[target]
        message = f"{f.name}: no {kind.title} {value!r} (GET /{kind.kind} lists them)"
        raise bad_request(message, f.name)


def _users(caller: Caller, entry: Entry) -> list[str]:
    """The entries that name ``entry`` ("node 'acme-node-1'"), in the catalogs it is part of:
    its customer's, or, for a global entry, the global one and every customer's."""
    resource = RESOURCES[entry.kind]
    if entry.customer_id == GLOBAL_CUSTOMER_ID:
        customers = [GLOBAL_CUSTOMER_ID, *caller.store.customers_with_entries()]
    else:
        customers = [entry.customer_id]
    key = lookup_key(entry.id)
    found: dict[str, None] = {}
    for customer_id in customers:
        catalog = _catalog_of(caller, customer_id)
        for (table_name, column), target in REFERENCES.items():
            if target != resource.table:
                continue
            table = catalog.tables[table_name]
            user = _TABLE_RESOURCES.get(table_name)
            title = user.title if user is not None else table_name.removesuffix("s")
            for i, value in enumerate(table[column]):
                if value is not None and lookup_key(value) == key:
                    user_id = str(table[table.schema.key[0]][i])
                    shown = slug(user_id) if user is NODE else user_id
                    found[f"{title} {shown!r}"] = None
    return list(found)


def _save(
    caller: Caller, entry: Entry, names: list[str], mode: str, alias_field: str = "aliases"
) -> None:
    """Write ``entry`` (``mode``: create, update or delete) and check that every catalog it
    touches still loads, atomically."""
    customers = None if entry.customer_id == GLOBAL_CUSTOMER_ID else [entry.customer_id]
    try:
        with caller.store.transaction():
            if mode == "delete" and entry.customer_id != GLOBAL_CUSTOMER_ID:
                caller.store.remove(entry.kind, entry.id)
            else:
                caller.store.put(entry, names, replace=mode != "create")
            caller.catalogs.check(customers)
    except NameTakenError as exc:
        is_id = lookup_key(exc.name) == lookup_key(entry.id)
        what = "id" if is_id else "alias"
        raise conflict(
            f"{what} {exc.name!r} already names a {entry.kind}", "id" if is_id else alias_field
        ) from None
    except (CatalogError, ValueError) as exc:
        if mode == "delete":
            users = _users(caller, entry)
            if not users:
                raise conflict(f"{entry.kind} {entry.id!r} is in use: {exc}") from None
            title = RESOURCES[entry.kind].title
            shown = slug(entry.id) if entry.kind == NODE.kind else entry.id
            message = f"{title} {shown!r} is in use by {', '.join(users)}"
            raise conflict(message) from None
        if "already names" in str(exc):
            raise conflict(str(exc)) from None
        raise bad_request(str(exc)) from None


def create_entry(caller: Caller, resource: Resource, body: object) -> dict:
    fields = schemas.write_fields(resource, body, create=True)
    entry_id = fields.pop("id")
    fields = {k: v for k, v in fields.items() if v is not None}
    names = _names(entry_id, fields)
    _check_references(caller, resource, caller.token.customer_id, fields)
    _check_free(caller, resource, names, own="")
    stamp = now()
    entry = Entry(
        resource.kind, entry_id, caller.token.customer_id, fields, stamp, stamp, caller.label
    )
    _save(caller, entry, names, "create")
    return present(caller, custom_item(resource, entry, caller.catalogs.global_catalog()))


def _replace(caller: Caller, item: Item, fields: dict, alias_field: str = "aliases") -> Entry:
    fields = {k: v for k, v in fields.items() if v is not None}
    names = _names(item.key, fields)
    _check_references(caller, item.resource, item.customer_id, fields)
    _check_free(caller, item.resource, names, own=item.key, alias_field=alias_field)
    entry = Entry(
        item.resource.kind,
        item.key,
        item.customer_id,
        fields,
        item.created_at,
        now(),
        item.created_by,
    )
    _save(caller, entry, names, "update", alias_field)
    return entry


def update_entry(caller: Caller, resource: Resource, entry_id: str, body: object) -> dict:
    item = _writable(caller, resource, entry_id)
    changes = schemas.write_fields(resource, body, create=False)
    _replace(caller, item, item.fields | changes)
    updated = find(caller, resource, item.key)
    if updated is None:  # deleted by another request meanwhile
        raise not_found(resource.title, entry_id)
    return present(caller, updated)


def delete_entry(caller: Caller, resource: Resource, entry_id: str) -> None:
    item = _writable(caller, resource, entry_id)
    entry = Entry(
        resource.kind,
        item.key,
        item.customer_id,
        {},
        item.created_at,
        now(),
        caller.label,
        deleted=True,
    )
    _save(caller, entry, [], "delete")


def add_alias(caller: Caller, model_id: str, body: object) -> None:
    item = _writable(caller, MODEL, model_id)
    alias = schemas.parse(schemas.AliasRequest, body).alias
    aliases = item.fields.get("aliases", [])
    if lookup_key(alias) in {lookup_key(a) for a in [item.key, *aliases]}:
        raise conflict(f"alias {alias!r} already exists", "alias")
    _replace(caller, item, item.fields | {"aliases": [*aliases, alias]}, alias_field="alias")


def remove_alias(caller: Caller, model_id: str, alias: str) -> None:
    item = _writable(caller, MODEL, model_id)
    aliases = item.fields.get("aliases", [])
    kept = [a for a in aliases if lookup_key(a) != lookup_key(alias)]
    if len(kept) == len(aliases):
        raise ApiError(404, "not_found", f"alias {alias!r} not found on model {model_id!r}")
    _replace(caller, item, item.fields | {"aliases": kept})
