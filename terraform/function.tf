# The functions (Cloud Functions gen2): function/ zipped and uploaded under its MD5 (a code change
# uploads a new object, which redeploys), built by Cloud Build as the build account, run as the
# runtime account. Two functions from the same code, each serving one door
# (AI_IMPACT_DOORS, function/ai_impact/http.py), so that each has its own ingress and IAM:
#
# - "bigquery": the BigQuery remote-function protocol at POST /, invoked by the BigQuery
#   connection's service account and nobody else, internal ingress: a request body's `caller`
#   picks a customer's catalog, so no one else may send one;
# - "rest" (rest_api = true): the REST API; private (internal ingress, rest_invokers) unless
#   public_rest_api, where anyone may reach it and its bearer tokens decide.

locals {
  source_dir = "${path.module}/../function"
  doors = merge(
    {
      bigquery = {
        name        = local.name
        ingress     = var.bigquery_ingress
        description = "ai-impact: the BigQuery remote functions ai_impact(...) (POST /), for the BigQuery connection only"
      }
    },
    var.rest_api ? {
      rest = {
        name        = local.rest_name
        ingress     = var.public_rest_api ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
        description = "ai-impact: the Scope3-compatible REST API"
      }
    } : {},
  )
  docker_repository = coalesce(var.docker_repository, try(google_artifact_registry_repository.functions[0].id, null))
  # The repository the build account writes to, as its IAM binding names it.
  build_repository = var.docker_repository == null ? {
    project  = var.project_id
    location = var.region
    name     = try(google_artifact_registry_repository.functions[0].name, null)
    } : {
    project  = split("/", var.docker_repository)[1]
    location = split("/", var.docker_repository)[3]
    name     = split("/", var.docker_repository)[5]
  }
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
  name                        = local.source_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # It holds build inputs only (source zips); Terraform re-creates them.
  force_destroy = true
  labels        = local.labels

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle {
    precondition {
      condition     = local.region_fits
      error_message = "region ${var.region} does not lie inside bigquery_location ${var.bigquery_location}: BigQuery calls remote functions of its own geography only."
    }
    precondition {
      condition     = var.kms_key_name == null || local.kms_location == var.region
      error_message = "kms_key_name is a key of location ${coalesce(local.kms_location, "-")}; it encrypts the source bucket, the image repository and the functions, which are in region ${var.region}: it must be a key of ${var.region} (a key of bigquery_location goes in bigquery_kms_key_name)."
    }
  }

  depends_on = [time_sleep.apis]
}

resource "google_storage_bucket_object" "source" {
  bucket = google_storage_bucket.source.name
  name   = "function/${data.archive_file.source.output_md5}.zip"
  source = data.archive_file.source.output_path
}

# The images of the functions: the build account may write here and nowhere else.
resource "google_artifact_registry_repository" "functions" {
  count = var.docker_repository == null ? 1 : 0

  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}ai-impact"
  format        = "DOCKER"
  description   = "ai-impact: images of the functions, built by Cloud Build"
  kms_key_name  = var.kms_key_name
  labels        = local.labels

  depends_on = [time_sleep.apis]
}

resource "google_cloudfunctions2_function" "this" {
  for_each = local.doors

  project      = var.project_id
  name         = each.value.name
  location     = var.region
  description  = each.value.description
  kms_key_name = var.kms_key_name
  labels       = local.labels

  build_config {
    runtime           = var.runtime
    entry_point       = "ai_impact"
    service_account   = "projects/${var.project_id}/serviceAccounts/${local.build_email}"
    docker_repository = local.docker_repository
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
    service_account_email            = local.runtime_email
    ingress_settings                 = each.value.ingress
    vpc_connector                    = var.vpc_connector
    vpc_connector_egress_settings    = var.vpc_connector == null ? null : var.vpc_egress
    all_traffic_on_latest_revision   = true
    environment_variables = {
      # Which door this function serves (function/ai_impact/http.py).
      AI_IMPACT_DOORS = each.key
      # Threads of the server = requests served at once (Google's advice for Python).
      THREADS = tostring(var.max_instance_request_concurrency)
      # Selects the BigQuery store: custom entries, tokens and project mappings live in the
      # store dataset (sql/store), read again after the TTL.
      AI_IMPACT_BIGQUERY_DATASET = local.store_sql_name
      AI_IMPACT_STORE_TTL_S      = tostring(var.catalog_cache_ttl_seconds)
    }
  }

  lifecycle {
    precondition {
      condition     = var.rest_api || !var.public_rest_api
      error_message = "public_rest_api needs rest_api = true."
    }
  }

  depends_on = [time_sleep.build_iam]
}

# BigQuery calls the BigQuery door as the connection's service account: it may invoke that
# service and nothing else (no project-wide binding, no allUsers). The service is named by the
# function's service_config, not assumed equal to the function's name.
resource "google_cloud_run_v2_service_iam_member" "connection_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this["bigquery"].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_bigquery_connection.this.cloud_resource[0].service_account_id}"

  depends_on = [time_sleep.connection_service_account]
}

# The REST function: principals named in rest_invokers, and anyone when public_rest_api.
resource "google_cloud_run_v2_service_iam_member" "rest_invoker" {
  for_each = var.rest_api ? toset(var.rest_invokers) : toset([])

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this["rest"].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  count = var.rest_api && var.public_rest_api ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this["rest"].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}
