"""What Terraform declares in BigQuery, generated from sql/ so that it cannot drift from the SQL
the tests run:

- ``terraform/generated/routines.json``: every routine of sql/functions as the arguments of a
  ``google_bigquery_routine`` (name, arguments, return type as the API's StandardSqlDataType
  JSON, SQL body verbatim, or the remote function's options);
- ``terraform/generated/reference/<table>.json`` and ``terraform/generated/store/<table>.json``:
  the BigQuery JSON schema of each table of sql/tables and sql/store (columns, types, modes,
  DEFAULT expressions), for ``google_bigquery_table.schema``.

Types and JSON are written in the form the BigQuery API returns them (key order included), since
the provider compares ``return_type`` and argument types as text.

``python tests/tools/bq_resources.py`` rewrites the files; tests/test_terraform.py fails while a
file differs from what this module generates.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import sqlglot
from sqlglot import exp

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests") not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT / "tests"))

from tools import render  # noqa: E402

SQL_DIR = ROOT / "sql"
OUT_DIR = ROOT / "terraform" / "generated"
# Placeholders of the CREATE statements; only the routine and table names use them.
_NAMES = {"project_id": "p", "dataset_id": "d", "connection": "p.us.c", "endpoint": "https://e"}
_NAMES |= {"customer_name": "c", "caller_projects": "[]"}
# The SQL body of a function: what sits between "AS (" and the closing ");" of the file.
_BODY = re.compile(r"\nAS \(\n(?P<body>.*)\n\);\s*$", re.S)
# sqlglot type names -> BigQuery type kinds.
_KINDS = {
    "BIGINT": "INT64",
    "INT": "INT64",
    "DOUBLE": "FLOAT64",
    "FLOAT": "FLOAT64",
    "VARCHAR": "STRING",
    "TEXT": "STRING",
    "BOOLEAN": "BOOL",
    "JSON": "JSON",
    "TIMESTAMPTZ": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP",
    "DATE": "DATE",
    "DECIMAL": "NUMERIC",
}


def _parse(path: Path) -> exp.Create:
    text = render.render(path.read_text(encoding="utf-8"), _NAMES)
    (create,) = [s for s in sqlglot.parse(text, read="bigquery") if s is not None]
    assert isinstance(create, exp.Create), path
    return create


def _kind(data_type: exp.DataType) -> str:
    name = data_type.this.name
    if name not in _KINDS:
        raise ValueError(f"no BigQuery type for {data_type.sql(dialect='bigquery')}")
    return _KINDS[name]


def standard_sql_type(data_type: exp.DataType) -> dict:
    """A column or argument type as the API's StandardSqlDataType (typeKind first)."""
    if data_type.is_type(exp.DataType.Type.STRUCT):
        fields = [
            {"name": f.name, "type": standard_sql_type(f.args["kind"])}
            for f in data_type.expressions
        ]
        return {"typeKind": "STRUCT", "structType": {"fields": fields}}
    if data_type.is_type(exp.DataType.Type.ARRAY):
        return {
            "typeKind": "ARRAY",
            "arrayElementType": standard_sql_type(data_type.expressions[0]),
        }
    return {"typeKind": _kind(data_type)}


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def routine(path: Path) -> dict:
    """The routine of one sql/functions file, as google_bigquery_routine arguments."""
    create = _parse(path)
    props = create.args["properties"].expressions
    returns = next(p for p in props if isinstance(p, exp.ReturnsProperty)).this
    arguments = [
        {"name": c.name, "data_type": _compact(standard_sql_type(c.args["kind"]))}
        for c in create.this.expressions
    ]
    out: dict = {
        "routine_id": path.stem,
        "arguments": arguments,
        "return_type": _compact(standard_sql_type(returns)),
    }
    if any(isinstance(p, exp.RemoteWithConnectionModelProperty) for p in props):
        options = {p.name: p.args["value"] for p in props if type(p) is exp.Property}
        context = {
            t.expressions[0].name: t.expressions[1].name
            for t in options["user_defined_context"].expressions
        }
        out |= {
            "remote": True,
            "definition_body": "",
            "description": options["description"].name,
            "max_batching_rows": int(options["max_batching_rows"].name),
            "user_defined_context": context,
        }
    else:
        found = _BODY.search(path.read_text(encoding="utf-8"))
        if found is None:
            raise ValueError(f"{path}: the body must sit between a line 'AS (' and a final ');'")
        if render.placeholders(found["body"]):
            # Terraform passes the body as it is: a ${name} would reach BigQuery unrendered.
            raise ValueError(f"{path}: a function body cannot use ${{...}} placeholders")
        text = path.read_text(encoding="utf-8")
        out |= {"remote": False, "definition_body": found["body"], "description": summary(text)}
    return out


