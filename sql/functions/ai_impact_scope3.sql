-- ai_impact_scope3(...) RETURNS STRING: the hosted Scope3 AI API's BigQuery signature, the 21
-- positional arguments of its ImpactBigQueryRequest (aiapi.yaml, scope3ai-py @bfeb0bb), so that
-- queries written for the hosted function run unchanged. The hosted API accepts 17 to 21
-- arguments; a BigQuery function has one arity, so the last four are declared and callers pass
-- NULL for what they do not have. The reply is the ModeledRow serialised as a JSON string, as
-- the hosted API answers; ai_impact_metrics(PARSE_JSON(reply)) unpacks it.
--
-- user_defined_context: signature "scope3" selects the positional reading in the handler, and
-- return_type "string" the serialised reply (function/ai_impact/bigquery.py).
-- max_batching_rows = 5000: as for ai_impact (the serialised reply is about 0.9 KB per row).
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_scope3`(
  model_id STRING,
  model_family STRING,
  model_name STRING,
  model_hugging_face_path STRING,
  request_time TIMESTAMP,
  node_id STRING,
  cloud_id STRING,
  cloud_region STRING,
  cloud_instance_id STRING,
  managed_service_id STRING,
  country STRING,
  region STRING,
  task STRING,
  input_tokens INT64,
  output_tokens INT64,
  input_images STRING,
  output_images STRING,
  output_video_resolution INT64,
  output_video_frames INT64,
  input_audio_seconds INT64,
  input_steps INT64
)
RETURNS STRING
REMOTE WITH CONNECTION `${connection}`
OPTIONS (
  endpoint = '${endpoint}',
  max_batching_rows = 5000,
  user_defined_context = [("signature", "scope3"), ("return_type", "string")],
  description = 'The hosted Scope3 AI API BigQuery signature (21 positional arguments; pass NULL for those you lack). Returns the ModeledRow as a JSON string.'
);
