-- A view for dashboards (Looker Studio, ...): daily impacts by model and project over the table
-- that scheduled_append.sql fills. Reading it calls no remote function: the replies are stored,
-- and ai_impact_metrics only unpacks them, so dashboards cost a scan of the table and nothing
-- more. Partition pruning on day works through the view (the table is partitioned on it).
--
-- ${impacts_table}: the table of scheduled_append.sql.
CREATE OR REPLACE VIEW `${project_id}.${dataset_id}.ai_impact_daily` AS
WITH impacts AS (
  SELECT
    DATE(start_time) AS day,
    model,
    project,
    input_tokens,
    output_tokens,
    `${project_id}.${dataset_id}.ai_impact_metrics`(reply) AS m
  FROM `${impacts_table}`
)

SELECT
  day,
  model,
  project,
  COUNT(*) AS requests,
  COUNTIF(m.error_code IS NOT NULL) AS requests_not_estimated,
  SUM(input_tokens) AS input_tokens,
  SUM(output_tokens) AS output_tokens,
  SUM(m.inference_impact.usage_energy_wh) / 1000 AS inference_energy_kwh,
  SUM(m.total_impact.usage_energy_wh) / 1000 AS energy_kwh,
  SUM(m.total_impact.usage_emissions_gco2e) / 1000 AS usage_emissions_kgco2e,
  SUM(m.total_impact.embodied_emissions_gco2e) / 1000 AS embodied_emissions_kgco2e,
  SUM(m.total_impact.usage_water_ml) / 1000 AS usage_water_l
FROM impacts
GROUP BY day, model, project;
