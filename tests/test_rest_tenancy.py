"""Catalog objects <-> catalog rows, and the global and per-customer catalogs (in process)."""

from __future__ import annotations

import math

import pytest

from ai_impact import catalog as _catalog
from ai_impact.rest.resources import RESOURCES, from_row, slug, to_row
from ai_impact.rest.tenancy import apply_global, extend_custom
from ai_impact.store import Entry

CATALOG = _catalog.default()


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


@pytest.mark.parametrize("kind", RESOURCES)
def test_every_global_row_maps_to_an_object_and_back_unchanged(kind: str) -> None:
    resource = RESOURCES[kind]
    table = CATALOG.tables[resource.table]
    for i in range(len(table)):
        row = table.row(i)
        obj = from_row(resource, row, CATALOG)
        key = row[resource.key_column]
        back = to_row(resource, key, {k: v for k, v in obj.items() if k != "id"}, CATALOG)
        for column, value in row.items():
            if value is not None:
                assert same(back[column], value), (key, column)


def test_global_node_ids_have_unique_api_forms() -> None:
    ids = [slug(n) for n in CATALOG.nodes["node_id"]]
    assert len(set(ids)) == len(ids)
    assert all(3 <= len(i) <= 64 for i in ids)


def change(kind: str, entry_id: str, deleted: bool = False, **fields: object) -> Entry:
    return Entry(kind, entry_id, 0, fields, "t", "t", "admin", deleted)


def full_fields(kind: str, entry_id: str) -> dict:
    resource = RESOURCES[kind]
    table = CATALOG.tables[resource.table]
    obj = from_row(resource, table.row(table.find(entry_id)), CATALOG)
    return {k: v for k, v in obj.items() if k != "id"}


def test_admin_changes_replace_and_remove_rows() -> None:
    p5 = full_fields("node", "aws:p5.48xlarge") | {"cpu_count": 100}
    p4d = full_fields("node", "aws:p4d.24xlarge") | {"cpu_count": 50}
    h100 = full_fields("gpu", "h100") | {"max_power_w": 650}
    unused = next(
        n for n in CATALOG.nodes["node_id"] if n not in CATALOG.services["default_node_id"]
    )
    changed = apply_global(
        CATALOG,
        [
            change("node", "aws:p5.48xlarge", **p5),
            change("node", "aws:p4d.24xlarge", **p4d),
            change("gpu", "h100", **h100),
            change("node", unused, deleted=True),
        ],
    )
    nodes = changed.nodes
    assert len(nodes) == len(CATALOG.nodes) - 1
    assert nodes["cpu_count"][nodes.find("aws:p5.48xlarge")] == 100
    assert nodes["cpu_count"][nodes.find("aws:p4d.24xlarge")] == 50
    assert nodes.find(unused) is None
    assert changed.gpus["tdp_w"][changed.gpus.find("h100")] == 650
    # The bundled catalog itself is untouched.
    assert CATALOG.nodes.find(unused) is not None


def test_deleting_a_used_gpu_breaks_the_catalog() -> None:
    with pytest.raises(_catalog.CatalogError):
        apply_global(CATALOG, [change("gpu", "h100", deleted=True)])


def test_custom_entries_extend_a_copy() -> None:
    node = Entry(
        "node", "my-box", 7, {"gpu_id": "h100", "gpu_count": 2, "cpu_count": 8}, "t", "t", "u"
    )
    custom = extend_custom(CATALOG, [node])
    row = custom.nodes.row(custom.nodes.find("my-box"))
    reference = CATALOG.nodes.row(CATALOG.nodes.find("aws:p5.48xlarge"))
    assert row["idle_power_w_ex_gpu"] == pytest.approx(reference["idle_power_w_ex_gpu"] * 2 / 8)
    assert row["use_life_years"] == reference["use_life_years"]
    assert CATALOG.nodes.find("my-box") is None
