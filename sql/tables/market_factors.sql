-- Reference table market_factors: function/ai_impact/data/market_factors.csv, loaded by Terraform
-- (a load job per CSV, CSV fields mapped to these columns by position).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: the table holds only what the CSV holds; Terraform reloads it after.
CREATE OR REPLACE TABLE `${project_id}.${dataset_id}.market_factors` (
  cloud_id STRING NOT NULL,
  year INT64 NOT NULL,
  scope2_location_tco2e FLOAT64 NOT NULL,
  scope2_market_tco2e FLOAT64 NOT NULL,
  notes STRING,
  source STRING NOT NULL
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/market_factors.csv; every row cites its source (column source).');
