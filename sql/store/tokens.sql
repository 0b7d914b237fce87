-- API tokens of the REST API: only the SHA-256 of each secret is kept (ai-impact token create).
-- IF NOT EXISTS: re-applying never touches the rows it holds.
CREATE TABLE IF NOT EXISTS `${project_id}.${dataset_id}.tokens` (
  id INT64 NOT NULL,
  token_hash STRING NOT NULL,
  role STRING NOT NULL,
  customer_id INT64 NOT NULL,
  name STRING NOT NULL,
  rate_per_minute INT64,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP(),
  revoked_at TIMESTAMP
)
OPTIONS (description = 'ai-impact REST API tokens (SHA-256 of the secrets only).');
