"""terraform/, checked offline: formatted, every google resource's
attribute names known to the provider's schema, least-privilege IAM, documented inputs and
outputs, and the SQL it deploys is exactly sql/ rendered (the text the other tests run)."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

from ai_impact.store import ENV_BIGQUERY_DATASET
from ai_impact.store.bigquery import ENV_TTL
from tools import provider_schema, render, terraform, tf_check

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "terraform"
SQL_DIR = ROOT / "sql"
VARIABLES = {
    "project_id": "my-project",
    "dataset_id": "ai_impact",
    "connection": "my-project.us.ai-impact",
    "endpoint": "https://ai-impact-abc123-uc.a.run.app",
    "customer_name": "acme corp",
    "caller_projects": ["my-project", "analytics-prod"],
}


def blocks(kind: str) -> dict[str, dict]:
    """``{"type.name": body}`` of the module's resource or data blocks (python-hcl2)."""
    out = {}
    for path in sorted(MODULE.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            for group in hcl2.load(handle).get(kind, []):
                for block_type, instances in group.items():
                    for name, body in instances.items():
                        out[f"{block_type.strip(chr(34))}.{name.strip(chr(34))}"] = body
    return out


def test_terraform_fmt_is_clean() -> None:
    code, diff = terraform.fmt_check()
    assert code == 0, diff


def test_attribute_names_against_the_google_provider_schema() -> None:
    schema = provider_schema.load()
    assert schema.provider_version == "6.50.0"
    report = tf_check.check_tree(schema, MODULE)
    assert report.errors == []
    assert len(report.checked) >= 20
    # Other providers' blocks are not in the wheel; these are the only ones.
    assert report.unchecked == {"archive_file", "time_sleep"}


def test_the_attribute_check_catches_mistakes(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "google_bigquery_routine" "r" {\n'
        '  dataset_id      = "d"\n'
        '  routine_type    = "SCALAR_FUNCTION"\n'
        '  definition_body = ""\n'
        "  remote_function_options {\n"
        '    max_batch_rows = "10"\n'
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    report = tf_check.check_tree(provider_schema.load(), tmp_path)
    assert report.errors == [
        "main.tf: resource google_bigquery_routine.r.remote_function_options: "
        "unknown attribute or block 'max_batch_rows'",
        "main.tf: resource google_bigquery_routine.r: required 'routine_id' missing",
    ]


def test_the_deployed_sql_is_sql_rendered(tmp_path: Path) -> None:
    """What Terraform sends to BigQuery equals sql/ rendered by tools.render, the text that
    test_sql.py parses and test_sql_emulator.py runs."""
    outputs = terraform.render_sql(tmp_path / "root", VARIABLES)
    values = {**VARIABLES, "caller_projects": '["my-project","analytics-prod"]'}

    def rendered(path: Path) -> str:
        return render.render(path.read_text(encoding="utf-8"), values)

    functions = sorted((SQL_DIR / "functions").glob("*.sql"))
    assert outputs["functions"] == "\n".join(rendered(p) for p in functions)
    tables = sorted((SQL_DIR / "tables").glob("*.sql"))
    assert outputs["reference_tables"] == {p.stem: rendered(p) for p in tables}
    store = [p for p in sorted((SQL_DIR / "store").glob("*.sql")) if p.stem != "seed"]
    assert outputs["store_tables"] == {p.stem: rendered(p) for p in store}
    assert outputs["seed"] == rendered(SQL_DIR / "store" / "seed.sql")
    assert 'UNNEST(["my-project","analytics-prod"])' in outputs["seed"]


def test_run_invoker_only_on_this_service_and_public_only_when_asked() -> None:
    resources = blocks("resource")
    types = {key.split(".")[0] for key in resources}
    # Authoritative or project-wide bindings could grant, or remove, far more than needed.
    assert not types & {
        "google_project_iam_binding",
        "google_project_iam_policy",
        "google_cloud_run_v2_service_iam_binding",
        "google_cloud_run_v2_service_iam_policy",
        "google_cloudfunctions2_function_iam_member",
    }
    invokers = {k: v for k, v in resources.items() if v.get("role") == '"roles/run.invoker"'}
    assert set(invokers) == {
        "google_cloud_run_v2_service_iam_member.connection_invoker",
        "google_cloud_run_v2_service_iam_member.public",
    }
    for body in invokers.values():
        assert body["name"] == "${google_cloudfunctions2_function.this.name}"
    connection = invokers["google_cloud_run_v2_service_iam_member.connection_invoker"]
    assert "google_bigquery_connection.this.cloud_resource[0].service_account_id" in str(
        connection["member"]
    )
    public = invokers["google_cloud_run_v2_service_iam_member.public"]
    assert public["member"] == '"allUsers"'
    assert public["count"] == "${var.public_rest_api ? 1 : 0}"
    variables = (MODULE / "variables.tf").read_text(encoding="utf-8")
    assert re.search(r'variable "public_rest_api" \{[^}]*default\s*=\s*false', variables, re.S)
    project_roles = [v["role"] for k, v in resources.items() if "project_iam" in k]
    assert project_roles == ['"roles/bigquery.jobUser"']


def test_the_function_runs_as_its_own_account_with_the_bigquery_store() -> None:
    function = blocks("resource")["google_cloudfunctions2_function.this"]
    service = function["service_config"][0]
    assert service["service_account_email"] == "${google_service_account.runtime.email}"
    environment = service["environment_variables"]
    assert set(environment) == {"THREADS", ENV_BIGQUERY_DATASET, ENV_TTL}
    build = function["build_config"][0]
    assert build["entry_point"] == '"ai_impact"'
    # Redeployed when the code changes: the object is named after the zip's MD5.
    source = blocks("resource")["google_storage_bucket_object.source"]
    assert "data.archive_file.source.output_md5" in source["name"]


def test_reference_tables_reload_when_their_csv_changes() -> None:
    load = blocks("resource")["google_bigquery_job.load"]
    assert "filemd5(" in load["job_id"]
    assert load["load"][0]["write_disposition"] == '"WRITE_TRUNCATE"'
    csv = blocks("resource")["google_storage_bucket_object.csv"]
    assert "filemd5(" in csv["name"]


def _documented(kind: str) -> list[str]:
    with (MODULE / f"{kind}s.tf").open(encoding="utf-8") as handle:
        return [next(iter(b)).strip('"') for b in hcl2.load(handle).get(kind, [])]


@pytest.mark.parametrize("kind", ["variable", "output"])
def test_readme_documents_every_input_and_output(kind: str) -> None:
    readme = (MODULE / "README.md").read_text(encoding="utf-8")
    names = _documented(kind)
    assert names
    missing = [n for n in names if f"| `{n}` |" not in readme]
    assert not missing, f"{kind}s missing from terraform/README.md: {missing}"


def test_the_routines_output_lists_every_function() -> None:
    outputs = (MODULE / "outputs.tf").read_text(encoding="utf-8")
    listed = re.search(r"for name in \[([^\]]*)\]", outputs)
    assert listed
    names = set(re.findall(r'"(\w+)"', listed[1]))
    assert names == {p.stem for p in (SQL_DIR / "functions").glob("*.sql")}
