-- Reference table services: function/ai_impact/data/services.csv.
-- Terraform deploys it as an external table over that CSV (CSV fields mapped to these columns
-- by position), its schema generated from this file (terraform/generated/reference).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: a native copy holds only what the CSV holds (the emulator tests load it).
CREATE OR REPLACE TABLE `${project_id}.${dataset_id}.services` (
  service_id STRING NOT NULL,
  aliases STRING,
  name STRING NOT NULL,
  company STRING,
  default_node_id STRING NOT NULL,
  default_cloud_id STRING,
  default_cloud_region STRING,
  default_country STRING,
  default_region STRING,
  pue FLOAT64 NOT NULL,
  wue_l_per_kwh FLOAT64 NOT NULL,
  serving_datatype STRING,
  serving_batch_size FLOAT64,
  serving_assumption STRING,
  notes STRING,
  source STRING NOT NULL
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/services.csv; every row cites its source (column source).');
