-- Custom models: entries of the REST API (/model) and rows analysts INSERT.
-- Columns: the fields of the API's Model object (docs/api.md), then metadata.
-- customer_id: whose entry it is (1, the deployment's own customer, when an INSERT omits it;
-- 0 marks an admin's change to the global catalog). deleted: a global entry removed.
-- Generated from ai_impact.rest.resources by tests/tools/sql_tables.py: do not edit.
-- Terraform creates the table from terraform/generated/store (generated from this file).
-- IF NOT EXISTS: re-applying never touches the entries it holds.
CREATE TABLE IF NOT EXISTS `${project_id}.${dataset_id}.custom_models` (
  id STRING NOT NULL,
  aliases ARRAY<STRING>,
  name STRING,
  family STRING,
  hugging_face_path STRING,
  benchmark_model_id STRING,
  total_params_billions FLOAT64,
  number_of_experts INT64,
  params_per_expert_billions FLOAT64,
  kv_layer_fraction FLOAT64,
  recurrent_state_gb FLOAT64,
  datatype STRING,
  task STRING,
  training_usage_energy_kwh FLOAT64,
  training_usage_emissions_kgco2e FLOAT64,
  training_usage_water_l FLOAT64,
  training_embodied_emissions_kgco2e FLOAT64,
  training_embodied_water_l FLOAT64,
  estimated_use_life_days FLOAT64,
  estimated_requests_per_day FLOAT64,
  fine_tuned_from_model_id STRING,
  active_params_billions FLOAT64,
  total_params_low_billions FLOAT64,
  total_params_high_billions FLOAT64,
  active_params_low_billions FLOAT64,
  active_params_high_billions FLOAT64,
  default_steps INT64,
  default_width_px INT64,
  default_height_px INT64,
  developer STRING,
  architecture STRING,
  params_is_estimate STRING,
  notes STRING,
  source STRING,
  generation_method STRING,
  size_method STRING,
  size_evidence STRING,
  modality STRING,
  customer_id INT64 NOT NULL DEFAULT 1,
  deleted BOOL NOT NULL DEFAULT FALSE,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  created_by STRING NOT NULL DEFAULT SESSION_USER()
)
OPTIONS (description = 'ai-impact custom models (REST API /model, or plain INSERTs); read by the function with a cache TTL.');
