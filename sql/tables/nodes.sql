-- Reference table nodes: function/ai_impact/data/nodes.csv.
-- Terraform deploys it as an external table over that CSV (CSV fields mapped to these columns
-- by position), its schema generated from this file (terraform/generated/reference).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: a native copy holds only what the CSV holds (the emulator tests load it).
CREATE OR REPLACE TABLE `${project_id}.${dataset_id}.nodes` (
  node_id STRING NOT NULL,
  cloud_id STRING,
  cloud_instance_id STRING,
  gpu_id STRING NOT NULL,
  gpu_count INT64 NOT NULL,
  cpu_count INT64 NOT NULL,
  idle_power_w_ex_gpu FLOAT64 NOT NULL,
  embodied_emissions_kgco2e_ex_gpu FLOAT64 NOT NULL,
  embodied_water_l_ex_gpu FLOAT64 NOT NULL,
  use_life_years FLOAT64 NOT NULL,
  average_utilization_rate FLOAT64 NOT NULL,
  notes STRING,
  source STRING NOT NULL,
  datacenter_id STRING
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/nodes.csv; every row cites its source (column source).');
