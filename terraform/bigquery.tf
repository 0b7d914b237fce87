# BigQuery: the connection, two datasets, the routines, the reference tables and the store.
#
# Every routine and table is a declarative resource (google_bigquery_routine,
# google_bigquery_table): Terraform creates it, waits until it exists, and fails the apply when it
# cannot. No DDL runs as a google_bigquery_job, which returns as soon as the job is created,
# done or not, and never reports its failure (hashicorp/terraform-provider-google#9826).
# Routines and table schemas come from terraform/generated/, generated from sql/
# (python tests/tools/bq_resources.py; tests/test_terraform.py fails while they differ).

locals {
  routines         = { for r in jsondecode(file("${path.module}/generated/routines.json")) : r.routine_id => r }
  reference_tables = toset([for f in fileset("${path.module}/generated/reference", "*.json") : trimsuffix(f, ".json")])
  store_tables     = toset([for f in fileset("${path.module}/generated/store", "*.json") : trimsuffix(f, ".json")])
  custom_tables    = toset(["custom_models", "custom_nodes", "custom_gpus", "custom_datacenters"])
  data_dir         = "${path.module}/../function/ai_impact/data"
}

resource "google_bigquery_connection" "this" {
  project       = var.project_id
  connection_id = local.connection_id
  location      = var.bigquery_location
  friendly_name = "ai-impact"
  description   = "ai-impact: remote functions ai_impact(...) and the reference tables' CSVs"
  kms_key_name  = var.bigquery_kms_key_name
  cloud_resource {}

  depends_on = [time_sleep.apis]
}

# The connection's service account is created with it and takes a few seconds to be usable in
# IAM bindings (prior art waits 10 to 45 s; reference notes, section 3.1).
resource "time_sleep" "connection_service_account" {
  create_duration = "30s"

  depends_on = [google_bigquery_connection.this]
}

# --- datasets -------------------------------------------------------------------------------------

