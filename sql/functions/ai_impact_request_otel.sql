-- ai_impact_request_otel(attributes JSON, start_time TIMESTAMP) RETURNS JSON: the request row
-- of ai_impact from the attributes of an OpenTelemetry GenAI span.
--
-- attributes: the span's attributes as one JSON object keyed by attribute name, e.g.
--   {"gen_ai.request.model": "gpt-4o", "gen_ai.provider.name": "openai",
--    "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300, ...}
-- start_time: the span's start (picks the grid year).
--
-- Mapping (OpenTelemetry semantic conventions for generative AI, gen_ai.* attribute registry):
--   model_id            gen_ai.response.model (the model that answered), else
--                       gen_ai.request.model
--   managed_service_id  gen_ai.provider.name, else gen_ai.system (its older name); the dotted
--                       well-known values are mapped to this catalog's service ids below, the
--                       others (openai, anthropic, cohere, groq, deepseek, mistral_ai, x_ai,
--                       perplexity) already are ids or aliases of services.csv
--   input_tokens        gen_ai.usage.input_tokens, else gen_ai.usage.prompt_tokens (older name)
--   output_tokens       gen_ai.usage.output_tokens, else gen_ai.usage.completion_tokens
--   task                from gen_ai.operation.name: chat and generate_content -> chat,
--                       text_completion -> text-generation, embeddings -> text-embedding
-- The keys contain dots, hence the quoted JSONPath members ('$."gen_ai.request.model"').
-- COALESCE and CASE are safe here: they choose between attribute values, no remote call.
CREATE OR REPLACE FUNCTION `${project_id}.${dataset_id}.ai_impact_request_otel`(
  attributes JSON,
  start_time TIMESTAMP
)
RETURNS JSON
AS (
  JSON_STRIP_NULLS(
    JSON_OBJECT(
      'model_id', COALESCE(
        JSON_VALUE(attributes, '$."gen_ai.response.model"'),
        JSON_VALUE(attributes, '$."gen_ai.request.model"')
      ),
      'managed_service_id', CASE COALESCE(
          JSON_VALUE(attributes, '$."gen_ai.provider.name"'),
          JSON_VALUE(attributes, '$."gen_ai.system"')
        )
        WHEN 'aws.bedrock' THEN 'aws-bedrock'
        WHEN 'azure.ai.openai' THEN 'azure-openai'
        WHEN 'az.ai.openai' THEN 'azure-openai'
        WHEN 'azure.ai.inference' THEN 'azure-ml'
        WHEN 'az.ai.inference' THEN 'azure-ml'
        WHEN 'gcp.vertex_ai' THEN 'google-vertex'
        WHEN 'gcp.gemini' THEN 'google-gemini'
        ELSE COALESCE(
          JSON_VALUE(attributes, '$."gen_ai.provider.name"'),
          JSON_VALUE(attributes, '$."gen_ai.system"')
        )
      END,
      'input_tokens', SAFE_CAST(COALESCE(
        JSON_VALUE(attributes, '$."gen_ai.usage.input_tokens"'),
        JSON_VALUE(attributes, '$."gen_ai.usage.prompt_tokens"')
      ) AS INT64),
      'output_tokens', SAFE_CAST(COALESCE(
        JSON_VALUE(attributes, '$."gen_ai.usage.output_tokens"'),
        JSON_VALUE(attributes, '$."gen_ai.usage.completion_tokens"')
      ) AS INT64),
      'task', CASE JSON_VALUE(attributes, '$."gen_ai.operation.name"')
        WHEN 'chat' THEN 'chat'
        WHEN 'generate_content' THEN 'chat'
        WHEN 'text_completion' THEN 'text-generation'
        WHEN 'embeddings' THEN 'text-embedding'
      END,
      'utc_datetime', FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', start_time, 'UTC')
    )
  )
);
