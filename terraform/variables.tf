variable "project_id" {
  description = "Project to deploy into (function, connection, dataset)."
  type        = string
}

variable "region" {
  description = "Region of the function and its source bucket. It must lie inside bigquery_location (us-central1 for US, europe-west1 for EU, or the same region)."
  type        = string
  default     = "us-central1"
}

variable "bigquery_location" {
  description = "Location of the dataset and of the BigQuery connection (US, EU or a region). The remote functions can be called from datasets of this location only."
  type        = string
  default     = "US"
}

variable "dataset_id" {
  description = "Dataset of the routines, reference tables and custom-entry tables."
  type        = string
  default     = "ai_impact"
}

variable "function_name" {
  description = "Name of the Cloud Function (and of its Cloud Run service)."
  type        = string
  default     = "ai-impact"
}

variable "connection_id" {
  description = "Id of the BigQuery connection (CLOUD_RESOURCE) the remote functions call through."
  type        = string
  default     = "ai-impact"
}

variable "bucket_name" {
  description = "Bucket for the function's source zip and the reference CSVs. Default: PROJECT_ID-ai-impact-source."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Python runtime of the function (the package needs Python >= 3.11)."
  type        = string
  default     = "python312"
}

variable "memory" {
  description = "Memory of an instance. 512Mi holds eight 5,000-row batches at once with a wide margin (README, \"Sizing\")."
  type        = string
  default     = "512Mi"
}

variable "cpu" {
  description = "vCPUs of an instance. One: the handler is CPU-bound Python, one batch at a time per core."
  type        = string
  default     = "1"
}

variable "max_instance_request_concurrency" {
  description = "Requests an instance serves at once (THREADS of the server). 8 overlaps network I/O with computing; more only queues behind the one core."
  type        = number
  default     = 8
}

variable "max_instance_count" {
  description = "Most instances. An instance computes about 95,000 rows/s in-process (make bench); counting half that through HTTP, 20 instances answer about 900,000 rows/s."
  type        = number
  default     = 20
}

variable "min_instance_count" {
  description = "Instances kept warm. 0: no cost when idle; the first batch waits for a cold start (about 1-2 s)."
  type        = number
  default     = 0
}

variable "timeout_seconds" {
  description = "Request timeout. A 5,000-row batch takes about 0.1 s of CPU; 300 s also covers a cold start, queueing and a catalog refresh, far below BigQuery's 20-minute limit."
  type        = number
  default     = 300
}

variable "catalog_cache_ttl_seconds" {
  description = "How long an instance keeps the custom entries it read from BigQuery before reading them again (AI_IMPACT_STORE_TTL_S). A node INSERTed in SQL is used at most this long after."
  type        = number
  default     = 60
}

variable "public_rest_api" {
  description = "Let anyone on the internet reach the service (allUsers gets roles/run.invoker), for the REST API and its bearer tokens. Default false: only IAM principals (the BigQuery connection, and those you grant) can call it."
  type        = bool
  default     = false
}

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
  description = "Principals (user:..., group:..., serviceAccount:...) allowed to call the functions, read the reference tables and INSERT custom entries."
  type        = list(string)
  default     = []
}

variable "build_service_account" {
  description = "Service account (full resource name) that builds the function. Default null: Cloud Build's default for the project."
  type        = string
  default     = null
}

variable "delete_contents_on_destroy" {
  description = "Let terraform destroy delete the dataset with its tables (custom entries included)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels of the function, bucket and dataset."
  type        = map(string)
  default     = {}
}