# Routines and reference tables: what analysts read.
resource "google_bigquery_dataset" "this" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.bigquery_location
  description                = "ai-impact: remote functions ai_impact(...), SQL helpers and reference tables"
  delete_contents_on_destroy = !var.deletion_protection
  labels                     = local.labels

  dynamic "default_encryption_configuration" {
    for_each = var.bigquery_kms_key_name == null ? [] : [var.bigquery_kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  depends_on = [time_sleep.apis]
}

# The store: custom entries, customers, projects, REST tokens. Only the functions' account and
# catalog_admins may write it; analysts get no access at all.
resource "google_bigquery_dataset" "store" {
  project                    = var.project_id
  dataset_id                 = local.store_dataset
  location                   = var.bigquery_location
  description                = "ai-impact store: custom entries, customers, projects and REST API tokens"
  delete_contents_on_destroy = !var.deletion_protection
  labels                     = local.labels

  dynamic "default_encryption_configuration" {
    for_each = var.bigquery_kms_key_name == null ? [] : [var.bigquery_kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  depends_on = [time_sleep.apis]
}

# --- routines -------------------------------------------------------------------------------------

# Remote functions: the endpoint is the BigQuery door's service URI. The routines wait for the
# connection's right to invoke it, since queries may call them as soon as they exist.
resource "google_bigquery_routine" "remote" {
  for_each = { for k, r in local.routines : k => r if r.remote }

  project         = var.project_id
  dataset_id      = google_bigquery_dataset.this.dataset_id
  routine_id      = each.key
  routine_type    = "SCALAR_FUNCTION"
  definition_body = ""
  description     = each.value.description
  return_type     = each.value.return_type

  dynamic "arguments" {
    for_each = each.value.arguments
    content {
      name      = arguments.value.name
      data_type = arguments.value.data_type
    }
  }

  remote_function_options {
    endpoint             = google_cloudfunctions2_function.this["bigquery"].service_config[0].uri
    connection           = google_bigquery_connection.this.name
    max_batching_rows    = tostring(each.value.max_batching_rows)
    user_defined_context = each.value.user_defined_context
  }

  depends_on = [google_cloud_run_v2_service_iam_member.connection_invoker]
}

# SQL functions: the body of each sql/functions file, verbatim.
resource "google_bigquery_routine" "sql" {
  for_each = { for k, r in local.routines : k => r if !r.remote }

  project         = var.project_id
  dataset_id      = google_bigquery_dataset.this.dataset_id
  routine_id      = each.key
  routine_type    = "SCALAR_FUNCTION"
  language        = "SQL"
  definition_body = each.value.definition_body
  description     = each.value.description
  return_type     = each.value.return_type

  dynamic "arguments" {
    for_each = each.value.arguments
    content {
      name      = arguments.value.name
      data_type = arguments.value.data_type
    }
  }
}

# --- reference tables: external (BigLake) tables over the CSVs ------------------------------------
#
# Why external tables and not load jobs: a load job (google_bigquery_job) is not waited for, so
# its failure never fails the apply, and its id cannot be reused. An external table is a
# declarative resource: it exists when the apply says so. BigQuery reads the CSV at query time,
# with the connection's service account (BigLake: analysts need no access to the bucket). A
# changed CSV is uploaded under a new name (its MD5), which updates the table's source in place.
# The CSVs are the very files the function bundles; the tests read each one with this schema
# and these CSV options on the local emulator (tests/test_sql_emulator.py).

resource "google_storage_bucket" "data" {
  project                     = var.project_id
  name                        = local.data_bucket
  location                    = var.bigquery_location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = local.labels

  dynamic "encryption" {
    for_each = var.bigquery_kms_key_name == null ? [] : [var.bigquery_kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle {
    precondition {
      condition     = var.bigquery_kms_key_name == null || local.bigquery_kms_location == local.bigquery_key_location
      error_message = "bigquery_kms_key_name is a key of location ${coalesce(local.bigquery_kms_location, "-")}; it encrypts the datasets, the connection and the data bucket, which are in bigquery_location ${var.bigquery_location}: it must be a key of ${local.bigquery_key_location}."
    }
  }

  depends_on = [time_sleep.apis]
}

resource "google_storage_bucket_object" "csv" {
  for_each = local.reference_tables

  bucket = google_storage_bucket.data.name
  name   = "reference/${each.key}-${filemd5("${local.data_dir}/${each.key}.csv")}.csv"
  source = "${local.data_dir}/${each.key}.csv"

  # A changed CSV is a new object (its name holds the MD5), so the old one is replaced. By
  # default Terraform deletes it first, then creates the new one and updates the table's
  # source_uris: queries in between fail on a missing file. Creating first (the names differ, so
  # both can exist), then updating the table, then deleting the old object leaves no gap.
  # Terraform applies this to the object's dependencies too (the bucket): a bucket replaced
  # under the same name (a changed bigquery_location) would then collide, but that change
  # re-creates the datasets as well and is a new deployment, not an apply.
  lifecycle {
    create_before_destroy = true
  }
}

# The connection reads the CSVs (and this bucket only).
resource "google_storage_bucket_iam_member" "connection_reads_data" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_bigquery_connection.this.cloud_resource[0].service_account_id}"

  depends_on = [time_sleep.connection_service_account]
}

resource "google_bigquery_table" "reference" {
  for_each = local.reference_tables

  project     = var.project_id
  dataset_id  = google_bigquery_dataset.this.dataset_id
  table_id    = each.key
  description = "ai-impact reference table: function/ai_impact/data/${each.key}.csv; every row cites its source (column source)."
  labels      = local.labels
  # With a connection, the schema goes here, not in external_data_configuration.
  schema = file("${path.module}/generated/reference/${each.key}.json")
  # Nothing is lost with it: the CSV is the data.
  deletion_protection = false

  external_data_configuration {
    source_format = "CSV"
    autodetect    = false
    connection_id = google_bigquery_connection.this.name
    source_uris   = ["gs://${google_storage_bucket.data.name}/${google_storage_bucket_object.csv[each.key].name}"]
    csv_options {
      quote                 = "\""
      skip_leading_rows     = 1
      allow_quoted_newlines = true
      encoding              = "UTF-8"
    }
  }

  depends_on = [google_storage_bucket_iam_member.connection_reads_data]
}

# --- the store ----------------------------------------------------------------------------------

# Native tables. A schema change that only adds NULLABLE columns is applied in place (the
# provider updates the table); one that drops or retypes a column would re-create the table,
# which deletion_protection refuses (docs/sql.md, "Store migrations").
resource "google_bigquery_table" "store" {
  for_each = local.store_tables

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.store.dataset_id
  table_id            = each.key
  description         = "ai-impact store: ${each.key} (sql/store/${each.key}.sql)"
  labels              = local.labels
  schema              = file("${path.module}/generated/store/${each.key}.json")
  deletion_protection = var.deletion_protection
}

# Customer 1 and the caller projects mapped to it (sql/store/seed.sql, MERGE: adds what is
# missing, changes nothing there). DML, not DDL: the tables it writes exist before it is created.
# Its id changes with the script, the tables and seed_run, so that it can be run again.
module "sql" {
  source = "./modules/sql"

  project_id      = var.project_id
  dataset_id      = google_bigquery_dataset.store.dataset_id
  customer_name   = var.customer_name
  caller_projects = local.caller_projects
}

resource "google_bigquery_job" "seed" {
  project  = var.project_id
  location = var.bigquery_location
  job_id = "ai_impact_seed_${substr(sha256(join("/", [
    module.sql.seed,
    google_bigquery_table.store["customers"].creation_time,
    google_bigquery_table.store["projects"].creation_time,
    var.seed_run,
  ])), 0, 24)}"
  labels = local.labels

  query {
    query          = module.sql.seed
    use_legacy_sql = false
    # A script must run with empty dispositions: BigQuery rejects a script that sets them,
    # and the provider's defaults do (pulumi/pulumi-gcp#632, same provider code).
    create_disposition = ""
    write_disposition  = ""
  }
}

# --- who may do what ------------------------------------------------------------------------------

# The functions read and write the store, and only the store.
resource "google_bigquery_dataset_iam_member" "runtime_store" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.store.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${local.runtime_email}"
}

# Analysts: call the remote functions (bigquery.connections.use on the connection), read the
# routines and the reference tables (bigquery.routines.get and tables.getData: dataViewer on
# the routines' dataset). Nothing of the store.
resource "google_bigquery_connection_iam_member" "analysts" {
  for_each = toset(var.analysts)

  project       = var.project_id
  location      = var.bigquery_location
  connection_id = google_bigquery_connection.this.connection_id
  role          = "roles/bigquery.connectionUser"
  member        = each.value
}

resource "google_bigquery_dataset_iam_member" "analysts" {
  for_each = toset(var.analysts)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}

# Catalog admins: change the custom_* tables with SQL (customer_id 0 is the global catalog).
resource "google_bigquery_table_iam_member" "catalog_admins" {
  for_each = {
    for pair in setproduct(var.catalog_admins, local.custom_tables) :
    "${pair[0]}/${pair[1]}" => { member = pair[0], table = pair[1] }
  }

  project    = var.project_id
  dataset_id = google_bigquery_dataset.store.dataset_id
  table_id   = google_bigquery_table.store[each.value.table].table_id
  role       = "roles/bigquery.dataEditor"
  member     = each.value.member
}
