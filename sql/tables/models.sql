-- Reference table models: function/ai_impact/data/models.csv.
-- Terraform deploys it as an external table over that CSV (CSV fields mapped to these columns
-- by position), its schema generated from this file (terraform/generated/reference).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: a native copy holds only what the CSV holds (the emulator tests load it).
CREATE OR REPLACE TABLE `${project_id}.${dataset_id}.models` (
  model_id STRING NOT NULL,
  name STRING,
  family STRING,
  developer STRING,
  hugging_face_path STRING,
  aliases STRING,
  task STRING,
  architecture STRING,
  total_params_billions FLOAT64,
  active_params_billions FLOAT64,
  number_of_experts INT64,
  params_per_expert_billions FLOAT64,
  kv_layer_fraction FLOAT64,
  recurrent_state_gb FLOAT64,
  datatype STRING,
  params_is_estimate STRING,
  total_params_low_billions FLOAT64,
  total_params_high_billions FLOAT64,
  active_params_low_billions FLOAT64,
  active_params_high_billions FLOAT64,
  size_method STRING,
  size_evidence STRING,
  modality STRING,
  training_usage_energy_kwh FLOAT64,
  training_usage_emissions_kgco2e FLOAT64,
  training_usage_water_l FLOAT64,
  training_embodied_emissions_kgco2e FLOAT64,
  training_embodied_water_l FLOAT64,
  estimated_use_life_days FLOAT64,
  estimated_requests_per_day FLOAT64,
  fine_tuned_from_model_id STRING,
  default_steps INT64,
  default_width_px INT64,
  default_height_px INT64,
  notes STRING,
  source STRING NOT NULL,
  generation_method STRING
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/models.csv; every row cites its source (column source).');
