-- Usage emissions recomputed with an hourly carbon-intensity table you license yourself (for
-- example an Electricity Maps export), joined on the hour each request ran.
--
-- Nothing of that data ships with ai-impact (Electricity Maps data is ODbL-licensed):
-- ${hourly_intensity} is your table, one row per zone and hour:
--   zone STRING          your provider's zone key (e.g. Electricity Maps' 'DE', 'US-MIDA-PJM')
--   hour TIMESTAMP       start of the hour, UTC
--   gco2e_per_kwh FLOAT64  the hour's intensity, on the basis your provider states (Electricity
--                          Maps: lifecycle, consumption-based)
-- and map each request to a zone (here: by the provider LiteLLM called, in `zones`; use your own
-- mapping of cloud regions or datacenters).
--
-- usage_energy_wh of the reply is the facility energy (IT energy x PUE), so
--   hourly usage emissions (gCO2e) = usage_energy_wh x gco2e_per_kwh / 1000,
-- the same formula as the service's yearly location-based figure (docs/methodology.md, section
-- 6b). Requests without an hourly value keep the service's yearly figure (hourly_matched = FALSE).
-- ai_impact is called once per request in the first CTE, never inside IF/CASE/COALESCE
-- (docs/sql.md, "Batching"); the join comes after.
WITH requests AS (
  SELECT
    request_id,
    startTime AS started,
    custom_llm_provider AS provider,
    `${project_id}.${dataset_id}.ai_impact`(
      `${project_id}.${dataset_id}.ai_impact_request`(
        model, custom_llm_provider, NULL, NULL, NULL, startTime, prompt_tokens, completion_tokens
      )
    ) AS reply
  FROM `${litellm_spend_logs}`
  WHERE DATE(startTime) >= DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)
),
zones AS (
  SELECT provider, zone
  FROM UNNEST([
    STRUCT('openai' AS provider, 'US-MIDA-PJM' AS zone),
    STRUCT('azure' AS provider, 'US-MIDA-PJM' AS zone),
    STRUCT('vertex_ai' AS provider, 'US-CENT-SWPP' AS zone),
    STRUCT('bedrock' AS provider, 'US-MIDA-PJM' AS zone)
  ])
),
impacts AS (
  SELECT
    r.request_id,
    TIMESTAMP_TRUNC(r.started, HOUR) AS hour,
    z.zone,
    CAST(JSON_VALUE(r.reply, '$.inference_impact.usage_energy_wh') AS FLOAT64) AS energy_wh,
    CAST(JSON_VALUE(r.reply, '$.inference_impact.usage_emissions_gco2e') AS FLOAT64)
      AS yearly_emissions_gco2e
  FROM requests AS r
  LEFT JOIN zones AS z ON z.provider = r.provider
  WHERE JSON_VALUE(r.reply, '$.error.code') IS NULL
)
SELECT
  i.request_id,
  i.hour,
  i.zone,
  i.energy_wh,
  i.yearly_emissions_gco2e,
  h.gco2e_per_kwh AS hourly_gco2e_per_kwh,
  IFNULL(i.energy_wh * h.gco2e_per_kwh / 1000, i.yearly_emissions_gco2e) AS usage_emissions_gco2e,
  h.gco2e_per_kwh IS NOT NULL AS hourly_matched
FROM impacts AS i
LEFT JOIN `${hourly_intensity}` AS h
  ON h.zone = i.zone AND h.hour = i.hour
ORDER BY i.hour, i.request_id;
