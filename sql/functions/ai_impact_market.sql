-- ai_impact_market(request JSON) RETURNS JSON: ai_impact with market-based usage emissions.
--
-- The same reply as ai_impact (a Scope3 ModeledRow object; unpack with ai_impact_metrics), with
-- usage_emissions_gco2e computed from market-based emission factors: the row's own
-- grid_emissions_factor_gco2e_per_kwh where given, else the cloud region's carbon-free-energy
-- share where the provider publishes it (Google), else the provider's reported Scope 2
-- market-based / location-based ratio of the year, else the location-based factor
-- (docs/methodology.md, section 6a, says what this means and its limits). Energy, water and
-- embodied impacts are those of ai_impact.
--
-- Call it once per row, in a CTE, never inside IF/CASE/COALESCE (docs/sql.md, "Batching").
-- max_batching_rows and the reply size are those of ai_impact.
-- user_defined_context: as ai_impact, plus emissions_basis "market" (function/ai_impact/bigquery.py).
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_market`(request JSON)
RETURNS JSON
REMOTE WITH CONNECTION `${connection}`
OPTIONS (
  endpoint = '${endpoint}',
  max_batching_rows = 5000,
  user_defined_context = [("signature", "row"), ("return_type", "json"), ("emissions_basis", "market")],
  description = 'ai_impact with market-based usage emissions (provider disclosures, Google CFE% per region, or the row field grid_emissions_factor_gco2e_per_kwh). Argument: a JSON row (see ai_impact_request). Returns a Scope3 ModeledRow JSON object.'
);
