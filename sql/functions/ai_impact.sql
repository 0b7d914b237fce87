-- ai_impact(request JSON) RETURNS JSON: the impacts of one request row.
--
-- request: a JSON object with the hosted Scope3 API's ImpactRow field names (model_id,
--   managed_service_id, node_id, country, utc_datetime, input_tokens, output_tokens, ...) and
--   this project's extension fields; build it with ai_impact_request(...) or JSON_OBJECT.
-- returns: a Scope3 ModeledRow object: inference_impact, training_impact, fine_tuning_impact,
--   total_impact (usage_energy_wh, usage_emissions_gco2e, usage_water_ml,
--   embodied_emissions_gco2e, embodied_water_ml) and error (null, or {code, message, details}).
--   Unpack it with ai_impact_metrics(reply).
--
-- Call it once per row, in a CTE, and never inside IF/CASE/COALESCE: BigQuery sends one row per
-- HTTP request when a conditional may skip the call (docs/sql.md, "Batching").
--
-- max_batching_rows = 5000: a reply is about 0.85 KB per row, so a batch answers in about 4.2 MB,
-- well under the 15 MB response limit of Cloud Run functions (gen2); the handler computes 5000
-- rows in about 0.1 s on one vCPU and about 20 MB of memory (bench/run.py), so eight batches in
-- flight fit a 512 MiB instance. Without a value BigQuery picks the batch size itself.
-- user_defined_context: signature "row" (one JSON argument) and return_type "json" (the reply is
-- the object itself); both are the handler's defaults, stated so that the routine says what it
-- expects (function/ai_impact/bigquery.py).
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact`(request JSON)
RETURNS JSON
REMOTE WITH CONNECTION `${connection}`
OPTIONS (
  endpoint = '${endpoint}',
  max_batching_rows = 5000,
  user_defined_context = [("signature", "row"), ("return_type", "json")],
  description = 'Energy (Wh), emissions (gCO2e), water (mL) and embodied impacts of one AI request. Argument: a JSON row (see ai_impact_request). Returns a Scope3 ModeledRow JSON object; unpack with ai_impact_metrics.'
);
