-- Custom nodes: entries of the REST API (/node) and rows analysts INSERT.
-- Columns: the fields of the API's Node object (docs/api.md), then metadata.
-- customer_id: whose entry it is (1, the deployment's own customer, when an INSERT omits it;
-- 0 marks an admin's change to the global catalog). deleted: a global entry removed.
-- Generated from ai_impact.rest.resources by tests/tools/sql_tables.py: do not edit.
-- Terraform creates the table from terraform/generated/store (generated from this file).
-- IF NOT EXISTS: re-applying never touches the entries it holds.
CREATE TABLE IF NOT EXISTS `${project_id}.${dataset_id}.custom_nodes` (
  id STRING NOT NULL,
  cloud_id STRING,
  cloud_instance_id STRING,
  managed_service_id STRING,
  gpu_id STRING,
  gpu_count INT64,
  cpu_count INT64,
  idle_power_w_ex_gpu FLOAT64,
  average_utilization_rate FLOAT64,
  embodied_emissions_kgco2e_ex_gpu FLOAT64,
  embodied_water_l_ex_gpu FLOAT64,
  use_life_years FLOAT64,
  notes STRING,
  source STRING,
  datacenter_id STRING,
  customer_id INT64 NOT NULL DEFAULT 1,
  deleted BOOL NOT NULL DEFAULT FALSE,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  created_by STRING NOT NULL DEFAULT SESSION_USER()
)
OPTIONS (description = 'ai-impact custom nodes (REST API /node, or plain INSERTs); read by the function with a cache TTL.');
