output "seed" {
  description = "The script adding customer 1 and mapping the caller projects to it (sql/store/seed.sql)."
  value       = templatefile("${local.sql_dir}/store/seed.sql", local.vars)
}
