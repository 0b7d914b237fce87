# Inputs of the module. The tables of README.md are generated from this file
# (python scripts/terraform_docs.py); a test fails while they differ.

# --- where --------------------------------------------------------------------------------------

variable "project_id" {
  description = "Project to deploy into (functions, connection, datasets, buckets)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project id: 6 to 30 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, the source bucket and the image repository. It must lie inside bigquery_location (a US region for US, a region in a member state of the European Union for EU, so not europe-west2 London or europe-west6 Zurich, or that very region)."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1."
  }
}

variable "bigquery_location" {
  description = "Location of the datasets, the BigQuery connection and the reference-data bucket: US, EU or a region. The remote functions can be called from datasets of this location only."
  type        = string
  default     = "US"

  validation {
    condition     = contains(["US", "EU"], var.bigquery_location) || can(regex("^[a-z]+-[a-z]+[0-9]+$", var.bigquery_location))
    error_message = "bigquery_location must be US, EU or a region such as europe-west1."
  }
}

# --- names --------------------------------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name the module makes (functions, service accounts, connection, buckets, repository), so that several deployments can share a project. Empty, or lower-case letters, digits and hyphens ending with a hyphen, at most 10 characters."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,8}-)?$", var.name_prefix))
    error_message = "name_prefix must be empty or like \"dev-\": a letter, then letters, digits or hyphens, ending with '-', at most 10 characters."
  }
}

variable "function_name" {
  description = "Name of the BigQuery-door function (and of its Cloud Run service), after name_prefix; the REST function adds \"-rest\", the service accounts \"-run\" and \"-build\" (their ids must be 6 to 30 characters)."
  type        = string
  default     = "ai-impact"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,22}[a-z0-9]$", var.function_name))
    error_message = "function_name must be 4 to 24 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "dataset_id" {
  description = "Dataset of the routines and the reference tables (what analysts read)."
  type        = string
  default     = "ai_impact"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1000}$", var.dataset_id))
    error_message = "dataset_id may hold letters, digits and underscores only (at most 1,000)."
  }
}

variable "store_dataset_id" {
  description = "Dataset of the store: custom entries, customers, projects and REST tokens; only the functions and catalog_admins write it, analysts get nothing. Default: dataset_id + \"_store\"."
  type        = string
  default     = null

  validation {
    condition     = var.store_dataset_id == null || can(regex("^[A-Za-z0-9_]{1,1000}$", coalesce(var.store_dataset_id, "x")))
    error_message = "store_dataset_id may hold letters, digits and underscores only (at most 1,000)."
  }
}

variable "connection_id" {
  description = "Id of the BigQuery connection (CLOUD_RESOURCE) the remote functions call through and the reference tables are read with, after name_prefix."
  type        = string
  default     = "ai-impact"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.connection_id))
    error_message = "connection_id may hold letters, digits, '_' and '-' only (at most 64)."
  }
}

variable "bucket_name" {
  description = "Bucket of the functions' source zip. Default: PROJECT_ID-NAME_PREFIXai-impact-source. The reference CSVs go to a second bucket, this name with \"-source\" replaced by \"-data\"."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9_.-]{1,54}-source$", coalesce(var.bucket_name, "x")))
    error_message = "bucket_name must be a bucket name ending with \"-source\" (at most 62 characters)."
  }
}

# --- functions ----------------------------------------------------------------------------------

variable "runtime" {
  description = "Python runtime of the functions (the package needs Python >= 3.11)."
  type        = string
  default     = "python312"

  validation {
    condition     = can(regex("^python3(1[1-9])$", var.runtime))
    error_message = "runtime must be python311 or later."
  }
}

variable "memory" {
  description = "Memory of an instance. 512Mi holds eight 5,000-row batches at once with a wide margin (README, \"Sizing\")."
  type        = string
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|M|G)$", var.memory))
    error_message = "memory must be a size such as 512Mi or 1Gi."
  }
}

variable "cpu" {
  description = "vCPUs of an instance. One: the handler is CPU-bound Python, one batch at a time per core."
  type        = string
  default     = "1"

  validation {
    condition     = can(regex("^([0-9]+|0\\.[0-9]+)$", var.cpu))
    error_message = "cpu must be a number of vCPUs such as 1 or 0.5."
  }
}

variable "max_instance_request_concurrency" {
  description = "Requests an instance serves at once (THREADS of the server). 8 overlaps network I/O with computing; more only queues behind the one core."
  type        = number
  default     = 8

  validation {
    condition     = var.max_instance_request_concurrency >= 1 && var.max_instance_request_concurrency <= 1000
    error_message = "max_instance_request_concurrency must be 1 to 1000 (Cloud Run's limit)."
  }
}

