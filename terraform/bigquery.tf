# BigQuery: the connection the remote functions call through, the dataset, and the SQL of sql/
# run as BigQuery jobs (routines, tables, seed) plus one load job per reference CSV.
#
# Jobs are immutable and their ids unique in the project, so each id ends with a hash of what
# the job runs: a changed .sql file or CSV gives a new id, hence a new job (reloaded tables,
# replaced routines); an unchanged one leaves the job alone. The dataset's creation time is in
# the hash too, so that a destroyed and re-created dataset gets fresh job ids.
# DDL and scripts must run with empty create/write dispositions: BigQuery rejects a DDL job
# that sets them, and the provider's defaults do (pulumi/pulumi-gcp#632, same provider code).

resource "google_bigquery_dataset" "this" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.bigquery_location
  description                = "ai-impact: remote functions ai_impact(...), SQL helpers, reference tables and custom entries"
  delete_contents_on_destroy = var.delete_contents_on_destroy
  labels                     = var.labels

  depends_on = [google_project_service.this]
}

resource "google_bigquery_connection" "this" {
  project       = var.project_id
  connection_id = var.connection_id
  location      = var.bigquery_location
  friendly_name = "ai-impact remote functions"
  cloud_resource {}

  depends_on = [google_project_service.this]
}

# The connection's service account is created with it and takes a few seconds to be usable in
# IAM bindings (prior art waits 10 to 45 s; reference notes, section 3.1).
resource "time_sleep" "connection_service_account" {
  create_duration = "30s"

  depends_on = [google_bigquery_connection.this]
}

module "sql" {
  source = "./modules/sql"

  project_id      = var.project_id
  dataset_id      = google_bigquery_dataset.this.dataset_id
  connection      = local.connection_sql_name
  endpoint        = google_cloudfunctions2_function.this.service_config[0].uri
  customer_name   = var.customer_name
  caller_projects = local.caller_projects
}

locals {
  job_salt = tostring(google_bigquery_dataset.this.creation_time)
  data_dir = "${path.module}/../function/ai_impact/data"
}

# --- store tables (IF NOT EXISTS: never emptied) and the seed --------------------------------

resource "google_bigquery_job" "store_table" {
  for_each = module.sql.store_tables

  project  = var.project_id
  location = var.bigquery_location
  job_id   = "ai_impact_store_${each.key}_${substr(sha256("${local.job_salt}${each.value}"), 0, 24)}"

  query {
    query              = each.value
    use_legacy_sql     = false
    create_disposition = ""
    write_disposition  = ""
  }
}

resource "google_bigquery_job" "seed" {
  project  = var.project_id
  location = var.bigquery_location
  job_id   = "ai_impact_seed_${substr(sha256("${local.job_salt}${module.sql.seed}"), 0, 24)}"

  query {
    query              = module.sql.seed
    use_legacy_sql     = false
    create_disposition = ""
    write_disposition  = ""
  }

  depends_on = [google_bigquery_job.store_table]
}

# The function reads and writes the store's tables, and only those.
resource "google_bigquery_table_iam_member" "runtime_store" {
  for_each = module.sql.store_tables

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this.dataset_id
  table_id   = each.key
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.runtime.email}"

  depends_on = [google_bigquery_job.store_table]
}

# --- reference tables: DDL, then a load of the CSV ------------------------------------------

resource "google_bigquery_job" "reference_table" {
  for_each = module.sql.reference_tables

  project  = var.project_id
  location = var.bigquery_location
  job_id   = "ai_impact_table_${each.key}_${substr(sha256("${local.job_salt}${each.value}"), 0, 24)}"

  query {
    query              = each.value
    use_legacy_sql     = false
    create_disposition = ""
    write_disposition  = ""
  }
}

resource "google_storage_bucket_object" "csv" {
  for_each = module.sql.reference_tables

  bucket = google_storage_bucket.source.name
  name   = "data/${each.key}-${filemd5("${local.data_dir}/${each.key}.csv")}.csv"
  source = "${local.data_dir}/${each.key}.csv"
}

resource "google_bigquery_job" "load" {
  for_each = module.sql.reference_tables

  project  = var.project_id
  location = var.bigquery_location
  # A new CSV, or a re-created table (its DDL job's id changes), loads again.
  job_id = "ai_impact_load_${each.key}_${substr(sha256("${google_bigquery_job.reference_table[each.key].job_id}${filemd5("${local.data_dir}/${each.key}.csv")}"), 0, 24)}"

  load {
    source_uris = ["gs://${google_storage_bucket.source.name}/${google_storage_bucket_object.csv[each.key].name}"]
    destination_table {
      project_id = var.project_id
      dataset_id = google_bigquery_dataset.this.dataset_id
      table_id   = each.key
    }
    source_format         = "CSV"
    encoding              = "UTF-8"
    skip_leading_rows     = 1
    allow_quoted_newlines = true
    autodetect            = false
    create_disposition    = "CREATE_NEVER"
    write_disposition     = "WRITE_TRUNCATE"
  }
}

# --- routines: one script, every file of sql/functions ---------------------------------------

resource "google_bigquery_job" "functions" {
  project  = var.project_id
  location = var.bigquery_location
  job_id   = "ai_impact_functions_${substr(sha256("${local.job_salt}${module.sql.functions}"), 0, 24)}"

  query {
    query              = module.sql.functions
    use_legacy_sql     = false
    create_disposition = ""
    write_disposition  = ""
  }

  # Calls may start as soon as the routines exist: the connection must be allowed to invoke.
  depends_on = [google_cloud_run_v2_service_iam_member.connection_invoker]
}

# --- analysts --------------------------------------------------------------------------------

# Calling a remote function needs bigquery.connections.use on its connection.
resource "google_bigquery_connection_iam_member" "analysts" {
  for_each = toset(var.analysts)

  project       = var.project_id
  location      = var.bigquery_location
  connection_id = google_bigquery_connection.this.connection_id
  role          = "roles/bigquery.connectionUser"
  member        = each.value
}

# Routines and reference tables: read (bigquery.routines.get is in dataViewer).
resource "google_bigquery_dataset_iam_member" "analysts" {
  for_each = toset(var.analysts)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}

# Custom entries: INSERT, UPDATE, DELETE in the custom_* tables.
resource "google_bigquery_table_iam_member" "analysts_custom" {
  for_each = {
    for pair in setproduct(var.analysts, ["custom_models", "custom_nodes", "custom_gpus"]) :
    "${pair[0]}/${pair[1]}" => { member = pair[0], table = pair[1] }
  }

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this.dataset_id
  table_id   = each.value.table
  role       = "roles/bigquery.dataEditor"
  member     = each.value.member

  depends_on = [google_bigquery_job.store_table]
}
