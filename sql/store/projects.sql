-- BigQuery projects and their customer: a query run from a project uses that customer's custom
-- entries (ai-impact project map, or seed.sql for the projects given to Terraform).
-- IF NOT EXISTS: re-applying never touches the rows it holds.
CREATE TABLE IF NOT EXISTS `${project_id}.${dataset_id}.projects` (
  project STRING NOT NULL,
  customer_id INT64 NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP()
)
OPTIONS (description = 'ai-impact: BigQuery project -> customer whose custom entries its queries use.');