variable "max_instance_count" {
  description = "Most instances of each function. An instance computes about 95,000 rows/s in-process (make bench); counting half that through HTTP, 20 instances answer about 900,000 rows/s."
  type        = number
  default     = 20

  validation {
    condition     = var.max_instance_count >= 1
    error_message = "max_instance_count must be at least 1."
  }
}

variable "min_instance_count" {
  description = "Instances kept warm. 0: no cost when idle; the first batch waits for a cold start (about 1-2 s)."
  type        = number
  default     = 0

  validation {
    condition     = var.min_instance_count >= 0
    error_message = "min_instance_count must be 0 or more."
  }
}

variable "timeout_seconds" {
  description = "Request timeout. A 5,000-row batch takes about 0.1 s of CPU; 300 s also covers a cold start, queueing and a catalog refresh. At most 1200: BigQuery gives up on a remote call after 20 minutes."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 1200
    error_message = "timeout_seconds must be 1 to 1200 (BigQuery's 20-minute limit on a remote call)."
  }
}

variable "catalog_cache_ttl_seconds" {
  description = "How long an instance keeps the custom entries it read from BigQuery before reading them again (AI_IMPACT_STORE_TTL_S). A node INSERTed in SQL is used at most this long after."
  type        = number
  default     = 60

  validation {
    condition     = var.catalog_cache_ttl_seconds >= 0
    error_message = "catalog_cache_ttl_seconds must be 0 or more."
  }
}

# --- exposure -----------------------------------------------------------------------------------

variable "bigquery_ingress" {
  description = "Network ingress of the BigQuery-door function. ALLOW_INTERNAL_ONLY (default): only Google-internal traffic such as BigQuery's calls through the connection of this project; ALLOW_ALL only if your organisation routes the calls otherwise. Its IAM never changes: only the connection's service account may invoke it."
  type        = string
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB", "ALLOW_ALL"], var.bigquery_ingress)
    error_message = "bigquery_ingress must be ALLOW_INTERNAL_ONLY, ALLOW_INTERNAL_AND_GCLB or ALLOW_ALL."
  }
}

variable "rest_api" {
  description = "Deploy the REST API (/v1/impact, catalog endpoints) as a second function, separate from the BigQuery door. Private unless public_rest_api: internal ingress, callable by rest_invokers."
  type        = bool
  default     = false
}

variable "public_rest_api" {
  description = "Open the REST function to the internet (ingress ALLOW_ALL, allUsers may invoke it); its bearer tokens still apply. Needs rest_api. The BigQuery door stays private either way."
  type        = bool
  default     = false
}

variable "rest_invokers" {
  description = "Principals (user:..., group:..., serviceAccount:...) allowed to invoke the private REST function (with an identity token in X-Serverless-Authorization, the API token in Authorization)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.rest_invokers : can(regex("^(user|group|serviceAccount|domain):.+$", m))])
    error_message = "rest_invokers must be IAM principals: user:..., group:..., serviceAccount:... or domain:...."
  }
}

# --- who ----------------------------------------------------------------------------------------

variable "customer_name" {
  description = "Name of the deployment's own customer (customer 1): custom entries INSERTed without a customer_id are its."
  type        = string
  default     = "default"

  validation {
    condition     = can(regex("^[A-Za-z0-9 ._-]+$", var.customer_name))
    error_message = "customer_name may hold letters, digits, spaces, '.', '_' and '-' only."
  }
}

variable "caller_projects" {
  description = "Projects whose BigQuery queries use customer 1's custom entries. Default: [project_id]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.caller_projects : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", p))])
    error_message = "caller_projects must be project ids."
  }
}

variable "analysts" {
  description = "Principals (user:..., group:..., serviceAccount:...) allowed to call the functions in SQL and read the reference tables. Read-only: no access to the store dataset."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.analysts : can(regex("^(user|group|serviceAccount|domain):.+$", m))])
    error_message = "analysts must be IAM principals: user:..., group:..., serviceAccount:... or domain:...."
  }
}

variable "catalog_admins" {
  description = "Principals, typically one group (group:ai-impact-admins@example.com), allowed to change the catalog with SQL: INSERT, UPDATE, DELETE in the store's custom_models, custom_nodes, custom_gpus and custom_datacenters (customer_id 0 changes it for every customer). Others change it through the REST API's admin tokens."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.catalog_admins : can(regex("^(user|group|serviceAccount|domain):.+$", m))])
    error_message = "catalog_admins must be IAM principals: user:..., group:..., serviceAccount:... or domain:...."
  }
}

