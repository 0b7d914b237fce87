-- The deployment's own customer (id 1) and the BigQuery projects whose queries use its custom
-- entries. Run by Terraform after the store tables exist; MERGE adds what is missing and changes
-- nothing already there (a mapping changed with `ai-impact project map` stays).
-- The caller_projects value is a JSON array of project ids, which is also a BigQuery array
-- literal of strings.
MERGE `${project_id}.${dataset_id}.customers` AS t
USING (SELECT 1 AS id, '${customer_name}' AS name) AS s
ON t.id = s.id
WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name);

MERGE `${project_id}.${dataset_id}.projects` AS t
USING (SELECT project FROM UNNEST(${caller_projects}) AS project) AS s
ON t.project = s.project
WHEN NOT MATCHED THEN INSERT (project, customer_id) VALUES (s.project, 1);
