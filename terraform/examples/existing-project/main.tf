# A project a platform team already runs: it enables the APIs itself, brings its own runtime
# and build service accounts, image repository, VPC connector and KMS keys, and deploys under a
# prefix so that a second deployment can share the project.

variable "project_id" {
  description = "Project to deploy into."
  type        = string
}

variable "runtime_service_account" {
  description = "Email of the service account the functions run as."
  type        = string
}

variable "build_service_account" {
  description = "Email of the service account Cloud Build builds the functions as (needs roles/logging.logWriter, roles/storage.objectViewer and roles/artifactregistry.writer on docker_repository)."
  type        = string
}

variable "docker_repository" {
  description = "Artifact Registry repository of the images, projects/P/locations/L/repositories/R."
  type        = string
}

variable "vpc_connector" {
  description = "Serverless VPC Access connector, projects/P/locations/L/connectors/C."
  type        = string
  default     = null
}

variable "kms_key_name" {
  description = "CMEK key of the functions' region (us-central1) for the source bucket, the repository's images and the functions (its service agents must be allowed to use it)."
  type        = string
  default     = null
}

variable "bigquery_kms_key_name" {
  description = "CMEK key of location us (BigQuery location US) for the datasets, the connection and the reference-data bucket (its service agents must be allowed to use it)."
  type        = string
  default     = null
}

provider "google" {
  project = var.project_id
}

module "ai_impact" {
  source = "../.."

  project_id              = var.project_id
  name_prefix             = "stg-"
  dataset_id              = "ai_impact_stg"
  enable_apis             = false
  runtime_service_account = var.runtime_service_account
  build_service_account   = var.build_service_account
  docker_repository       = var.docker_repository
  vpc_connector           = var.vpc_connector
  kms_key_name            = var.kms_key_name
  bigquery_kms_key_name   = var.bigquery_kms_key_name
  labels                  = { "env" = "staging", "team" = "platform" }
}

output "routines" {
  description = "The routines, for SQL."
  value       = module.ai_impact.routines
}

output "first_query" {
  description = "A first query to run."
  value       = module.ai_impact.first_query
}
