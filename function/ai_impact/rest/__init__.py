"""The Scope3-compatible REST API: ``/v1/impact``, ``/reload`` and the catalog endpoints
(``/model``, ``/node``, ``/gpu``), with bearer tokens, tenancy and rate limits (docs/api.md)."""

from ai_impact.rest.app import Reply, estimator_for_project, handle

__all__ = ["Reply", "estimator_for_project", "handle"]
