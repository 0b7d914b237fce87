-- Custom gpus: entries of the REST API (/gpu) and rows analysts INSERT.
-- Columns: the fields of the API's GPU object (docs/api.md), then metadata.
-- customer_id: whose entry it is (1, the deployment's own customer, when an INSERT omits it;
-- 0 marks an admin's change to the global catalog). deleted: a global entry removed.
-- Generated from ai_impact.rest.resources by tests/tools/sql_tables.py: do not edit.
-- Terraform creates the table from terraform/generated/store (generated from this file).
-- IF NOT EXISTS: re-applying never touches the entries it holds.
CREATE TABLE IF NOT EXISTS `${project_id}.${dataset_id}.custom_gpus` (
  id STRING NOT NULL,
  name STRING,
  max_power_w FLOAT64,
  embodied_emissions_kgco2e FLOAT64,
  embodied_water_mlh2o FLOAT64,
  performance_ratio_to_h200 FLOAT64,
  ols_intercept FLOAT64,
  ols_coefficient_gpu_count FLOAT64,
  aliases ARRAY<STRING>,
  memory_gb FLOAT64,
  memory_bandwidth_tbps FLOAT64,
  bf16_dense_tflops FLOAT64,
  idle_power_w FLOAT64,
  generation STRING,
  vendor STRING,
  notes STRING,
  source STRING,
  customer_id INT64 NOT NULL DEFAULT 1,
  deleted BOOL NOT NULL DEFAULT FALSE,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  created_by STRING NOT NULL DEFAULT SESSION_USER()
)
OPTIONS (description = 'ai-impact custom gpus (REST API /gpu, or plain INSERTs); read by the function with a cache TTL.');
