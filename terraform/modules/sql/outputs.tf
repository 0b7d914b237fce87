output "functions" {
  description = "One script creating every routine of sql/functions, in file name order."
  value       = join("\n", [for f in local.function_files : templatefile("${local.sql_dir}/functions/${f}", local.vars)])
}

output "reference_tables" {
  description = "Table name => DDL of each reference table (sql/tables)."
  value       = { for f in local.reference_files : trimsuffix(f, ".sql") => templatefile("${local.sql_dir}/tables/${f}", local.vars) }
}

output "store_tables" {
  description = "Table name => DDL of each table of the BigQuery store (sql/store)."
  value       = { for f in local.store_files : trimsuffix(f, ".sql") => templatefile("${local.sql_dir}/store/${f}", local.vars) }
}

output "seed" {
  description = "The script adding customer 1 and mapping the caller projects to it (sql/store/seed.sql)."
  value       = templatefile("${local.sql_dir}/store/seed.sql", local.vars)
}
