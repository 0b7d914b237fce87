-- Reference table gpus: function/ai_impact/data/gpus.csv, loaded by Terraform
-- (a load job per CSV, CSV fields mapped to these columns by position).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: the table holds only what the CSV holds; Terraform reloads it after.
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
  embodied_emissions_kgco2e FLOAT64 NOT NULL,
  embodied_water_l FLOAT64 NOT NULL,
  notes STRING,
  source STRING NOT NULL
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/gpus.csv; every row cites its source (column source).');