variable "runtime_service_account" {
  description = "Email of an existing service account for the functions to run as (bring your own). Default null: the module creates FUNCTION_NAME-run. The module grants it its roles either way."
  type        = string
  default     = null

  validation {
    condition     = var.runtime_service_account == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@.+\\.iam\\.gserviceaccount\\.com$", coalesce(var.runtime_service_account, "x")))
    error_message = "runtime_service_account must be a service account email (ID@PROJECT.iam.gserviceaccount.com)."
  }
}

variable "build_service_account" {
  description = "Email of an existing service account for Cloud Build to build the functions as (bring your own). Default null: the module creates FUNCTION_NAME-build with the roles a gen2 build needs (README, \"Roles\")."
  type        = string
  default     = null

  validation {
    condition     = var.build_service_account == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@.+\\.iam\\.gserviceaccount\\.com$", coalesce(var.build_service_account, "x")))
    error_message = "build_service_account must be a service account email (ID@PROJECT.iam.gserviceaccount.com)."
  }
}

# --- platform -----------------------------------------------------------------------------------

variable "enable_apis" {
  description = "Enable the APIs the module needs, then wait api_settle_seconds for them to settle. false where a platform team enables APIs itself."
  type        = bool
  default     = true
}

variable "api_settle_seconds" {
  description = "Seconds to wait after enabling the APIs (freshly enabled APIs can answer 403 for a minute or two)."
  type        = number
  default     = 60

  validation {
    condition     = var.api_settle_seconds >= 0 && var.api_settle_seconds <= 600
    error_message = "api_settle_seconds must be 0 to 600."
  }
}

variable "labels" {
  description = "Labels of every resource that takes labels (functions, buckets, datasets, tables, repository)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys must start with a lower-case letter; keys and values may hold lower-case letters, digits, '_' and '-' (at most 63)."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) of location region, to encrypt the regional resources with (CMEK): the source bucket, the image repository and the functions. The service agents need roles/cloudkms.cryptoKeyEncrypterDecrypter on it (README, \"CMEK\"). Default null: Google-managed keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", coalesce(var.kms_key_name, "x")))
    error_message = "kms_key_name must be projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "bigquery_kms_key_name" {
  description = "Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) of bigquery_location (key location us for US, europe for EU, else that region), to encrypt the resources there with (CMEK): both datasets, the connection and the reference-data bucket. A key encrypts resources of its own location only, hence two keys. Default null: Google-managed keys."
  type        = string
  default     = null

  validation {
    condition     = var.bigquery_kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", coalesce(var.bigquery_kms_key_name, "x")))
    error_message = "bigquery_kms_key_name must be projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "docker_repository" {
  description = "Artifact Registry repository for the functions' images (projects/P/locations/L/repositories/R), bring your own. Default null: the module creates one in region, so that the build account writes there and nowhere else. With kms_key_name, yours must be encrypted with a key too (the module cannot check it). When the module creates the build account, it grants it roles/artifactregistry.writer on this repository (the deployer needs the right to set its IAM policy)."
  type        = string
  default     = null

  validation {
    condition     = var.docker_repository == null || can(regex("^projects/[^/]+/locations/[^/]+/repositories/[^/]+$", coalesce(var.docker_repository, "x")))
    error_message = "docker_repository must be projects/P/locations/L/repositories/R."
  }
}

variable "vpc_connector" {
  description = "Serverless VPC Access connector (projects/P/locations/L/connectors/C) for the functions' egress. Default null: no VPC."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_connector == null || can(regex("^projects/[^/]+/locations/[^/]+/connectors/[^/]+$", coalesce(var.vpc_connector, "x")))
    error_message = "vpc_connector must be projects/P/locations/L/connectors/C."
  }
}

variable "vpc_egress" {
  description = "Which egress goes through vpc_connector: PRIVATE_RANGES_ONLY or ALL_TRAFFIC (then BigQuery's API must be reachable from the VPC: Private Google Access or NAT)."
  type        = string
  default     = "PRIVATE_RANGES_ONLY"

  validation {
    condition     = contains(["PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"], var.vpc_egress)
    error_message = "vpc_egress must be PRIVATE_RANGES_ONLY or ALL_TRAFFIC."
  }
}

variable "deletion_protection" {
  description = "Protect the store (custom entries, tokens) from terraform destroy and from a schema change that would re-create its tables. false lets destroy delete the datasets with their tables."
  type        = bool
  default     = true
}

variable "seed_run" {
  description = "Change this value (e.g. a date) to run the seed job again (customer 1 and the caller projects): a BigQuery job id is used once, so a failed seed needs a new id."
  type        = string
  default     = "1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,20}$", var.seed_run))
    error_message = "seed_run may hold letters, digits, '_' and '-' (at most 20)."
  }
}
