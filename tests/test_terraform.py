"""terraform/, checked offline: formatted; every google resource's names, types and
required/optional/computed arguments against the provider's schema extract; routines and tables
declared (no DDL job), generated from sql/ and equal to it; least-privilege IAM with the
BigQuery door private in every mode; labels everywhere; README tables generated from the
variables and outputs; the seed the module runs is sql/ rendered."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import hcl2
import pytest
import sqlglot

from ai_impact.store import ENV_BIGQUERY_DATASET
from ai_impact.store.bigquery import ENTRY_TABLES, ENV_TTL, BigQueryStore
from tools import bq_resources, provider_schema, render, standin, terraform, tf_check

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "terraform"
EXAMPLES = sorted(p for p in (MODULE / "examples").iterdir() if p.is_dir())
SQL_DIR = ROOT / "sql"


def script(name: str) -> ModuleType:
    """A script of scripts/, imported."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def blocks(kind: str, directory: Path = MODULE) -> dict[str, dict]:
    """``{"type.name": body}`` of a module's resource or data blocks (python-hcl2)."""
    out = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            for group in hcl2.load(handle).get(kind, []):
                for block_type, instances in group.items():
                    for name, body in instances.items():
                        out[f"{block_type.strip(chr(34))}.{name.strip(chr(34))}"] = body
    return out


RESOURCES = blocks("resource")


def test_terraform_fmt_is_clean() -> None:
    code, diff = terraform.fmt_check()
    assert code == 0, diff


# --- the provider schema ------------------------------------------------------------------------


def test_the_schema_extract_covers_exactly_the_types_in_use() -> None:
    schema = provider_schema.load()
    assert schema.provider_version == "6.50.0"
    assert (
        "scripts/provider_schema.py"
        in json.loads(provider_schema.EXTRACT.read_text(encoding="utf-8"))["generated_by"]
    )
    used = script("provider_schema").used_types()
    assert set(schema.resources) == used["resource"]
    assert set(schema.data_sources) == used["data"]


def test_the_extract_can_come_from_terraform_itself(tmp_path: Path) -> None:
    """The route to another provider version: `terraform providers schema -json` output is cut
    down to the types in use, in the same shape as the committed extract."""
    tool = script("provider_schema")
    attribute = {"type": "string", "optional": True, "description": "d", "description_kind": "x"}
    nested = {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {"a": attribute}}}
    document = {
        "format_version": "1.0",
        "provider_schemas": {
            "registry.terraform.io/hashicorp/google": {
                "resource_schemas": {
                    name: {"version": 0, "block": {"attributes": {"project": attribute}}}
                    for name in [*tool.used_types()["resource"], "google_unused"]
                }
                | {"google_bigquery_routine": {"block": {"block_types": {"x": nested}}}},
                "data_source_schemas": {},
            }
        },
    }
    source = tmp_path / "schema.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "extract.json"
    tool.main(["--terraform-json", str(source), "--version", "7.1.0", "--out", str(out)])
    extract = provider_schema.load(out)
    assert extract.provider_version == "7.1.0"
    assert set(extract.resources) == tool.used_types()["resource"]  # google_unused left out
    assert extract.resources["google_storage_bucket"] == {
        "attributes": {"project": {"type": "string", "optional": True}},
        "block_types": {},
    }
    routine = extract.resources["google_bigquery_routine"]["block_types"]["x"]
    assert routine == {
        "nesting_mode": "list",
        "max_items": 1,
        "block": {"attributes": {"a": {"type": "string", "optional": True}}, "block_types": {}},
    }


def test_provider_constraint_is_the_version_checked() -> None:
    """The constraint admits the checked version and nothing of another major version."""
    version = provider_schema.load().provider_version
    major, minor = version.split(".")[:2]
    for directory in [MODULE, *EXAMPLES]:
        text = (directory / "versions.tf").read_text(encoding="utf-8")
        constraint = re.search(r'google = \{[^}]*version\s*=\s*"([^"]+)"', text, re.S)
        assert constraint, directory
        assert constraint[1] == f"~> {major}.{minor}", directory


def test_every_google_block_against_the_provider_schema() -> None:
    report = tf_check.check_tree(provider_schema.load(), MODULE)
    assert report.errors == []
    assert len(report.checked) == len([k for k in RESOURCES if k.startswith("google_")])
    # Other providers' blocks are not in the extract; these are the only ones.
    assert report.unchecked == {"archive_file", "time_sleep"}


