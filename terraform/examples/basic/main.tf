# The module with its defaults: the BigQuery door in us-central1, private (the BigQuery
# connection alone may invoke it, internal ingress), the datasets and the connection in the US
# multi-region, no REST API.

variable "project_id" {
  description = "Project to deploy into."
  type        = string
}

variable "analysts" {
  description = "Principals who may call ai_impact(...) in SQL and read the reference tables."
  type        = list(string)
  default     = []
}

provider "google" {
  project = var.project_id
}

module "ai_impact" {
  source = "../.."

  project_id = var.project_id
  analysts   = var.analysts
}

output "dataset" {
  description = "The dataset of the routines and reference tables."
  value       = module.ai_impact.dataset
}

output "first_query" {
  description = "A first query to run: terraform output -raw first_query | bq query --use_legacy_sql=false"
  value       = module.ai_impact.first_query
}
