"""The Scope3-compatible REST API: ``/v1/impact``, ``/reload`` and the catalog endpoints
(``/model``, ``/node``, ``/gpu``), with bearer tokens, tenancy and rate limits (docs/api.md).

Routing is in :mod:`ai_impact.rest.app`; the per-process state both doors share (store,
catalogs) in :mod:`ai_impact.rest.service`.
"""
