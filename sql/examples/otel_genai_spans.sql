-- Impacts of OpenTelemetry GenAI spans (one span per model call), per span and per model.
--
-- ${otel_spans}: spans exported to BigQuery with at least
--   span_id STRING, trace_id STRING, name STRING, start_time TIMESTAMP, attributes JSON
--   where attributes is one JSON object keyed by attribute name ("gen_ai.request.model",
--   "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.provider.name", ...).
--   Exporters that keep attributes as ARRAY<STRUCT<key STRING, value ...>> can build that
--   object first: (SELECT JSON_OBJECT(ARRAY_AGG(a.key), ARRAY_AGG(a.value.string_value))
--   FROM UNNEST(attributes) AS a), with the integer values cast likewise.
-- Only GenAI spans are taken (those with gen_ai.request.model); ai_impact_request_otel maps the
-- attributes to a request row (sql/functions/ai_impact_request_otel.sql lists the mapping).
WITH spans AS (
  SELECT
    span_id,
    trace_id,
    start_time,
    JSON_VALUE(attributes, '$."gen_ai.request.model"') AS requested_model,
    `${project_id}.${dataset_id}.ai_impact`(
      `${project_id}.${dataset_id}.ai_impact_request_otel`(attributes, start_time)
    ) AS reply
  FROM `${otel_spans}`
  WHERE JSON_VALUE(attributes, '$."gen_ai.request.model"') IS NOT NULL
    AND start_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
),

impacts AS (
  SELECT
    span_id,
    trace_id,
    start_time,
    requested_model,
    `${project_id}.${dataset_id}.ai_impact_metrics`(reply) AS m
  FROM spans
)

SELECT
  requested_model AS model,
  COUNT(*) AS spans,
  COUNTIF(m.error_code IS NOT NULL) AS spans_not_estimated,
  ANY_VALUE(m.error_code) AS an_error_code,
  SUM(m.total_impact.usage_energy_wh) AS energy_wh,
  SUM(m.total_impact.usage_emissions_gco2e) AS usage_emissions_gco2e,
  SUM(m.total_impact.embodied_emissions_gco2e) AS embodied_emissions_gco2e,
  SUM(m.total_impact.usage_water_ml) AS usage_water_ml
FROM impacts
GROUP BY model
ORDER BY model;
