# The BigQuery door, plus the REST API open to the internet (its bearer tokens decide who may
# do what). The BigQuery door stays private: a second function, invoked by the BigQuery
# connection only.

variable "project_id" {
  description = "Project to deploy into."
  type        = string
}

variable "region" {
  description = "Region of the functions (inside the EU multi-region)."
  type        = string
  default     = "europe-west1"
}

variable "catalog_admins" {
  description = "A group allowed to change the catalog with SQL, e.g. [\"group:ai-impact-admins@example.com\"]."
  type        = list(string)
  default     = []
}

provider "google" {
  project = var.project_id
}

module "ai_impact" {
  source = "../.."

  project_id        = var.project_id
  region            = var.region
  bigquery_location = "EU"
  rest_api          = true
  public_rest_api   = true
  catalog_admins    = var.catalog_admins
  labels            = { "env" = "prod" }
}

output "rest_endpoint" {
  description = "The public REST API: POST /v1/impact with an API token."
  value       = module.ai_impact.rest_endpoint
}

output "store_dataset" {
  description = "The store dataset, where the API tokens live."
  value       = module.ai_impact.store_dataset
}

output "first_query" {
  description = "A first query to run."
  value       = module.ai_impact.first_query
}
