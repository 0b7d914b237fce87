"""Bearer tokens.

A token is ``aii_`` + 43 random URL-safe characters (256 bits); the store keeps only its
SHA-256. Each token has a role (``admin`` or ``user``) and belongs to one customer, and may have
its own ``rate_per_minute`` (the limits are in :mod:`ai_impact.rest.ratelimit`).
"""

from __future__ import annotations

import hashlib
import secrets

from ai_impact.rest.errors import ApiError
from ai_impact.store import Store, Token

TOKEN_PREFIX = "aii_"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    store: Store, role: str, customer: str, name: str | None = None, rate: int | None = None
) -> tuple[Token, str]:
    """A new token of ``role`` for ``customer`` (created if new): the record and its secret,
    which is shown once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction():
        customer_id = store.customer_id(customer)
        token = store.add_token(hash_token(secret), role, customer_id, name or "", rate)
    return token, secret


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(store: Store, header: str | None) -> Token:
    """The token of an ``Authorization: Bearer <token>`` header, or 401."""
    if not header:
        raise _unauthorized("missing Authorization: Bearer <token> header")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _unauthorized("the Authorization header must be 'Bearer <token>'")
    token = store.token(hash_token(secret.strip()))
    if token is None:
        raise _unauthorized("invalid or revoked token")
    return token
