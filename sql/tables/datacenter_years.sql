-- Reference table datacenter_years: function/ai_impact/data/datacenter_years.csv.
-- Terraform deploys it as an external table over that CSV (CSV fields mapped to these columns
-- by position), its schema generated from this file (terraform/generated/reference).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: a native copy holds only what the CSV holds (the emulator tests load it).
CREATE OR REPLACE TABLE `${project_id}.${dataset_id}.datacenter_years` (
  datacenter_id STRING NOT NULL,
  year INT64 NOT NULL,
  pue FLOAT64,
  wue_l_per_kwh FLOAT64,
  contract_gco2e_per_kwh FLOAT64,
  cfe_pct FLOAT64,
  notes STRING,
  source STRING NOT NULL
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/datacenter_years.csv; every row cites its source (column source).');
