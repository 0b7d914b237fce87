# The SQL of sql/, rendered for one deployment with templatefile(): this module is the only
# place where Terraform reads the .sql files, and it needs no provider, so the tests run this
# very module offline (terraform init + apply) and execute what it outputs.

locals {
  sql_dir = "${path.module}/../../../sql"

  # Placeholders of the .sql files (docs/sql.md, "Templating").
  vars = {
    project_id      = var.project_id
    dataset_id      = var.dataset_id
    connection      = var.connection
    endpoint        = var.endpoint
    customer_name   = var.customer_name
    caller_projects = jsonencode(var.caller_projects)
  }

  function_files  = sort(fileset("${local.sql_dir}/functions", "*.sql"))
  reference_files = sort(fileset("${local.sql_dir}/tables", "*.sql"))
  store_files     = sort([for f in fileset("${local.sql_dir}/store", "*.sql") : f if f != "seed.sql"])
}
