output "endpoint" {
  description = "HTTPS endpoint of the function (BigQuery protocol at POST /, REST API under its paths)."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "function_name" {
  description = "Name of the Cloud Function (and of its Cloud Run service)."
  value       = google_cloudfunctions2_function.this.name
}

output "runtime_service_account" {
  description = "Service account the function runs as."
  value       = google_service_account.runtime.email
}

output "connection" {
  description = "The BigQuery connection, as BigQuery DDL names it (PROJECT.LOCATION.CONNECTION_ID)."
  value       = local.connection_sql_name
}

output "connection_service_account" {
  description = "Service account BigQuery calls the function as (holds roles/run.invoker on it)."
  value       = google_bigquery_connection.this.cloud_resource[0].service_account_id
}

output "dataset" {
  description = "The dataset, as PROJECT.DATASET."
  value       = local.dataset_sql_name
}

output "routines" {
  description = "Fully qualified names of the routines, for SQL."
  value = {
    for name in ["ai_impact", "ai_impact_debug", "ai_impact_market", "ai_impact_scope3", "ai_impact_request", "ai_impact_request_otel", "ai_impact_metrics"] :
    name => "`${local.dataset_sql_name}.${name}`"
  }
}

output "first_query" {
  description = "A query to run once the apply is done: one request, its reply unpacked."
  value       = <<-SQL
    SELECT m.total_impact.*, m.error_code
    FROM (
      SELECT `${local.dataset_sql_name}.ai_impact_metrics`(
        `${local.dataset_sql_name}.ai_impact`(
          `${local.dataset_sql_name}.ai_impact_request`(
            'gpt-4o', 'openai', NULL, NULL, 'US', CURRENT_TIMESTAMP(), 1200, 300))) AS m)
  SQL
}
