# The seed script of sql/store, rendered for one deployment with templatefile(): it needs no
# provider, so the tests run this very module offline (terraform init + apply) and execute what
# it outputs. Routines and tables are not SQL jobs: the root module declares them from
# terraform/generated/ (bigquery.tf).

locals {
  sql_dir = "${path.module}/../../../sql"

  # Placeholders of sql/store/seed.sql (docs/sql.md, "Templating").
  vars = {
    project_id      = var.project_id
    dataset_id      = var.dataset_id
    customer_name   = var.customer_name
    caller_projects = jsonencode(var.caller_projects)
  }
}
