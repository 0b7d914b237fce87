-- Reference table embodied_sources: function/ai_impact/data/embodied_sources.csv, loaded by Terraform
-- (a load job per CSV, CSV fields mapped to these columns by position).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: the table holds only what the CSV holds; Terraform reloads it after.
CREATE OR REPLACE TABLE `${project_id}.${dataset_id}.embodied_sources` (
  component STRING NOT NULL,
  component_id STRING NOT NULL,
  source_key STRING NOT NULL,
  embodied_emissions_kgco2e FLOAT64,
  embodied_water_l FLOAT64,
  in_range STRING NOT NULL,
  notes STRING,
  source STRING NOT NULL
)
OPTIONS (description = 'ai-impact reference table from function/ai_impact/data/embodied_sources.csv; every row cites its source (column source).');
