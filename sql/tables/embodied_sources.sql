-- Reference table embodied_sources: function/ai_impact/data/embodied_sources.csv.
-- Terraform deploys it as an external table over that CSV (CSV fields mapped to these columns
-- by position), its schema generated from this file (terraform/generated/reference).
-- Generated from ai_impact.catalog.SCHEMAS by tests/tools/sql_tables.py: do not edit.
-- CREATE OR REPLACE: a native copy holds only what the CSV holds (the emulator tests load it).
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
