"""The state behind both doors' tenancy: the store, the catalogs of the global scope and of
each customer, and the REST API's rate limits, one per process.

Apart from the REST routing (:mod:`ai_impact.rest.app`) so that the BigQuery door, which needs
only :func:`estimator_for_project`, imports neither the routes nor the request schemas: a cold
start of the BigQuery function does not pay for them.
"""

from __future__ import annotations

import threading

from ai_impact import catalog as _catalog
from ai_impact.rest.ratelimit import RateLimiter
from ai_impact.rest.tenancy import Catalogs, Estimate
from ai_impact.store import Store, open_store


class Service:
    """The state behind the REST API: store, catalogs, rate limits."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.catalogs = Catalogs(store)
        self.limiter = RateLimiter()

    def reload(self) -> dict:
        """Re-read the bundled catalog; keep the loaded one if the files do not validate."""
        try:
            _catalog.load()
        except _catalog.CatalogError as exc:
            return {"ready": False, "reason": f"kept the loaded catalog: {exc}"}
        _catalog.default.cache_clear()
        try:
            self.catalogs.check(None)
        except (_catalog.CatalogError, ValueError) as exc:
            return {"ready": False, "reason": f"custom entries conflict with the catalog: {exc}"}
        return {"ready": True, "reason": "Cache reloaded successfully"}


_service: Service | None = None
_service_lock = threading.Lock()


def service() -> Service:
    """The process's service, its store opened on first use (``$AI_IMPACT_DB``)."""
    global _service
    with _service_lock:
        if _service is None:
            _service = Service(open_store())
        return _service


def estimator_for_project(project: str | None) -> Estimate:
    """The estimate function of a BigQuery caller: over the catalog of the customer its
    project is mapped to (``ai-impact project map``), else over the global catalog."""
    svc = service()
    customer_id = svc.store.project_customer(project) if project else None
    return svc.catalogs.estimator(customer_id)
