# ai-impact on Google Cloud: the APIs and identities (this file), the functions (function.tf)
# and the BigQuery side (bigquery.tf): connection, datasets, routines, reference tables, store.

locals {
  name          = "${var.name_prefix}${var.function_name}"
  rest_name     = "${local.name}-rest"
  source_bucket = coalesce(var.bucket_name, "${var.project_id}-${var.name_prefix}ai-impact-source")
  data_bucket   = "${trimsuffix(local.source_bucket, "-source")}-data"
  store_dataset = coalesce(var.store_dataset_id, "${var.dataset_id}_store")
  connection_id = "${var.name_prefix}${var.connection_id}"
  # BigQuery's name of the connection: PROJECT.LOCATION.CONNECTION_ID.
  connection_sql_name = "${var.project_id}.${lower(var.bigquery_location)}.${local.connection_id}"
  dataset_sql_name    = "${var.project_id}.${var.dataset_id}"
  store_sql_name      = "${var.project_id}.${local.store_dataset}"
  caller_projects     = length(var.caller_projects) > 0 ? var.caller_projects : [var.project_id]
  labels              = merge({ "app" = "ai-impact" }, var.labels)

  # The region must lie inside the BigQuery location: BigQuery calls remote functions of its
  # own geography only (Google Cloud, "Work with remote functions", locations). The EU
  # multi-region is data centers in member states of the European Union (Google Cloud,
  # "BigQuery locations", multi-regions), so these of its European regions, by city: Belgium,
  # Berlin, Finland, Frankfurt, Madrid, Milan, Netherlands, Paris, Stockholm, Turin, Warsaw.
  # London (europe-west2) and Zurich (europe-west6) are European regions outside the EU.
  eu_regions = toset([
    "europe-west1", "europe-west10", "europe-north1", "europe-west3", "europe-southwest1",
    "europe-west8", "europe-west4", "europe-west9", "europe-north2", "europe-west12",
    "europe-central2",
  ])
  region_fits = (
    var.bigquery_location == "US" ? startswith(var.region, "us-") :
    var.bigquery_location == "EU" ? contains(local.eu_regions, var.region) :
    var.region == var.bigquery_location
  )

  # Cloud KMS: a key encrypts resources of its own location only. The regional resources
  # (source bucket, image repository, functions) take kms_key_name, a key of var.region; the
  # BigQuery-location ones (datasets, connection, data bucket) take bigquery_kms_key_name, a
  # key of that location, whose multi-regions US and EU are the key locations us and europe.
  kms_location          = var.kms_key_name == null ? null : split("/", var.kms_key_name)[3]
  bigquery_kms_location = var.bigquery_kms_key_name == null ? null : split("/", var.bigquery_kms_key_name)[3]
  bigquery_key_location = lookup({ US = "us", EU = "europe" }, var.bigquery_location, lower(var.bigquery_location))

  runtime_account_id = "${local.name}-run"
  build_account_id   = "${local.name}-build"
  runtime_email      = var.runtime_service_account != null ? var.runtime_service_account : google_service_account.runtime[0].email
  build_email        = var.build_service_account != null ? var.build_service_account : google_service_account.build[0].email

  apis = toset([
    "artifactregistry.googleapis.com",     # the functions' images
    "bigquery.googleapis.com",             # datasets, routines, tables, the seed job
    "bigqueryconnection.googleapis.com",   # the CLOUD_RESOURCE connection
    "cloudbuild.googleapis.com",           # builds the functions from source
    "cloudfunctions.googleapis.com",       # the functions
    "cloudresourcemanager.googleapis.com", # project IAM bindings
    "iam.googleapis.com",                  # the service accounts
    "logging.googleapis.com",              # the functions' and builds' logs
    "run.googleapis.com",                  # gen2 functions run as Cloud Run services
    "storage.googleapis.com",              # source zip and CSVs
  ])
}

resource "google_project_service" "this" {
  for_each = var.enable_apis ? local.apis : toset([])

  project = var.project_id
  service = each.value
  # Turning an API off on destroy could break other workloads of the project.
  disable_on_destroy = false
}

# A freshly enabled API can refuse calls for a minute or two; everything else waits for this.
resource "time_sleep" "apis" {
  create_duration = "${var.enable_apis ? var.api_settle_seconds : 0}s"

  depends_on = [google_project_service.this]
}

# --- identities ---------------------------------------------------------------------------------

# The functions run as this account: it may run BigQuery jobs in the project (jobs.create
# exists at project level only) and read and write the store's dataset, nothing else. It needs
# no role for its logs: Cloud Run collects stdout.
resource "google_service_account" "runtime" {
  count = var.runtime_service_account == null ? 1 : 0

  project      = var.project_id
  account_id   = local.runtime_account_id
  display_name = "ai-impact functions runtime"

  lifecycle {
    precondition {
      condition     = length(local.runtime_account_id) >= 6 && length(local.runtime_account_id) <= 30
      error_message = "The runtime service account id \"${local.runtime_account_id}\" (name_prefix + function_name + \"-run\") must be 6 to 30 characters."
    }
  }

  depends_on = [time_sleep.apis]
}

resource "google_project_iam_member" "runtime_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${local.runtime_email}"
}

# Cloud Build builds the functions as this account (build_config.service_account). Since July
# 2024 the default build account of a new project may lack what a build needs (Google Cloud,
# "Custom service account for Cloud Build"); this one gets exactly that: write its logs, read
# the source (Cloud Functions copies it into a gcf-v2-sources bucket of its own, so at project
# level), push the image to the module's repository.
resource "google_service_account" "build" {
  count = var.build_service_account == null ? 1 : 0

  project      = var.project_id
  account_id   = local.build_account_id
  display_name = "ai-impact functions build"

  lifecycle {
    precondition {
      condition     = length(local.build_account_id) >= 6 && length(local.build_account_id) <= 30
      error_message = "The build service account id \"${local.build_account_id}\" (name_prefix + function_name + \"-build\") must be 6 to 30 characters."
    }
  }

  depends_on = [time_sleep.apis]
}

resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/storage.objectViewer"])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${local.build_email}"
}

# Writer on the repository the images go to: the module's own, or docker_repository when the
# module creates the build account (a brought build account with a brought repository is the
# owner's to grant; README, "Roles").
resource "google_artifact_registry_repository_iam_member" "build" {
  count = var.docker_repository == null || var.build_service_account == null ? 1 : 0

  project    = local.build_repository.project
  location   = local.build_repository.location
  repository = local.build_repository.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${local.build_email}"
}

# IAM changes take a while to reach Cloud Build; the functions wait for this.
resource "time_sleep" "build_iam" {
  create_duration = "30s"

  depends_on = [
    google_project_iam_member.build,
    google_artifact_registry_repository_iam_member.build,
  ]
}
