"""sql/, checked without BigQuery: every file parses into real BigQuery statements, the remote
functions say what the handler expects and fit BigQuery's limits, no remote call sits where
BigQuery would stop batching, and the table DDL agrees with the CSVs and the REST resources."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import orjson
import pytest
import sqlglot
from sqlglot import exp

import ai_impact
from ai_impact import bigquery
from ai_impact.catalog import DATA_DIR, SCHEMAS
from tools import render, sql_tables

ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = ROOT / "sql"
SQL_FILES = sorted(SQL_DIR.rglob("*.sql"))
FUNCTION_FILES = sorted((SQL_DIR / "functions").glob("*.sql"))
REMOTE = (
    "ai_impact",
    "ai_impact_debug",
    "ai_impact_market",
    "ai_impact_scope3",
    "ai_impact_with_ranges",
)
# Values for every placeholder sql/ uses (docs/sql.md lists them).
VALUES = {
    "project_id": "my-project",
    "dataset_id": "ai_impact",
    "connection": "my-project.us.ai-impact",
    "endpoint": "https://ai-impact-abc123-uc.a.run.app",
    "customer_name": "default",
    "caller_projects": '["my-project", "other-project"]',
    "litellm_spend_logs": "my-project.litellm.spend_logs",
    "otel_spans": "my-project.otel.spans",
    "impacts_table": "my-project.ai_impact.litellm_impacts",
    "hourly_intensity": "my-project.grid.hourly_intensity",
}


def statements(path: Path) -> list[exp.Expression]:
    text = render.render(path.read_text(encoding="utf-8"), VALUES)
    return [s for s in sqlglot.parse(text, read="bigquery") if s is not None]


def remote_options(path: Path) -> dict[str, exp.Expression]:
    (create,) = statements(path)
    props = create.args["properties"].expressions
    (remote,) = [p for p in props if isinstance(p, exp.RemoteWithConnectionModelProperty)]
    connection = remote.this
    assert ".".join([connection.catalog, connection.db, connection.name]) == VALUES["connection"]
    return {p.name: p.args["value"] for p in props if type(p) is exp.Property}


def user_defined_context(path: Path) -> dict[str, str]:
    pairs = remote_options(path)["user_defined_context"]
    return {t.expressions[0].name: t.expressions[1].name for t in pairs.expressions}


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_every_file_parses_into_real_statements(path: Path) -> None:
    parsed = statements(path)
    assert parsed, f"{path} holds no statement"
    for statement in parsed:
        # sqlglot falls back to an opaque Command for what it cannot parse.
        assert not isinstance(statement, exp.Command), statement.sql()[:200]


def test_placeholders_are_the_documented_ones() -> None:
    used = set().union(*(render.placeholders(p.read_text()) for p in SQL_FILES))
    assert used == set(VALUES)
    doc = (ROOT / "docs" / "sql.md").read_text(encoding="utf-8")
    for name in used:
        assert f"${{{name}}}" in doc, f"${{{name}}} is not documented in docs/sql.md"


def test_function_files_create_the_routine_they_are_named_after() -> None:
    for path in FUNCTION_FILES:
        (create,) = statements(path)
        assert isinstance(create, exp.Create) and create.kind == "FUNCTION"
        table = create.this.this
        assert (table.catalog, table.db, table.name) == (
            VALUES["project_id"],
            VALUES["dataset_id"],
            path.stem,
        )


# GoogleSQL's reserved keywords: an identifier equal to one must be quoted with backticks,
# except after a dot in a path (Google Cloud, BigQuery "Lexical structure and syntax in
# GoogleSQL", sections "Reserved keywords" and "Path expressions":
# https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#reserved_keywords).
RESERVED_KEYWORDS = frozenset(
    """ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE CAST COLLATE CONTAINS
    CREATE CROSS CUBE CURRENT DEFAULT DEFINE DESC DISTINCT ELSE END ENUM ESCAPE EXCEPT
    EXCLUDE EXISTS EXTRACT FALSE FETCH FOLLOWING FOR FROM FULL GROUP GROUPING GROUPS HASH
    HAVING IF IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT LOOKUP
    MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION PRECEDING PROTO
    QUALIFY RANGE RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME STRUCT TABLESAMPLE
    THEN TO TREAT TRUE UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN""".split()  # noqa: SIM905 - the documented list as printed
)


def reserved_names(statement: exp.Expression) -> list[str]:
    """Unquoted identifiers of ``statement`` that are GoogleSQL reserved keywords and are not
    after a dot (sqlglot parses them where BigQuery would not)."""
    found = []
    for ident in statement.find_all(exp.Identifier):
        if ident.args.get("quoted") or ident.name.upper() not in RESERVED_KEYWORDS:
            continue
        parent = ident.parent
        if isinstance(parent, exp.Column | exp.Table) and ident is not parent.parts[0]:
            continue
        if isinstance(parent, exp.Dot) and ident is parent.expression:
            continue
        found.append(ident.name)
    return found


def test_reserved_keyword_check_finds_what_bigquery_rejects() -> None:
    (query,) = sqlglot.parse(
        "WITH rows AS (SELECT 1 AS hash) SELECT `range`, r.rows, a.b.c.d.to, hash FROM rows AS r",
        read="bigquery",
    )
    assert query is not None and sorted(reserved_names(query)) == ["hash", "hash", "rows", "rows"]


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_no_reserved_keyword_is_an_unquoted_name(path: Path) -> None:
    found = [name for statement in statements(path) for name in reserved_names(statement)]
    assert not found, f"quote with backticks or rename: {found}"


def _is_remote_call(node: exp.Expression) -> bool:
    name = node.sql(dialect="bigquery") if isinstance(node, exp.Anonymous) else ""
    return any(re.search(rf"\.{r}`?\(", name) for r in REMOTE)


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_no_remote_call_where_bigquery_would_stop_batching(path: Path) -> None:
    """A remote call that a conditional may skip is sent one row per request (Google Cloud,
    "Work with remote functions", limitations)."""
    conditionals = (exp.If, exp.Case, exp.Coalesce, exp.Nullif, exp.Merge)
    for statement in statements(path):
        for node in statement.find_all(exp.Anonymous):
            if _is_remote_call(node):
                assert node.find_ancestor(*conditionals) is None, node.sql()[:120]


def test_examples_call_the_remote_function_once_per_row() -> None:
    for path in sorted((SQL_DIR / "examples").glob("*.sql")):
        calls = [
            n for s in statements(path) for n in s.find_all(exp.Anonymous) if _is_remote_call(n)
        ]
        assert len(calls) <= 1, path


def test_sql_functions_make_no_remote_call() -> None:
    for path in FUNCTION_FILES:
        if path.stem not in REMOTE:
            (create,) = statements(path)
            assert not any(_is_remote_call(n) for n in create.find_all(exp.Anonymous)), path


@pytest.mark.parametrize("name", REMOTE)
def test_remote_functions_tell_the_handler_what_they_send(name: str) -> None:
    path = SQL_DIR / "functions" / f"{name}.sql"
    context = bigquery.read_context(user_defined_context(path))
    assert remote_options(path)["endpoint"].name == VALUES["endpoint"]
    (create,) = statements(path)
    returns = create.args["properties"].find(exp.ReturnsProperty).this.sql(dialect="bigquery")
    assert returns == {"json": "JSON", "string": "STRING"}[context.return_type]
    assert context.debug == (name == "ai_impact_debug")
    arguments = [c.name for c in create.this.expressions]
    if context.signature == "row":
        assert arguments == ["request"]
    else:
        # The hosted API's order; its request_time is the row's utc_datetime.
        expected = [a.replace("utc_datetime", "request_time") for a in bigquery.SCOPE3_ARGS]
        assert arguments == expected


@pytest.mark.parametrize("name", REMOTE)
def test_a_full_batch_fits_the_response_limit_twice_over(name: str) -> None:
    path = SQL_DIR / "functions" / f"{name}.sql"
    rows = int(remote_options(path)["max_batching_rows"].name)
    context = user_defined_context(path)
    models = ["gpt-4o", "llama_31_70b", "claude-3-5-sonnet-20241022", "not-a-model"]
    row = {"managed_service_id": "openai", "country": "US", "input_tokens": 1200}
    if context["signature"] == "row":
        calls = [[{**row, "model_id": models[i % 4], "output_tokens": i}] for i in range(rows)]
    else:
        call = [None] * len(bigquery.SCOPE3_ARGS)
        calls = [[models[i % 4], *call[1:13], 1200, i, *call[15:]] for i in range(rows)]
    body = orjson.dumps({"requestId": "r", "calls": calls, "userDefinedContext": context})
    outcome = bigquery.handle(body, lambda project: ai_impact.estimate)
    assert outcome.status == 200 and outcome.rows == rows
    assert len(outcome.body) * 2 < bigquery.MAX_REPLY_BYTES, (name, len(outcome.body))


def test_table_ddl_is_generated_from_the_declarations() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in sql_tables.generated().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"regenerate with `python tests/tools/sql_tables.py`: {stale}"
    expected = {p.name for p in sql_tables.generated()} | {
        "customers.sql",
        "tokens.sql",
        "projects.sql",
        "seed.sql",
    }
    present = {p.name for d in ("tables", "store") for p in (SQL_DIR / d).glob("*.sql")}
    assert present == expected


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_reference_tables_match_their_csv_column_by_column(name: str) -> None:
    """Terraform's external table maps CSV fields to columns by position."""
    with (DATA_DIR / SCHEMAS[name].file).open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    (create,) = statements(SQL_DIR / "tables" / f"{name}.sql")
    columns = [c.name for c in create.this.expressions]
    assert columns == header


def test_every_csv_has_a_reference_table() -> None:
    csvs = {p.stem for p in DATA_DIR.glob("*.csv")}
    assert csvs == {p.stem for p in (SQL_DIR / "tables").glob("*.sql")}
