-- Daily energy, emissions and water by model and project, from a LiteLLM proxy's spend logs.
--
-- ${litellm_spend_logs}: a BigQuery copy of LiteLLM's LiteLLM_SpendLogs table, one row per
--   request, with LiteLLM's column names (BerriAI/litellm, schema.prisma, model
--   LiteLLM_SpendLogs): request_id, startTime, model, custom_llm_provider, prompt_tokens,
--   completion_tokens, team_id, status, metadata (JSON; if your copy keeps it as STRING, use
--   SAFE.PARSE_JSON(metadata)).
-- project: LiteLLM's project of the API key (metadata.user_api_key_project_alias or
--   user_api_key_project_id, LiteLLM's SpendLogsMetadata), else the team, else 'unassigned'.
-- custom_llm_provider values (openai, azure, bedrock, vertex_ai, ...) are aliases of this
--   catalog's services (function/ai_impact/data/services.csv), so they resolve as they are.
--
-- ai_impact is called once per request in the first CTE and unpacked after; never wrap it in
-- IF/CASE/COALESCE (that turns batching off: docs/sql.md). Rows the service could not estimate
-- (unknown model, ...) carry an error and zero impacts: they are counted, not summed.
WITH requests AS (
  SELECT
    DATE(startTime) AS day,
    model,
    COALESCE(
      JSON_VALUE(metadata, '$.user_api_key_project_alias'),
      JSON_VALUE(metadata, '$.user_api_key_project_id'),
      team_id,
      'unassigned'
    ) AS project,
    `${project_id}.${dataset_id}.ai_impact`(
      `${project_id}.${dataset_id}.ai_impact_request`(
        model, custom_llm_provider, NULL, NULL, NULL, startTime, prompt_tokens, completion_tokens
      )
    ) AS reply
  FROM `${litellm_spend_logs}`
  WHERE startTime >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)
    AND (status IS NULL OR status = 'success')
),

impacts AS (
  SELECT day, model, project, `${project_id}.${dataset_id}.ai_impact_metrics`(reply) AS m
  FROM requests
)

SELECT
  day,
  model,
  project,
  COUNT(*) AS requests,
  COUNTIF(m.error_code IS NOT NULL) AS requests_not_estimated,
  SUM(m.total_impact.usage_energy_wh) / 1000 AS energy_kwh,
  SUM(m.total_impact.usage_emissions_gco2e) / 1000 AS usage_emissions_kgco2e,
  SUM(m.total_impact.embodied_emissions_gco2e) / 1000 AS embodied_emissions_kgco2e,
  SUM(m.total_impact.usage_water_ml + m.total_impact.embodied_water_ml) / 1000 AS water_l
FROM impacts
GROUP BY day, model, project
ORDER BY day, model, project;
