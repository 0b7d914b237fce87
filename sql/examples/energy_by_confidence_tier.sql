-- Share of an analyst's estimated energy by confidence tier: how much of the total rests on
-- calibrated measurements, how much is extrapolated, how much is assumed (docs/methodology.md
-- section 15.3). Read it before quoting a total: a total that is mostly "assumed" is a
-- scenario, not a measurement.
--
-- ${litellm_spend_logs}: LiteLLM's spend logs (as in litellm_daily_emissions.sql).
WITH replies AS (
  SELECT
    `${project_id}.${dataset_id}.ai_impact_with_ranges`(
      `${project_id}.${dataset_id}.ai_impact_request`(
        model, custom_llm_provider, NULL, NULL, NULL, startTime, prompt_tokens, completion_tokens
      )
    ) AS reply
  FROM `${litellm_spend_logs}`
  WHERE startTime >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)
    AND (status IS NULL OR status = 'success')
),

estimates AS (
  SELECT
    `${project_id}.${dataset_id}.ai_impact_metrics`(reply) AS m,
    `${project_id}.${dataset_id}.ai_impact_ranges`(reply) AS r
  FROM replies
)

SELECT
  r.confidence_tier AS tier,
  COUNT(*) AS requests,
  SUM(m.total_impact.usage_energy_wh) / 1000 AS energy_kwh,
  SUM(m.total_impact.usage_energy_wh) / SUM(SUM(m.total_impact.usage_energy_wh)) OVER () AS energy_share,
  -- Per-request widths of the inference energy, the median across the tier's requests.
  APPROX_QUANTILES(
    SAFE_DIVIDE(r.inference_impact.usage_energy_wh_high, r.inference_impact.usage_energy_wh_low), 2
  )[OFFSET(1)] AS median_width_high_over_low
FROM estimates
WHERE m.error_code IS NULL
GROUP BY tier
ORDER BY energy_kwh DESC
