-- A scheduled query (BigQuery Data Transfer Service) that appends the impacts of new LiteLLM
-- requests to a table, incrementally: each run estimates only the requests of the look-back
-- window that the table does not hold yet, so runs can overlap, be retried or backfilled
-- (BigQuery sets @run_time to the run's scheduled time) without counting a request twice.
--
-- ${litellm_spend_logs}: as in litellm_daily_emissions.sql.
-- ${impacts_table}: the table the runs append to (created by the first run), e.g.
--   my-project.ai_impact.litellm_impacts. It keeps each reply whole (JSON), so that any metric
--   can be read later with ai_impact_metrics, without calling the service again.
-- Look-back: 2 days, for logs that land late; widen it to backfill.
CREATE TABLE IF NOT EXISTS `${impacts_table}` (
  request_id STRING NOT NULL,
  start_time TIMESTAMP NOT NULL,
  model STRING,
  provider STRING,
  project STRING,
  input_tokens INT64,
  output_tokens INT64,
  reply JSON,
  estimated_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(start_time);

INSERT INTO `${impacts_table}` (
  request_id, start_time, model, provider, project, input_tokens, output_tokens, reply,
  estimated_at
)
WITH new_requests AS (
  SELECT
    s.request_id,
    s.startTime AS start_time,
    s.model,
    s.custom_llm_provider AS provider,
    COALESCE(
      JSON_VALUE(s.metadata, '$.user_api_key_project_alias'),
      JSON_VALUE(s.metadata, '$.user_api_key_project_id'),
      s.team_id,
      'unassigned'
    ) AS project,
    s.prompt_tokens AS input_tokens,
    s.completion_tokens AS output_tokens
  FROM `${litellm_spend_logs}` AS s
  LEFT JOIN (
    SELECT request_id
    FROM `${impacts_table}`
    WHERE start_time >= TIMESTAMP_SUB(@run_time, INTERVAL 2 DAY)
  ) AS done
    ON done.request_id = s.request_id
  WHERE s.startTime >= TIMESTAMP_SUB(@run_time, INTERVAL 2 DAY)
    AND s.startTime < @run_time
    AND (s.status IS NULL OR s.status = 'success')
    AND done.request_id IS NULL
)
SELECT
  request_id,
  start_time,
  model,
  provider,
  project,
  input_tokens,
  output_tokens,
  `${project_id}.${dataset_id}.ai_impact`(
    `${project_id}.${dataset_id}.ai_impact_request`(
      model, provider, NULL, NULL, NULL, start_time, input_tokens, output_tokens
    )
  ) AS reply,
  CURRENT_TIMESTAMP() AS estimated_at
FROM new_requests;
