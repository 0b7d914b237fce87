-- Customers of the REST API and of BigQuery projects (the BigQuery store of
-- function/ai_impact/store/bigquery.py). Customer 1 is the deployment's own (seed.sql); custom
-- entries inserted without a customer_id are its.
-- IF NOT EXISTS: re-applying never touches the rows it holds.
CREATE TABLE IF NOT EXISTS `${project_id}.${dataset_id}.customers` (
  id INT64 NOT NULL,
  name STRING NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP()
)
OPTIONS (description = 'ai-impact customers (store of the REST API and of BigQuery projects).');
