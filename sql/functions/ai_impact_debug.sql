-- ai_impact_debug(request JSON) RETURNS JSON: ai_impact with the reply's debug object (the
-- model, hardware node, grid mix, energy breakdown and every assumption the estimate used).
--
-- For inspecting a few rows, not for whole tables: a debug reply is about 4.2 KB per row
-- (4.1-4.3 KB measured; docs/sql.md, "Choices"), so max_batching_rows = 1000 keeps a batch near
-- 4.3 MB, under the 15 MB response limit of Cloud Run functions (gen2) with margin.
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_debug`(request JSON)
RETURNS JSON
REMOTE WITH CONNECTION `${connection}`
OPTIONS (
  endpoint = '${endpoint}',
  max_batching_rows = 1000,
  user_defined_context = [("signature", "row"), ("return_type", "json"), ("debug", "true")],
  description = 'ai_impact with a debug object in each reply (model, node, grid mix, energy breakdown, assumptions). For inspecting a few rows.'
);
