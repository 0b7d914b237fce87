-- ai_impact_metrics(reply JSON) RETURNS STRUCT: a reply of ai_impact as typed columns.
--
-- inference_impact, training_impact, fine_tuning_impact and total_impact (the sum of the three)
-- each hold usage_energy_wh (facility energy, Wh), usage_emissions_gco2e (location-based,
-- gCO2e), usage_water_ml (on-site + off-site, mL), embodied_emissions_gco2e and
-- embodied_water_ml (the request's share of the hardware's manufacture); error_code,
-- error_message and error_field are NULL when the row was estimated (error codes: README,
-- "What a row can say"). A row with an error has zero impacts: filter on error_code IS NULL
-- before summing, and count the errors apart.
--
-- Usage: call ai_impact once per row in a CTE, then unpack the reply:
--   WITH r AS (SELECT *, `p.d.ai_impact`(request) AS reply FROM ...)
--   SELECT m.total_impact.usage_emissions_gco2e FROM r, UNNEST([`p.d.ai_impact_metrics`(reply)]) AS m
-- or simply `p.d.ai_impact_metrics`(reply).total_impact.usage_emissions_gco2e.
-- For ai_impact_scope3's STRING replies: ai_impact_metrics(PARSE_JSON(reply)).
--
-- Values are read with JSON_VALUE and SAFE_CAST (NULL, never an error, on a malformed reply).
-- No OPTIONS(description): see ai_impact_request.sql.
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_metrics`(reply JSON)
RETURNS STRUCT<
  inference_impact STRUCT<usage_energy_wh FLOAT64, usage_emissions_gco2e FLOAT64, usage_water_ml FLOAT64, embodied_emissions_gco2e FLOAT64, embodied_water_ml FLOAT64>,
  training_impact STRUCT<usage_energy_wh FLOAT64, usage_emissions_gco2e FLOAT64, usage_water_ml FLOAT64, embodied_emissions_gco2e FLOAT64, embodied_water_ml FLOAT64>,
  fine_tuning_impact STRUCT<usage_energy_wh FLOAT64, usage_emissions_gco2e FLOAT64, usage_water_ml FLOAT64, embodied_emissions_gco2e FLOAT64, embodied_water_ml FLOAT64>,
  total_impact STRUCT<usage_energy_wh FLOAT64, usage_emissions_gco2e FLOAT64, usage_water_ml FLOAT64, embodied_emissions_gco2e FLOAT64, embodied_water_ml FLOAT64>,
  error_code STRING,
  error_message STRING,
  error_field STRING
>
AS (
  STRUCT(
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.inference_impact.usage_energy_wh') AS FLOAT64) AS usage_energy_wh,
      SAFE_CAST(JSON_VALUE(reply, '$.inference_impact.usage_emissions_gco2e') AS FLOAT64) AS usage_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.inference_impact.usage_water_ml') AS FLOAT64) AS usage_water_ml,
      SAFE_CAST(JSON_VALUE(reply, '$.inference_impact.embodied_emissions_gco2e') AS FLOAT64) AS embodied_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.inference_impact.embodied_water_ml') AS FLOAT64) AS embodied_water_ml
    ) AS inference_impact,
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.training_impact.usage_energy_wh') AS FLOAT64) AS usage_energy_wh,
      SAFE_CAST(JSON_VALUE(reply, '$.training_impact.usage_emissions_gco2e') AS FLOAT64) AS usage_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.training_impact.usage_water_ml') AS FLOAT64) AS usage_water_ml,
      SAFE_CAST(JSON_VALUE(reply, '$.training_impact.embodied_emissions_gco2e') AS FLOAT64) AS embodied_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.training_impact.embodied_water_ml') AS FLOAT64) AS embodied_water_ml
    ) AS training_impact,
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.fine_tuning_impact.usage_energy_wh') AS FLOAT64) AS usage_energy_wh,
      SAFE_CAST(JSON_VALUE(reply, '$.fine_tuning_impact.usage_emissions_gco2e') AS FLOAT64) AS usage_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.fine_tuning_impact.usage_water_ml') AS FLOAT64) AS usage_water_ml,
      SAFE_CAST(JSON_VALUE(reply, '$.fine_tuning_impact.embodied_emissions_gco2e') AS FLOAT64) AS embodied_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.fine_tuning_impact.embodied_water_ml') AS FLOAT64) AS embodied_water_ml
    ) AS fine_tuning_impact,
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.total_impact.usage_energy_wh') AS FLOAT64) AS usage_energy_wh,
      SAFE_CAST(JSON_VALUE(reply, '$.total_impact.usage_emissions_gco2e') AS FLOAT64) AS usage_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.total_impact.usage_water_ml') AS FLOAT64) AS usage_water_ml,
      SAFE_CAST(JSON_VALUE(reply, '$.total_impact.embodied_emissions_gco2e') AS FLOAT64) AS embodied_emissions_gco2e,
      SAFE_CAST(JSON_VALUE(reply, '$.total_impact.embodied_water_ml') AS FLOAT64) AS embodied_water_ml
    ) AS total_impact,
    JSON_VALUE(reply, '$.error.code') AS error_code,
    JSON_VALUE(reply, '$.error.message') AS error_message,
    JSON_VALUE(reply, '$.error.details.field') AS error_field
  )
);
