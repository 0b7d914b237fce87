-- ai_impact_with_ranges(request JSON) RETURNS JSON: ai_impact with ranges and confidence.
--
-- The same reply as ai_impact, plus "ranges" (a low and a high value, the 10-90% interval, for
-- every metric of the four blocks and for gpu_wh, it_wh and facility_wh) and "confidence"
-- (tier calibrated | extrapolated | assumed, reasons, methodology sections): docs/methodology.md
-- section 15. Unpack the ranges with ai_impact_ranges, the point values with ai_impact_metrics.
--
-- A reply with ranges is about 2.5 KB: max_batching_rows = 2000 keeps a batch near 5 MB, under
-- the 15 MB response limit of Cloud Run functions (gen2) with margin.
-- user_defined_context: as ai_impact, plus ranges "true" (function/ai_impact/bigquery.py).
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_with_ranges`(request JSON)
RETURNS JSON
REMOTE WITH CONNECTION `${connection}`
OPTIONS (
  endpoint = '${endpoint}',
  max_batching_rows = 2000,
  user_defined_context = [("signature", "row"), ("return_type", "json"), ("ranges", "true")],
  description = 'ai_impact with ranges (low and high of every metric, 10-90% interval) and a confidence tier in each reply. Argument: a JSON row (see ai_impact_request). Unpack with ai_impact_ranges.'
);
