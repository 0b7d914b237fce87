-- Reference table gpus: function/ai_impact/data/gpus.csv.
-- Terraform deploys it as an external table over that CSV (CSV fields mapped to these columns
-- by position), its schema generated from this file (terraform/generated/reference).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: a native copy holds only what the CSV holds (the emulator tests load it).
CREATE OR REPLACE TABLE `${project_id}.${dataset_id}.gpus` (
  gpu_id STRING NOT NULL,
  name STRING NOT NULL,
  vendor STRING,
  aliases STRING,
  memory_gb FLOAT64 NOT NULL,
  tdp_w FLOAT64 NOT NULL,
  idle_power_w FLOAT64 NOT NULL,
  memory_bandwidth_tbps FLOAT64 NOT NULL,
  bf16_dense_tflops FLOAT64 NOT NULL,
  generation STRING,
  embodied_emissions_kgco2e FLOAT64 NOT NULL,
  embodied_water_l FLOAT64 NOT NULL,
  notes STRING,
  source STRING NOT NULL
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/gpus.csv; every row cites its source (column source).');
