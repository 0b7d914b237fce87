# ai-impact on Google Cloud: the function (function.tf), and the BigQuery side (bigquery.tf):
# connection, dataset, routines, reference tables and the store of custom entries.

locals {
  bucket_name     = coalesce(var.bucket_name, "${var.project_id}-ai-impact-source")
  caller_projects = length(var.caller_projects) > 0 ? var.caller_projects : [var.project_id]
  # BigQuery's name of the connection in DDL: PROJECT.LOCATION.CONNECTION_ID.
  connection_sql_name = "${var.project_id}.${lower(var.bigquery_location)}.${var.connection_id}"
  dataset_sql_name    = "${var.project_id}.${var.dataset_id}"

  apis = toset([
    "artifactregistry.googleapis.com",     # the function's container image
    "bigquery.googleapis.com",             # dataset, routines, jobs
    "bigqueryconnection.googleapis.com",   # the CLOUD_RESOURCE connection
    "cloudbuild.googleapis.com",           # builds the function from source
    "cloudfunctions.googleapis.com",       # the function
    "cloudresourcemanager.googleapis.com", # IAM bindings and BigQuery objects from Terraform
    "iam.googleapis.com",                  # the runtime service account
    "logging.googleapis.com",              # the function's structured logs
    "run.googleapis.com",                  # gen2 functions run as Cloud Run services
    "storage.googleapis.com",              # source zip and CSVs
  ])
}

resource "google_project_service" "this" {
  for_each = local.apis

  project = var.project_id
  service = each.value
  # Turning an API off on destroy could break other workloads of the project.
  disable_on_destroy = false
}

# The function runs as its own service account, allowed to run BigQuery jobs in the project
# (jobs.create exists at project level only) and to read and write the store's tables
# (bigquery.tf), nothing else. It needs no role for its logs: Cloud Run collects stdout.
resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${var.function_name}-run"
  display_name = "ai-impact function runtime"

  depends_on = [google_project_service.this]
}

resource "google_project_iam_member" "runtime_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.runtime.email}"
}
