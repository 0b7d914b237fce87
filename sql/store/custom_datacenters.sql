-- Custom datacenters: entries of the REST API (/datacenter) and rows analysts INSERT.
-- Columns: the fields of the API's Datacenter object (docs/api.md), then metadata.
-- customer_id: whose entry it is (1, the deployment's own customer, when an INSERT omits it;
-- 0 marks an admin's change to the global catalog). deleted: a global entry removed.
-- Generated from ai_impact.rest.resources by tests/tools/sql_tables.py: do not edit.
-- Terraform creates the table from terraform/generated/store (generated from this file).
-- IF NOT EXISTS: re-applying never touches the entries it holds.
CREATE TABLE IF NOT EXISTS `${project_id}.${dataset_id}.custom_datacenters` (
  id STRING NOT NULL,
  name STRING,
  country STRING,
  region STRING,
  pue FLOAT64,
  wue_l_per_kwh FLOAT64,
  operator STRING,
  cloud_id STRING,
  cloud_region STRING,
  year INT64,
  notes STRING,
  source STRING,
  contract_gco2e_per_kwh FLOAT64,
  cfe_pct FLOAT64,
  customer_id INT64 NOT NULL DEFAULT 1,
  deleted BOOL NOT NULL DEFAULT FALSE,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  created_by STRING NOT NULL DEFAULT SESSION_USER()
)
OPTIONS (description = 'ai-impact custom datacenters (REST API /datacenter, or plain INSERTs); read by the function with a cache TTL.');