def test_the_check_catches_names_types_required_and_computed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
variable "n" {
  type = number
}
variable "tags" {
  type = list(string)
}
resource "google_bigquery_routine" "r" {
  dataset_id      = "d"
  routine_type    = "SCALAR_FUNCTION"
  definition_body = ""
  remote_function_options {
    max_batch_rows = "10"
  }
  remote_function_options {
    endpoint = "x"
  }
}
resource "google_cloudfunctions2_function" "f" {
  name     = "f"
  location = var.tags
  url      = "https://x"
  labels   = "a"
  service_config {
    max_instance_count = "many"
    timeout_seconds    = var.n
  }
  build_config = { runtime = "python312" }
}
resource "google_bigquery_table" "t" {
  dataset_id = "d"
  table_id   = "t"
  external_data_configuration {
    autodetect  = false
    source_uris = ["gs://b/x.csv"]
  }
}
output "o" {
  value = google_cloudfunctions2_function.f.service_config[0].urii
}
""",
        encoding="utf-8",
    )
    report = tf_check.check_tree(provider_schema.load(), tmp_path)
    where = "main.tf: resource "
    assert sorted(report.errors) == sorted(
        [
            "main.tf: google_cloudfunctions2_function.f has no attribute 'urii'",
            f"{where}google_bigquery_routine.r: at most 1 'remote_function_options' block(s)",
            f"{where}google_bigquery_routine.r.remote_function_options: "
            "unknown attribute or block 'max_batch_rows'",
            f"{where}google_bigquery_routine.r: required 'routine_id' missing",
            f"{where}google_cloudfunctions2_function.f.location: "
            "['list', 'string'] given where string is expected",
            f"{where}google_cloudfunctions2_function.f: "
            "'url' is read-only (computed by the provider)",
            f"{where}google_cloudfunctions2_function.f.labels: "
            "string given where ['map', 'string'] is expected",
            f"{where}google_cloudfunctions2_function.f.service_config.max_instance_count: "
            "string given where number is expected",
            f"{where}google_cloudfunctions2_function.f: 'build_config' is a block, "
            "written as an argument",
        ]
    )
    # source_format is required in 6.50.0's external_data_configuration? It is optional there:
    # the table passes, which shows the check follows the extract, not a guess.
    assert not [e for e in report.errors if "google_bigquery_table.t" in e]


# --- routines and tables: declared, generated from sql/ ---------------------------------------


def test_no_job_creates_a_routine_or_a_table() -> None:
    jobs = {k: v for k, v in RESOURCES.items() if k.startswith("google_bigquery_job.")}
    assert set(jobs) == {"google_bigquery_job.seed"}
    seed = render.render(
        (SQL_DIR / "store" / "seed.sql").read_text(encoding="utf-8"),
        {"project_id": "p", "dataset_id": "d", "customer_name": "c", "caller_projects": "[]"},
    )
    statements = [s for s in sqlglot.parse(seed, read="bigquery") if s is not None]
    assert statements and all(isinstance(s, sqlglot.exp.Merge) for s in statements)
    assert jobs["google_bigquery_job.seed"]["query"][0]["query"] == "${module.sql.seed}"
    # Re-runnable: its id changes with the script, the tables it writes and seed_run.
    job_id = jobs["google_bigquery_job.seed"]["job_id"]
    for part in ("module.sql.seed", "creation_time", "var.seed_run"):
        assert part in job_id
    assert {"google_bigquery_routine.remote", "google_bigquery_routine.sql"} <= set(RESOURCES)
    assert {"google_bigquery_table.reference", "google_bigquery_table.store"} <= set(RESOURCES)


def test_generated_routines_and_schemas_are_up_to_date() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in bq_resources.generated().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"regenerate with `python tests/tools/bq_resources.py`: {stale}"
    on_disk = {p for p in (MODULE / "generated").rglob("*.json")}
    assert on_disk == set(bq_resources.generated())


def test_a_function_body_with_a_placeholder_is_refused(tmp_path: Path) -> None:
    """Terraform sends SQL bodies verbatim: a ${...} in one would reach BigQuery as is."""
    path = tmp_path / "f.sql"
    path.write_text(
        "-- f(x) RETURNS INT64\nCREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.f`"
        "(x INT64)\nRETURNS INT64\nAS (\n  `${project_id}.${dataset_id}.g`(x)\n);\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="placeholders"):
        bq_resources.routine(path)
    path.write_text(path.read_text().replace("`${project_id}.${dataset_id}.g`(x)", "x + 1"))
    assert bq_resources.routine(path)["definition_body"] == "  x + 1"


def test_every_routine_description_is_a_whole_sentence() -> None:
    """No description is cut mid-sentence: an SQL function's is the whole first paragraph of
    its file's comment, a remote function's its OPTIONS(description)."""
    routines = json.loads((MODULE / "generated" / "routines.json").read_text(encoding="utf-8"))
    assert len(routines) == len(list((SQL_DIR / "functions").glob("*.sql")))
    for routine in routines:
        assert routine["description"].endswith("."), routine["routine_id"]
        if not routine["remote"]:
            text = (SQL_DIR / "functions" / f"{routine['routine_id']}.sql").read_text("utf-8")
            paragraph = text.split("\n--\n")[0]
            assert routine["description"] == " ".join(
                line.removeprefix("-- ").strip() for line in paragraph.splitlines()
            )


def test_a_description_is_the_first_paragraph_of_the_comment() -> None:
    text = "-- f(x) RETURNS INT64: one\n-- and two.\n--\n-- Details.\nCREATE FUNCTION f"
    assert bq_resources.summary(text) == "f(x) RETURNS INT64: one and two."
    assert bq_resources.summary("-- One line.\nCREATE FUNCTION f") == "One line."
    with pytest.raises(ValueError, match="comment"):
        bq_resources.summary("CREATE FUNCTION f")


def _sql_type(data_type: dict) -> str:
    kind = data_type["typeKind"]
    if kind == "STRUCT":
        fields = ", ".join(
            f"{f['name']} {_sql_type(f['type'])}" for f in data_type["structType"]["fields"]
        )
        return f"STRUCT<{fields}>"
    if kind == "ARRAY":
        return f"ARRAY<{_sql_type(data_type['arrayElementType'])}>"
    return kind


@pytest.mark.parametrize(
    "path", sorted((SQL_DIR / "functions").glob("*.sql")), ids=lambda p: p.stem
)
def test_each_routine_resource_is_its_sql_file(path: Path) -> None:
    """The routine Terraform declares, written back as DDL, is the statement of the file."""
    values = {"project_id": "p", "dataset_id": "d", "connection": "p.us.c", "endpoint": "https://e"}
    routines = json.loads((MODULE / "generated" / "routines.json").read_text(encoding="utf-8"))
    routine = next(r for r in routines if r["routine_id"] == path.stem)
    arguments = ", ".join(
        f"{a['name']} {_sql_type(json.loads(a['data_type']))}" for a in routine["arguments"]
    )
    head = (
        f"CREATE OR REPLACE FUNCTION `p.d.{path.stem}`({arguments}) "
        f"RETURNS {_sql_type(json.loads(routine['return_type']))}"
    )
    if routine["remote"]:
        context = ", ".join(f'("{k}", "{v}")' for k, v in routine["user_defined_context"].items())
        description = routine["description"].replace("'", "\\'")
        ddl = (
            f"{head} REMOTE WITH CONNECTION `{values['connection']}` OPTIONS ("
            f"endpoint = '{values['endpoint']}', max_batching_rows = "
            f"{routine['max_batching_rows']}, user_defined_context = [{context}], "
            f"description = '{description}')"
        )
    else:
        ddl = f"{head} AS (\n{routine['definition_body']}\n)"
    original = render.render(path.read_text(encoding="utf-8"), values)
    assert sqlglot.parse_one(ddl, read="bigquery") == sqlglot.parse_one(original, read="bigquery")


def test_reference_tables_read_the_csvs_as_the_emulator_test_loads_them() -> None:
    """tests/test_sql_emulator.py loads each CSV with skip_leading_rows 1, quoted newlines
    allowed: the external tables read them with the same options and the generated schema."""
    table = RESOURCES["google_bigquery_table.reference"]
    external = table["external_data_configuration"][0]
    assert external["source_format"] == '"CSV"' and external["autodetect"] is False
    csv = external["csv_options"][0]
    assert csv["skip_leading_rows"] == 1 and csv["allow_quoted_newlines"] is True
    assert csv["quote"] == '"\\""' and csv["encoding"] == '"UTF-8"'
    # With a connection (BigLake), the schema must be the top-level one (provider docs).
    assert "connection_id" in external and "schema" in table and "schema" not in external
    assert "generated/reference/" in table["schema"]
    csv_object = RESOURCES["google_storage_bucket_object.csv"]
    assert "filemd5(" in csv_object["name"]  # a changed CSV: a new object, the table updated


def test_a_changed_csv_is_uploaded_before_the_old_one_is_deleted() -> None:
    """The new object (another name: its MD5) exists before the table's source_uris move to it,
    and the old one is deleted after: no query meets a missing file in between."""
    csv_object = RESOURCES["google_storage_bucket_object.csv"]
    assert csv_object["lifecycle"][0]["create_before_destroy"] is True
    uris = RESOURCES["google_bigquery_table.reference"]["external_data_configuration"][0]
    assert "google_storage_bucket_object.csv[each.key].name" in uris["source_uris"][0]


def test_store_tables_are_protected_and_in_their_own_dataset() -> None:
    store = RESOURCES["google_bigquery_table.store"]
    assert store["deletion_protection"] == "${var.deletion_protection}"
    assert store["dataset_id"] == "${google_bigquery_dataset.store.dataset_id}"
    reference = RESOURCES["google_bigquery_table.reference"]
    assert reference["dataset_id"] == "${google_bigquery_dataset.this.dataset_id}"
    variables = (MODULE / "variables.tf").read_text(encoding="utf-8")
    assert re.search(r'variable "deletion_protection" \{[^}]*default\s*=\s*true', variables, re.S)


RELEASED = sorted((SQL_DIR / "store" / "released").iterdir())


@pytest.mark.parametrize("release", RELEASED, ids=lambda p: p.name)
def test_store_schemas_only_grow_since_each_release(release: Path) -> None:
    """Every change since a release is one the provider applies in place (docs/sql.md, "Store
    migrations"): no table of the store is ever re-created by an upgrade."""
    current = MODULE / "generated" / "store"
    assert {p.name for p in release.glob("*.json")} <= {p.name for p in current.glob("*.json")}
    for old in sorted(release.glob("*.json")):
        before = json.loads(old.read_text(encoding="utf-8"))
        after = json.loads((current / old.name).read_text(encoding="utf-8"))
        assert bq_resources.schema_changes(before, after) == [], old.name


def test_the_migration_rule_refuses_what_would_recreate_a_table() -> None:
    old = [
        {"name": "id", "type": "STRING", "mode": "REQUIRED"},
        {"name": "gpu_count", "type": "INTEGER", "mode": "NULLABLE"},
        {"name": "notes", "type": "STRING", "mode": "REQUIRED"},
    ]
    grown = [*old, {"name": "rack", "type": "STRING", "mode": "NULLABLE"}]
    assert bq_resources.schema_changes(old, grown) == []
    relaxed = [old[0], old[1], {**old[2], "mode": "NULLABLE"}]
    assert bq_resources.schema_changes(old, relaxed) == []
    changed = [
        {**old[0], "mode": "NULLABLE"},
        {**old[1], "type": "FLOAT", "mode": "REQUIRED"},
        {"name": "rack", "type": "STRING", "mode": "REQUIRED"},
    ]
    assert bq_resources.schema_changes(old, changed) == [
        "column gpu_count: type INTEGER -> FLOAT",
        "column gpu_count: mode NULLABLE -> REQUIRED",
        "column notes dropped",
        "new column rack is REQUIRED",
    ]


# --- identities, exposure, least privilege ----------------------------------------------------


def test_functions_build_and_run_as_their_own_accounts() -> None:
    function = RESOURCES["google_cloudfunctions2_function.this"]
    build = function["build_config"][0]
    assert build["entry_point"] == '"ai_impact"'
    assert "local.build_email" in build["service_account"]
    assert build["service_account"].startswith('"projects/')  # a full resource name
    assert build["docker_repository"] == "${local.docker_repository}"
    service = function["service_config"][0]
    assert service["service_account_email"] == "${local.runtime_email}"
    environment = service["environment_variables"]
    assert set(environment) == {"AI_IMPACT_DOORS", "THREADS", ENV_BIGQUERY_DATASET, ENV_TTL}
    assert environment["AI_IMPACT_DOORS"] == "${each.key}"
    # Redeployed when the code changes: the object is named after the zip's MD5.
    assert "output_md5" in RESOURCES["google_storage_bucket_object.source"]["name"]
    # Account ids of 6 to 30 characters, checked before anything is created.
    for account in ("runtime", "build"):
        conditions = RESOURCES[f"google_service_account.{account}"]["lifecycle"][0]["precondition"]
        assert any("<= 30" in c["condition"] and ">= 6" in c["condition"] for c in conditions)
    roles = {
        RESOURCES["google_project_iam_member.build"]["for_each"],
        RESOURCES["google_artifact_registry_repository_iam_member.build"]["role"],
    }
    assert roles == {
        '${toset(["roles/logging.logWriter", "roles/storage.objectViewer"])}',
        '"roles/artifactregistry.writer"',
    }


def test_the_bigquery_door_is_private_in_every_mode() -> None:
    main = (MODULE / "function.tf").read_text(encoding="utf-8")
    doors = re.search(r"doors = merge\((.*?)\n  \)\n", main, re.S)
    assert doors
    bigquery, rest = doors[1].split("var.rest_api ?")
    assert "ingress     = var.bigquery_ingress" in bigquery and "public" not in bigquery
    assert 'var.public_rest_api ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"' in rest
    variables = (MODULE / "variables.tf").read_text(encoding="utf-8")
    default = re.search(
        r'variable "bigquery_ingress" \{[^}]*default\s*=\s*"(\w+)"', variables, re.S
    )
    assert default and default[1] == "ALLOW_INTERNAL_ONLY"
    types = {key.split(".")[0] for key in RESOURCES}
    # Authoritative or function-level bindings could grant, or remove, far more than needed.
    assert not types & {
        "google_project_iam_binding",
        "google_project_iam_policy",
        "google_cloud_run_v2_service_iam_binding",
        "google_cloud_run_v2_service_iam_policy",
        "google_cloudfunctions2_function_iam_member",
    }
    invokers = {k: v for k, v in RESOURCES.items() if v.get("role") == '"roles/run.invoker"'}
    assert set(invokers) == {
        "google_cloud_run_v2_service_iam_member.connection_invoker",
        "google_cloud_run_v2_service_iam_member.rest_invoker",
        "google_cloud_run_v2_service_iam_member.public",
    }
    # The service is the one the function reports, not a name assumed equal to the function's.
    connection = invokers["google_cloud_run_v2_service_iam_member.connection_invoker"]
    assert connection["name"] == (
        '${google_cloudfunctions2_function.this["bigquery"].service_config[0].service}'
    )
    assert "google_bigquery_connection.this.cloud_resource[0].service_account_id" in str(
        connection["member"]
    )
    for key in ("rest_invoker", "public"):
        body = invokers[f"google_cloud_run_v2_service_iam_member.{key}"]
        assert body["name"] == (
            '${google_cloudfunctions2_function.this["rest"].service_config[0].service}'
        )
    public = invokers["google_cloud_run_v2_service_iam_member.public"]
    assert public["member"] == '"allUsers"'
    assert public["count"] == "${var.rest_api && var.public_rest_api ? 1 : 0}"
    # The remote functions call the BigQuery door's URI.
    remote = RESOURCES["google_bigquery_routine.remote"]["remote_function_options"][0]
    assert remote["endpoint"] == (
        '${google_cloudfunctions2_function.this["bigquery"].service_config[0].uri}'
    )


def test_least_privilege_in_bigquery() -> None:
    project_roles = sorted(
        str(v.get("for_each") or v["role"]) for k, v in RESOURCES.items() if "project_iam" in k
    )
    assert project_roles == [
        '"roles/bigquery.jobUser"',
        '${toset(["roles/logging.logWriter", "roles/storage.objectViewer"])}',
    ]
    analysts = {k: v for k, v in RESOURCES.items() if "var.analysts" in str(v.get("for_each"))}
    assert {k: v["role"] for k, v in analysts.items()} == {
        "google_bigquery_connection_iam_member.analysts": '"roles/bigquery.connectionUser"',
        "google_bigquery_dataset_iam_member.analysts": '"roles/bigquery.dataViewer"',
    }
    dataset = analysts["google_bigquery_dataset_iam_member.analysts"]["dataset_id"]
    assert dataset == "${google_bigquery_dataset.this.dataset_id}"  # not the store
    admins = RESOURCES["google_bigquery_table_iam_member.catalog_admins"]
    assert (
        "var.catalog_admins" in admins["for_each"] and "local.custom_tables" in admins["for_each"]
    )
    assert admins["dataset_id"] == "${google_bigquery_dataset.store.dataset_id}"
    runtime = RESOURCES["google_bigquery_dataset_iam_member.runtime_store"]
    assert runtime["dataset_id"] == "${google_bigquery_dataset.store.dataset_id}"
    assert runtime["role"] == '"roles/bigquery.dataEditor"'
    main = (MODULE / "bigquery.tf").read_text(encoding="utf-8")
    tables = ", ".join(f'"{t}"' for t in ENTRY_TABLES.values())  # every custom-entry table
    assert f"custom_tables    = toset([{tables}])" in main


def test_labels_on_every_resource_that_takes_them() -> None:
    schema = provider_schema.load()
    missing = [
        key
        for key, body in RESOURCES.items()
        if key.startswith("google_")
        and "labels" in schema.resources[key.split(".")[0]].get("attributes", {})
        and body.get("labels") != "${local.labels}"
    ]
    assert not missing


def _kms_key(body: dict) -> str | None:
    """The key a resource is encrypted with: its kms_key_name, or its dynamic encryption block's
    for_each (python-hcl2 keeps dynamic blocks as such)."""
    if "kms_key_name" in body:
        return body["kms_key_name"]
    for dynamic in body.get("dynamic", []):
        for name in ("encryption", "default_encryption_configuration"):
            if f'"{name}"' in dynamic:
                return dynamic[f'"{name}"']["for_each"]
    return None


def test_cmek_keys_follow_each_resources_location() -> None:
    """A KMS key encrypts resources of its own location only: what lies in var.region takes
    kms_key_name, what lies in var.bigquery_location takes bigquery_kms_key_name."""
    schema = provider_schema.load()

    def takes_a_key(kind: str) -> bool:
        resource = schema.resources[kind]
        blocks = {"encryption", "default_encryption_configuration"}
        return "kms_key_name" in resource.get("attributes", {}) or bool(
            blocks & set(resource.get("block_types", {}))
        )

    located = {
        key: body["location"]
        for key, body in RESOURCES.items()
        if key.startswith("google_")
        and body.get("location") in ("${var.region}", "${var.bigquery_location}")
        and takes_a_key(key.split(".")[0])
    }
    assert set(located) == {
        "google_storage_bucket.source",
        "google_artifact_registry_repository.functions",
        "google_cloudfunctions2_function.this",
        "google_storage_bucket.data",
        "google_bigquery_dataset.this",
        "google_bigquery_dataset.store",
        "google_bigquery_connection.this",
    }
    for key, location in located.items():
        keys = ("kms_key_name", "bigquery_kms_key_name")
        own, other = keys if location == "${var.region}" else keys[::-1]
        key_of = _kms_key(RESOURCES[key])
        assert key_of and f"var.{own}" in key_of and f"var.{other}" not in key_of, (key, key_of)


def test_vpc_reaches_the_functions() -> None:
    service = RESOURCES["google_cloudfunctions2_function.this"]["service_config"][0]
    assert service["vpc_connector"] == "${var.vpc_connector}"


# --- documentation ------------------------------------------------------------------------------


def test_readme_tables_are_generated_from_variables_and_outputs() -> None:
    docs = script("terraform_docs")
    for directory in docs.modules():
        readme = (directory / "README.md").read_text(encoding="utf-8")
        assert docs.updated(readme, directory) == readme, (
            f"{directory}/README.md: run python scripts/terraform_docs.py"
        )
    tables = docs.tables(MODULE)
    assert "| `project_id` | Project to deploy into" in tables and "| n/a | yes |" in tables
    assert "| `first_query` |" in tables


def test_sizing_lists_every_remote_routines_batch_size() -> None:
    """terraform/README.md, "Sizing", names each remote routine with its max_batching_rows."""
    readme = (MODULE / "README.md").read_text(encoding="utf-8")
    bullet = re.search(r"- `max_batching_rows`, (.*?)\n- ", readme, re.S)
    assert bullet
    listed = {}
    text = " ".join(bullet[1].split())
    for rows, names in re.findall(r"([\d,]+) for ((?:`\w+`(?:, | and )?)+)", text):
        for name in re.findall(r"`(\w+)`", names):
            listed[name] = int(rows.replace(",", ""))
    routines = json.loads((MODULE / "generated" / "routines.json").read_text(encoding="utf-8"))
    assert listed == {r["routine_id"]: r["max_batching_rows"] for r in routines if r["remote"]}


class _Job:
    def result(self, **_: object) -> list:
        return []


class _Client:
    """A BigQuery client that answers every query with no rows and remembers the queries."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def query(self, sql: str, **_: object) -> _Job:
        self.queries.append(sql)
        return _Job()


def test_the_store_refresh_cost_counts_the_tables_the_store_reads() -> None:
    """README, "Costs and quotas": the tables one refresh reads, at BigQuery's 10 MB minimum per
    table referenced, and what a 60 s TTL costs a day, with the arithmetic shown."""
    client = _Client()
    BigQueryStore(client, "p.d")._read()  # type: ignore[arg-type]
    tables = {re.search(r"`p\.d\.(\w+)`", q)[1] for q in client.queries}  # type: ignore[index]
    assert len(tables) == len(client.queries) == 7
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    words = {7: "seven"}
    assert f"re-reads the {words[len(tables)]} store tables" in readme
    per_refresh_mb = len(tables) * 10
    assert f"{len(tables)} x 10 MB = ~{per_refresh_mb} MB per refresh" in readme
    refreshes = 86_400 // 60
    assert f"86,400 / 60 = {refreshes:,} refreshes" in readme
    day_gb = round(refreshes * per_refresh_mb / 1000)
    assert f"{refreshes:,} x {per_refresh_mb} MB = ~{day_gb} GB" in readme


def test_every_example_has_a_readme_and_uses_the_module() -> None:
    assert {p.name for p in EXAMPLES} == {"basic", "public-rest", "existing-project"}
    for example in EXAMPLES:
        assert (example / "README.md").exists(), example
        assert 'source = "../.."' in (example / "main.tf").read_text(encoding="utf-8")


def test_the_seed_is_sql_rendered(tmp_path: Path) -> None:
    """What the seed job sends equals sql/store/seed.sql rendered by tools.render, the text that
    test_sql.py parses and the emulator tests run."""
    variables = {
        "project_id": "my-project",
        "dataset_id": "ai_impact_store",
        "customer_name": "acme corp",
        "caller_projects": ["my-project", "analytics-prod"],
    }
    outputs = terraform.render_sql(tmp_path / "root", variables)
    values = {**variables, "caller_projects": '["my-project","analytics-prod"]'}
    seed = (SQL_DIR / "store" / "seed.sql").read_text(encoding="utf-8")
    assert outputs["seed"] == render.render(seed, values)
    assert 'UNNEST(["my-project","analytics-prod"])' in outputs["seed"]


def test_first_query_calls_the_remote_function_once_in_a_cte() -> None:
    outputs = (MODULE / "outputs.tf").read_text(encoding="utf-8")
    query = re.search(r"<<-SQL\n(.*?)\n\s*SQL\n", outputs, re.S)
    assert query
    text = query[1].replace("${local.dataset_sql_name}", "p.d")
    (statement,) = sqlglot.parse(text, read="bigquery")
    assert statement.args.get("with_")
    calls = [
        n for n in statement.find_all(sqlglot.exp.Anonymous) if ".ai_impact`(" in n.sql("bigquery")
    ]
    assert len(calls) == 1 and calls[0].find_ancestor(sqlglot.exp.CTE) is not None


# --- plans, with stand-ins for the providers ---------------------------------------------------

PROJECT = {"project_id": "my-project-1"}
EXAMPLE_VARIABLES = {
    "basic": PROJECT,
    "public-rest": {**PROJECT, "catalog_admins": ["group:ai-impact-admins@example.com"]},
    "existing-project": {
        **PROJECT,
        "runtime_service_account": "ai-impact-run@my-project-1.iam.gserviceaccount.com",
        "build_service_account": "ai-impact-build@my-project-1.iam.gserviceaccount.com",
        "docker_repository": "projects/my-project-1/locations/us-central1/repositories/images",
        "kms_key_name": "projects/my-project-1/locations/us-central1/keyRings/r/cryptoKeys/k",
        "bigquery_kms_key_name": "projects/my-project-1/locations/us/keyRings/r/cryptoKeys/k",
    },
}


@pytest.fixture(scope="module")
def standins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standin.build(tmp_path_factory.mktemp("standin"))


def _key(location: str) -> str:
    """A Cloud KMS key name of ``location``."""
    return f"projects/p/locations/{location}/keyRings/r/cryptoKeys/k"


def _planned(output: str) -> set[str]:
    return set(re.findall(r"# terraform_data\.(\S+) will be created", output))


def test_the_module_plans_with_its_defaults(standins: Path) -> None:
    code, output = standin.plan(standins, PROJECT)
    assert code == 0, output
    planned = _planned(output)
    # One function (the BigQuery door), every routine and table of generated/, no REST.
    assert 'google_cloudfunctions2_function__this["bigquery"]' in planned
    assert not any("rest" in p for p in planned)
    routines = [p for p in planned if p.startswith("google_bigquery_routine__")]
    assert len(routines) == len(list((SQL_DIR / "functions").glob("*.sql")))
    tables = [p for p in planned if p.startswith("google_bigquery_table__")]
    assert len(tables) == len(list((MODULE / "generated").rglob("*.json"))) - 1  # routines.json
    assert "google_service_account__build[0]" in planned
    assert "google_service_account__runtime[0]" in planned


def test_every_option_plans(standins: Path) -> None:
    variables = {
        **PROJECT,
        "rest_api": True,
        "public_rest_api": True,
        "rest_invokers": ["group:callers@example.com"],
        "analysts": ["group:analysts@example.com"],
        "catalog_admins": ["group:ai-impact-admins@example.com"],
        "kms_key_name": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
        "bigquery_kms_key_name": "projects/p/locations/us/keyRings/r/cryptoKeys/k",
        "vpc_connector": "projects/p/locations/us-central1/connectors/c",
        "vpc_egress": "ALL_TRAFFIC",
        "name_prefix": "dev-",
        "enable_apis": False,
        "deletion_protection": False,
        "labels": {"env": "dev"},
    }
    code, output = standin.plan(standins, variables)
    assert code == 0, output
    planned = _planned(output)
    assert 'google_cloudfunctions2_function__this["rest"]' in planned
    assert "google_cloud_run_v2_service_iam_member__public[0]" in planned
    assert not any(p.startswith("google_project_service__") for p in planned)
    admins = [p for p in planned if p.startswith("google_bigquery_table_iam_member__catalog")]
    assert len(admins) == len(ENTRY_TABLES)  # every custom_* table


def _planned_input(output: str, address: str) -> str:
    """The planned ``input`` of one stand-in, as the plan prints it."""
    start = output.index(f"# terraform_data.{address} will be created")
    return output[start : output.index("+ output", start)]


def test_the_build_account_may_push_to_a_brought_repository(standins: Path) -> None:
    """With docker_repository and no build_service_account, the build account the module creates
    is granted writer on that repository (without it, the build cannot push its image)."""
    repository = "projects/images-project/locations/us-east1/repositories/images"
    code, output = standin.plan(standins, {**PROJECT, "docker_repository": repository})
    assert code == 0, output
    assert "google_service_account__build[0]" in _planned(output)
    assert not any(p.startswith("google_artifact_registry_repository__") for p in _planned(output))
    grant = _planned_input(output, "google_artifact_registry_repository_iam_member__build[0]")
    for line in (
        'project    = "images-project"',
        'location   = "us-east1"',
        'repository = "images"',
        'role       = "roles/artifactregistry.writer"',
    ):
        assert line in grant, grant


def test_an_eu_deployment_with_a_key_per_location_plans(standins: Path) -> None:
    variables = {
        **PROJECT,
        "region": "europe-west4",
        "bigquery_location": "EU",
        "kms_key_name": _key("europe-west4"),
        "bigquery_kms_key_name": _key("europe"),
    }
    code, output = standin.plan(standins, variables)
    assert code == 0, output


@pytest.mark.parametrize(
    ("variables", "messages"),
    [
        (  # dev- + 24 characters + -run: 31 characters
            {"name_prefix": "dev-", "function_name": "a-function-name-of-24-ch"},
            ['The runtime service account id "dev-a-function-name-of-24-ch-run"'],
        ),
        (
            {"region": "europe-west1"},
            ["region europe-west1 does not lie inside bigquery_location US"],
        ),
        ({"public_rest_api": True}, ["public_rest_api needs rest_api = true."]),
        (  # London: a European region outside the EU multi-region
            {"region": "europe-west2", "bigquery_location": "EU"},
            ["region europe-west2 does not lie inside bigquery_location EU"],
        ),
        (  # Zurich, likewise
            {"region": "europe-west6", "bigquery_location": "EU"},
            ["region europe-west6 does not lie inside bigquery_location EU"],
        ),
        (  # one key for both locations: a US key cannot encrypt the regional resources
            {"kms_key_name": _key("us")},
            ["kms_key_name is a key of location us", "it must be a key of us-central1"],
        ),
        (
            {
                "region": "europe-west1",
                "bigquery_location": "EU",
                "bigquery_kms_key_name": _key("europe-west1"),
            },
            ["bigquery_kms_key_name is a key of location europe-west1", "must be a key of europe."],
        ),
        (  # variable validations: reported together
            {
                "dataset_id": "ai-impact",
                "timeout_seconds": 3600,
                "bigquery_ingress": "ALL",
                "analysts": ["alice@example.com"],
            },
            [
                "dataset_id may hold letters, digits and underscores only",
                "timeout_seconds must be 1 to 1200",
                "bigquery_ingress must be ALLOW_INTERNAL_ONLY",
                "analysts must be IAM principals",
            ],
        ),
    ],
    ids=[
        "account id length",
        "region",
        "public without rest",
        "London is not EU",
        "Zurich is not EU",
        "regional key",
        "BigQuery key",
        "validations",
    ],
)
def test_a_bad_configuration_fails_at_plan_naming_the_problem(
    standins: Path, variables: dict, messages: list[str]
) -> None:
    code, output = standin.plan(standins, {**PROJECT, **variables})
    assert code != 0
    text = " ".join(output.split())
    assert [m for m in messages if m not in text] == [], output


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_plans(standins: Path, example: Path) -> None:
    code, output = standin.plan(
        standins / "examples" / example.name, EXAMPLE_VARIABLES[example.name]
    )
    assert code == 0, output
    planned = set(re.findall(r"# module\.ai_impact\.terraform_data\.(\S+) will be created", output))
    assert 'google_cloudfunctions2_function__this["bigquery"]' in planned
    brought = {"google_service_account__", "google_project_service__", "google_artifact_registry"}
    own = {p for p in planned if any(p.startswith(b) for b in brought)}
    assert bool(own) == (example.name != "existing-project"), own
