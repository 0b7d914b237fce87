# The Cloud Function (gen2): function/ zipped, uploaded under a name made of its MD5 (a code
# change uploads a new object, which redeploys the function), built by Cloud Build.

locals {
  source_dir = "${path.module}/../function"
}

data "archive_file" "source" {
  type        = "zip"
  source_dir  = local.source_dir
  output_path = "${path.root}/.terraform/ai-impact-function.zip"
  # Local build debris: bytecode caches and the editable install's metadata.
  excludes = setunion(
    fileset(local.source_dir, "**/__pycache__/**"),
    fileset(local.source_dir, "*.egg-info/**"),
  )
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = local.bucket_name
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # It holds build inputs only (source zips, CSVs); Terraform re-creates them.
  force_destroy = true
  labels        = var.labels

  depends_on = [google_project_service.this]
}

resource "google_storage_bucket_object" "source" {
  bucket = google_storage_bucket.source.name
  name   = "function/${data.archive_file.source.output_md5}.zip"
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  name        = var.function_name
  location    = var.region
  description = "ai-impact: BigQuery remote functions ai_impact(...) and the Scope3-compatible REST API"
  labels      = var.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "ai_impact"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = var.memory
    available_cpu                    = var.cpu
    max_instance_request_concurrency = var.max_instance_request_concurrency
    max_instance_count               = var.max_instance_count
    min_instance_count               = var.min_instance_count
    timeout_seconds                  = var.timeout_seconds
    service_account_email            = google_service_account.runtime.email
    # Network access is open; who may call is decided by IAM (run.invoker below).
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    environment_variables = {
      # Threads of the server = requests served at once (Google's advice for Python).
      THREADS = tostring(var.max_instance_request_concurrency)
      # Selects the BigQuery store: custom entries, tokens and project mappings live in the
      # dataset's store tables (sql/store), read again after the TTL.
      AI_IMPACT_BIGQUERY_DATASET = local.dataset_sql_name
      AI_IMPACT_STORE_TTL_S      = tostring(var.catalog_cache_ttl_seconds)
    }
  }

  depends_on = [google_project_service.this]
}

# BigQuery calls the function as the connection's service account: it may invoke this service
# and nothing else (no project-wide binding, no allUsers).
resource "google_cloud_run_v2_service_iam_member" "connection_invoker" {
  project  = var.project_id
  location = google_cloudfunctions2_function.this.location
  name     = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_bigquery_connection.this.cloud_resource[0].service_account_id}"

  depends_on = [time_sleep.connection_service_account]
}

# Only when asked: the REST API open to the internet (its bearer tokens still apply).
resource "google_cloud_run_v2_service_iam_member" "public" {
  count = var.public_rest_api ? 1 : 0

  project  = var.project_id
  location = google_cloudfunctions2_function.this.location
  name     = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
