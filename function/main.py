"""Cloud Functions (gen2) entry point, --target=ai_impact. Thin: routing is in the package."""

import functions_framework
from flask import Request, Response

from ai_impact.http import check_catalog, route

check_catalog()  # a catalog that does not validate stops the server here, at start


@functions_framework.http
def ai_impact(request: Request) -> Response:
    return route(request)
