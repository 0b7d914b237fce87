-- ai_impact_request(...) RETURNS JSON: the request row of ai_impact, built from typed columns.
--
-- Arguments (pass NULL for what a log does not have; nulls are left out of the row):
--   model_id            the model as the provider names it (catalog ids and aliases resolve:
--                       'gpt-4o', 'claude-3-5-sonnet-20241022', 'llama_31_70b', ...)
--   managed_service_id  the API that served it: 'openai', 'anthropic', 'aws-bedrock',
--                       'google-vertex', ... (LiteLLM's custom_llm_provider values resolve)
--   node_id             hardware: a catalog node or one registered in custom_nodes
--   cloud_region        where it ran, e.g. 'us-central1' (or give country instead)
--   country             ISO 3166-1 alpha-2 country code, e.g. 'US'
--   utc_datetime        when it ran (picks the grid year)
--   input_tokens, output_tokens
-- Other row fields (task, region, gpu_count, batch_size, ...) can be added with
-- JSON_SET(ai_impact_request(...), '$.gpu_count', 4).
--
-- A pure SQL function: no remote call, so it can sit anywhere in a query. The timestamp is
-- written as RFC 3339 text (FORMAT_TIMESTAMP) rather than left to JSON_OBJECT, whose encoding of
-- TIMESTAMP values differs between BigQuery and the local emulator the tests use.
-- No OPTIONS(description): the local emulator cannot parse OPTIONS in CREATE FUNCTION
-- (bqemulator 1.4.0, scripting/parser.py), and this exact text is what the tests run.
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_request`(
  model_id STRING,
  managed_service_id STRING,
  node_id STRING,
  cloud_region STRING,
  country STRING,
  utc_datetime TIMESTAMP,
  input_tokens INT64,
  output_tokens INT64
)
RETURNS JSON
AS (
  JSON_STRIP_NULLS(
    JSON_OBJECT(
      'model_id', model_id,
      'managed_service_id', managed_service_id,
      'node_id', node_id,
      'cloud_region', cloud_region,
      'country', country,
      'utc_datetime', FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', utc_datetime, 'UTC'),
      'input_tokens', input_tokens,
      'output_tokens', output_tokens
    )
  )
);
