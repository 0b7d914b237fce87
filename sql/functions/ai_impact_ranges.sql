-- ai_impact_ranges(reply JSON) RETURNS STRUCT: the ranges and confidence of a reply of
-- ai_impact_with_ranges as typed columns.
--
-- inference_impact, training_impact, fine_tuning_impact and total_impact each hold
-- <metric>_low and <metric>_high for the five metrics of ai_impact_metrics (the 10-90% interval;
-- low <= the point value <= high); energy_breakdown holds gpu_wh, it_wh and facility_wh low and
-- high; confidence_tier is calibrated, extrapolated or assumed, confidence_reasons why, and
-- confidence_method the methodology version and sections (docs/methodology.md section 15).
-- Everything is NULL on a row with an error, or on a reply without ranges (plain ai_impact).
--
-- Sum the point values, not the lows and highs: the range of a sum is narrower than the sum of
-- the ranges (docs/methodology.md 13.2); the share of energy by tier is the robust summary
-- (sql/examples/energy_by_confidence_tier.sql).
--
-- Usage: WITH r AS (SELECT `p.d.ai_impact_with_ranges`(request) AS reply FROM ...)
--   SELECT `p.d.ai_impact_ranges`(reply).confidence_tier, ... FROM r
-- No OPTIONS(description): see ai_impact_request.sql.
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_ranges`(reply JSON)
RETURNS STRUCT<
  inference_impact STRUCT<usage_energy_wh_low FLOAT64, usage_energy_wh_high FLOAT64, usage_emissions_gco2e_low FLOAT64, usage_emissions_gco2e_high FLOAT64, usage_water_ml_low FLOAT64, usage_water_ml_high FLOAT64, embodied_emissions_gco2e_low FLOAT64, embodied_emissions_gco2e_high FLOAT64, embodied_water_ml_low FLOAT64, embodied_water_ml_high FLOAT64>,
  training_impact STRUCT<usage_energy_wh_low FLOAT64, usage_energy_wh_high FLOAT64, usage_emissions_gco2e_low FLOAT64, usage_emissions_gco2e_high FLOAT64, usage_water_ml_low FLOAT64, usage_water_ml_high FLOAT64, embodied_emissions_gco2e_low FLOAT64, embodied_emissions_gco2e_high FLOAT64, embodied_water_ml_low FLOAT64, embodied_water_ml_high FLOAT64>,
  fine_tuning_impact STRUCT<usage_energy_wh_low FLOAT64, usage_energy_wh_high FLOAT64, usage_emissions_gco2e_low FLOAT64, usage_emissions_gco2e_high FLOAT64, usage_water_ml_low FLOAT64, usage_water_ml_high FLOAT64, embodied_emissions_gco2e_low FLOAT64, embodied_emissions_gco2e_high FLOAT64, embodied_water_ml_low FLOAT64, embodied_water_ml_high FLOAT64>,
  total_impact STRUCT<usage_energy_wh_low FLOAT64, usage_energy_wh_high FLOAT64, usage_emissions_gco2e_low FLOAT64, usage_emissions_gco2e_high FLOAT64, usage_water_ml_low FLOAT64, usage_water_ml_high FLOAT64, embodied_emissions_gco2e_low FLOAT64, embodied_emissions_gco2e_high FLOAT64, embodied_water_ml_low FLOAT64, embodied_water_ml_high FLOAT64>,
  energy_breakdown STRUCT<gpu_wh_low FLOAT64, gpu_wh_high FLOAT64, it_wh_low FLOAT64, it_wh_high FLOAT64, facility_wh_low FLOAT64, facility_wh_high FLOAT64>,
  confidence_tier STRING,
  confidence_reasons ARRAY<STRING>,
  confidence_method STRING
>
AS (
  STRUCT(
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.usage_energy_wh[0]') AS FLOAT64) AS usage_energy_wh_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.usage_energy_wh[1]') AS FLOAT64) AS usage_energy_wh_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.usage_emissions_gco2e[0]') AS FLOAT64) AS usage_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.usage_emissions_gco2e[1]') AS FLOAT64) AS usage_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.usage_water_ml[0]') AS FLOAT64) AS usage_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.usage_water_ml[1]') AS FLOAT64) AS usage_water_ml_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.embodied_emissions_gco2e[0]') AS FLOAT64) AS embodied_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.embodied_emissions_gco2e[1]') AS FLOAT64) AS embodied_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.embodied_water_ml[0]') AS FLOAT64) AS embodied_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.inference_impact.embodied_water_ml[1]') AS FLOAT64) AS embodied_water_ml_high
    ) AS inference_impact,
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.usage_energy_wh[0]') AS FLOAT64) AS usage_energy_wh_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.usage_energy_wh[1]') AS FLOAT64) AS usage_energy_wh_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.usage_emissions_gco2e[0]') AS FLOAT64) AS usage_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.usage_emissions_gco2e[1]') AS FLOAT64) AS usage_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.usage_water_ml[0]') AS FLOAT64) AS usage_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.usage_water_ml[1]') AS FLOAT64) AS usage_water_ml_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.embodied_emissions_gco2e[0]') AS FLOAT64) AS embodied_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.embodied_emissions_gco2e[1]') AS FLOAT64) AS embodied_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.embodied_water_ml[0]') AS FLOAT64) AS embodied_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.training_impact.embodied_water_ml[1]') AS FLOAT64) AS embodied_water_ml_high
    ) AS training_impact,
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.usage_energy_wh[0]') AS FLOAT64) AS usage_energy_wh_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.usage_energy_wh[1]') AS FLOAT64) AS usage_energy_wh_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.usage_emissions_gco2e[0]') AS FLOAT64) AS usage_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.usage_emissions_gco2e[1]') AS FLOAT64) AS usage_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.usage_water_ml[0]') AS FLOAT64) AS usage_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.usage_water_ml[1]') AS FLOAT64) AS usage_water_ml_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.embodied_emissions_gco2e[0]') AS FLOAT64) AS embodied_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.embodied_emissions_gco2e[1]') AS FLOAT64) AS embodied_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.embodied_water_ml[0]') AS FLOAT64) AS embodied_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.fine_tuning_impact.embodied_water_ml[1]') AS FLOAT64) AS embodied_water_ml_high
    ) AS fine_tuning_impact,
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.usage_energy_wh[0]') AS FLOAT64) AS usage_energy_wh_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.usage_energy_wh[1]') AS FLOAT64) AS usage_energy_wh_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.usage_emissions_gco2e[0]') AS FLOAT64) AS usage_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.usage_emissions_gco2e[1]') AS FLOAT64) AS usage_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.usage_water_ml[0]') AS FLOAT64) AS usage_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.usage_water_ml[1]') AS FLOAT64) AS usage_water_ml_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.embodied_emissions_gco2e[0]') AS FLOAT64) AS embodied_emissions_gco2e_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.embodied_emissions_gco2e[1]') AS FLOAT64) AS embodied_emissions_gco2e_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.embodied_water_ml[0]') AS FLOAT64) AS embodied_water_ml_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.total_impact.embodied_water_ml[1]') AS FLOAT64) AS embodied_water_ml_high
    ) AS total_impact,
    STRUCT(
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.energy_breakdown.gpu_wh[0]') AS FLOAT64) AS gpu_wh_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.energy_breakdown.gpu_wh[1]') AS FLOAT64) AS gpu_wh_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.energy_breakdown.it_wh[0]') AS FLOAT64) AS it_wh_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.energy_breakdown.it_wh[1]') AS FLOAT64) AS it_wh_high,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.energy_breakdown.facility_wh[0]') AS FLOAT64) AS facility_wh_low,
      SAFE_CAST(JSON_VALUE(reply, '$.ranges.energy_breakdown.facility_wh[1]') AS FLOAT64) AS facility_wh_high
    ) AS energy_breakdown,
    JSON_VALUE(reply, '$.confidence.tier') AS confidence_tier,
    JSON_VALUE_ARRAY(reply, '$.confidence.reasons') AS confidence_reasons,
    JSON_VALUE(reply, '$.confidence.method') AS confidence_method
  )
);
