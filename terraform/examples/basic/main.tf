# The module with its defaults: the function in us-central1, the dataset and connection in the
# US multi-region, private (IAM-only) endpoint.
#
#   terraform init
#   terraform apply -var project_id=my-project
#   terraform output -raw first_query | bq query --use_legacy_sql=false

variable "project_id" {
  description = "Project to deploy into."
  type        = string
}

provider "google" {
  project = var.project_id
}

module "ai_impact" {
  source = "../.."

  project_id = var.project_id
}

output "endpoint" {
  description = "HTTPS endpoint of the function."
  value       = module.ai_impact.endpoint
}

output "first_query" {
  description = "A first query to run."
  value       = module.ai_impact.first_query
}
