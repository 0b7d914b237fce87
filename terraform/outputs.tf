output "endpoint" {
  description = "HTTPS endpoint of the BigQuery-door function (the remote functions' endpoint; callable by the BigQuery connection only)."
  value       = google_cloudfunctions2_function.this["bigquery"].service_config[0].uri
}

output "rest_endpoint" {
  description = "HTTPS endpoint of the REST API (/v1/impact, catalog endpoints), or null without rest_api."
  value       = var.rest_api ? google_cloudfunctions2_function.this["rest"].service_config[0].uri : null
}

output "function_name" {
  description = "Name of the BigQuery-door function (and of its Cloud Run service)."
  value       = google_cloudfunctions2_function.this["bigquery"].name
}

output "runtime_service_account" {
  description = "Service account the functions run as."
  value       = local.runtime_email
}

output "build_service_account" {
  description = "Service account Cloud Build builds the functions as."
  value       = local.build_email
}

output "connection" {
  description = "The BigQuery connection, as BigQuery DDL names it (PROJECT.LOCATION.CONNECTION_ID)."
  value       = local.connection_sql_name
}

output "connection_service_account" {
  description = "Service account BigQuery calls the BigQuery door as (holds roles/run.invoker on that service only) and reads the reference CSVs as."
  value       = google_bigquery_connection.this.cloud_resource[0].service_account_id
}

output "dataset" {
  description = "The dataset of the routines and reference tables, as PROJECT.DATASET."
  value       = local.dataset_sql_name
}

output "store_dataset" {
  description = "The store dataset (custom entries, customers, projects, tokens), as PROJECT.DATASET."
  value       = local.store_sql_name
}

output "routines" {
  description = "Fully qualified names of the routines, for SQL."
  value       = { for name in keys(local.routines) : name => "`${local.dataset_sql_name}.${name}`" }
}

output "first_query" {
  description = "A query to run once the apply is done: one request, ai_impact called once in a CTE, its reply unpacked after (the pattern of docs/sql.md)."
  value       = <<-SQL
    WITH replies AS (
      SELECT `${local.dataset_sql_name}.ai_impact`(
        `${local.dataset_sql_name}.ai_impact_request`(
          'gpt-4o', 'openai', NULL, NULL, 'US', CURRENT_TIMESTAMP(), 1200, 300)) AS reply
    )
    SELECT m.total_impact.*, m.error_code
    FROM replies, UNNEST([`${local.dataset_sql_name}.ai_impact_metrics`(reply)]) AS m
  SQL

  depends_on = [google_bigquery_routine.remote, google_bigquery_routine.sql]
}