def summary(text: str) -> str:
    """The first paragraph of the leading comment of a SQL file, its lines joined by spaces: it
    says what the function is, and is its description. The paragraph ends at the first empty
    comment line (``--``), blank line or line that is not a comment."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("-- ") or not line[3:].strip():
            break
        lines.append(line[3:].strip())
    if not lines:
        raise ValueError("a SQL function file must start with a comment saying what it is")
    return " ".join(lines)


# Column types as the tables API names them (and returns them: the provider compares).
_LEGACY = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN"}


def _column_kind(data_type: exp.DataType) -> str:
    kind = _kind(data_type)
    return _LEGACY.get(kind, kind)


def table_schema(path: Path) -> list[dict]:
    """The BigQuery JSON schema of the CREATE TABLE of ``path``."""
    create = _parse(path)
    fields = []
    for column in create.this.expressions:
        kind = column.args["kind"]
        field = {"name": column.name}
        if kind.is_type(exp.DataType.Type.ARRAY):
            field |= {"type": _column_kind(kind.expressions[0]), "mode": "REPEATED"}
        else:
            required = any(
                isinstance(c.kind, exp.NotNullColumnConstraint) for c in column.constraints
            )
            field |= {"type": _column_kind(kind), "mode": "REQUIRED" if required else "NULLABLE"}
        for constraint in column.constraints:
            if isinstance(constraint.kind, exp.DefaultColumnConstraint):
                field["defaultValueExpression"] = constraint.kind.this.sql(dialect="bigquery")
        fields.append(field)
    return fields


def schema_changes(old: list[dict], new: list[dict]) -> list[str]:
    """Why going from table schema ``old`` to ``new`` would re-create the table, as the google
    provider decides it (resourceBigQueryTableSchemaIsChangeable, resource_bigquery_table.go):
    a column dropped or renamed, a type changed, a mode changed other than REQUIRED to NULLABLE,
    a new REQUIRED column. Empty: the provider updates the table in place, keeping its rows."""
    problems = []
    before = {f["name"]: f for f in old}
    after = {f["name"]: f for f in new}
    for name, field in before.items():
        if name not in after:
            problems.append(f"column {name} dropped")
            continue
        if field["type"] != after[name]["type"]:
            problems.append(f"column {name}: type {field['type']} -> {after[name]['type']}")
        modes = (field.get("mode", "NULLABLE"), after[name].get("mode", "NULLABLE"))
        if modes[0] != modes[1] and modes != ("REQUIRED", "NULLABLE"):
            problems.append(f"column {name}: mode {modes[0]} -> {modes[1]}")
    for name, field in after.items():
        if name not in before and field.get("mode") == "REQUIRED":
            problems.append(f"new column {name} is REQUIRED")
    return problems


def _column_ddl(field: dict) -> str:
    kind = {v: k for k, v in _LEGACY.items()}.get(field["type"], field["type"])
    mode = field.get("mode", "NULLABLE")
    text = f"{field['name']} {f'ARRAY<{kind}>' if mode == 'REPEATED' else kind}"
    text += " NOT NULL" if mode == "REQUIRED" else ""
    if "defaultValueExpression" in field:
        text += f" DEFAULT {field['defaultValueExpression']}"
    return text


def create_table_ddl(table: str, fields: list[dict]) -> str:
    """``CREATE TABLE`` of a JSON schema: a store as an earlier release created it."""
    columns = ",\n".join(f"  {_column_ddl(f)}" for f in fields)
    return f"CREATE TABLE `{table}` (\n{columns}\n)"


def add_columns_ddl(table: str, old: list[dict], new: list[dict]) -> list[str]:
    """The ``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` statements taking an additive change
    from ``old`` to ``new`` by hand (what the provider's in-place update does to the table)."""
    known = {f["name"] for f in old}
    return [
        f"ALTER TABLE `{table}` ADD COLUMN IF NOT EXISTS {_column_ddl(f)}"
        for f in new
        if f["name"] not in known
    ]


def generated() -> dict[Path, str]:
    """Every generated file and its text."""
    routines = [routine(p) for p in sorted((SQL_DIR / "functions").glob("*.sql"))]
    files = {OUT_DIR / "routines.json": json.dumps(routines, indent=2) + "\n"}
    for kind, directory in (("reference", "tables"), ("store", "store")):
        for path in sorted((SQL_DIR / directory).glob("*.sql")):
            if path.stem != "seed":
                schema = json.dumps(table_schema(path), indent=2) + "\n"
                files[OUT_DIR / kind / f"{path.stem}.json"] = schema
    return files


if __name__ == "__main__":
    for target, text in generated().items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
