"""The table DDL of sql/tables/ (reference tables) and sql/store/custom_*.sql (custom entries),
generated from the declarations they must agree with, so that they cannot drift:

- a reference table has the columns of its CSV, in the CSV's order (Terraform's external table
  maps CSV fields to columns by position), typed from ``ai_impact.catalog.SCHEMAS`` (str -> STRING,
  float -> FLOAT64, int -> INT64; a required column is NOT NULL);
- a custom-entry table has one column per field of the REST resource
  (``ai_impact.rest.resources``: string, number, integer, array of strings) and the metadata the
  store keeps (customer, deletion mark, timestamps, author).

``python tests/tools/sql_tables.py`` rewrites the files; tests/test_sql.py fails while a file
differs from what this module generates.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "function") not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT / "function"))

from ai_impact.catalog import SCHEMAS, Schema  # noqa: E402
from ai_impact.rest.resources import RESOURCES, Resource  # noqa: E402

REFERENCE_DIR = ROOT / "sql" / "tables"
STORE_DIR = ROOT / "sql" / "store"
_CATALOG_TYPES = {"str": "STRING", "float": "FLOAT64", "int": "INT64"}
_FIELD_TYPES = {
    "string": "STRING",
    "number": "FLOAT64",
    "integer": "INT64",
    "array": "ARRAY<STRING>",
}
# The kind of each custom-entry table (the store's Entry.kind).
CUSTOM_TABLES = {
    "model": "custom_models",
    "node": "custom_nodes",
    "gpu": "custom_gpus",
    "datacenter": "custom_datacenters",
}
# Metadata columns of a custom-entry table, after the resource's fields.
CUSTOM_METADATA = (
    "customer_id INT64 NOT NULL DEFAULT 1",
    "deleted BOOL NOT NULL DEFAULT FALSE",
    "created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP()",
    "updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP()",
    "created_by STRING NOT NULL DEFAULT SESSION_USER()",
)


def _reference_description(schema: Schema) -> str:
    return (
        f"ai-impact reference table from function/ai_impact/data/{schema.file}; "
        "every row cites its source (column source)."
    )


def _custom_description(kind: str) -> str:
    return (
        f"ai-impact custom {kind}s (REST API /{kind}, or plain INSERTs); "
        "read by the function with a cache TTL."
    )


def reference_ddl(name: str, schema: Schema) -> str:
    columns = ",\n".join(
        f"  {c.name} {_CATALOG_TYPES[c.kind]}{' NOT NULL' if c.required else ''}"
        for c in schema.columns
    )
    return f"""-- Reference table {name}: function/ai_impact/data/{schema.file}.
-- Terraform deploys it as an external table over that CSV (CSV fields mapped to these columns
-- by position), its schema generated from this file (terraform/generated/reference).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: a native copy holds only what the CSV holds (the emulator tests load it).
CREATE OR REPLACE TABLE `${{project_id}}.${{dataset_id}}.{name}` (
{columns}
)
OPTIONS (description = '{_reference_description(schema)}');
"""


def custom_ddl(resource: Resource) -> str:
    table = CUSTOM_TABLES[resource.kind]
    fields = [
        f"  {f.name} {_FIELD_TYPES[f.type]}{' NOT NULL' if f.name == 'id' else ''}"
        for f in resource.fields
    ]
    columns = ",\n".join(fields + [f"  {m}" for m in CUSTOM_METADATA])
    kind = resource.kind
    return f"""-- Custom {kind}s: entries of the REST API (/{kind}) and rows analysts INSERT.
-- Columns: the fields of the API's {resource.schema} object (docs/api.md), then metadata.
-- customer_id: whose entry it is (1, the deployment's own customer, when an INSERT omits it;
-- 0 marks an admin's change to the global catalog). deleted: a global entry removed.
-- Generated from ai_impact.rest.resources by tests/tools/sql_tables.py: do not edit.
-- Terraform creates the table from terraform/generated/store (generated from this file).
-- IF NOT EXISTS: re-applying never touches the entries it holds.
CREATE TABLE IF NOT EXISTS `${{project_id}}.${{dataset_id}}.{table}` (
{columns}
)
OPTIONS (description = '{_custom_description(kind)}');
"""


def generated() -> dict[Path, str]:
    """Every generated file and its text."""
    files = {REFERENCE_DIR / f"{name}.sql": reference_ddl(name, s) for name, s in SCHEMAS.items()}
    for resource in RESOURCES.values():
        files[STORE_DIR / f"{CUSTOM_TABLES[resource.kind]}.sql"] = custom_ddl(resource)
    return files


if __name__ == "__main__":
    for path, text in generated().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
