"""Bearer tokens and their rate limits.

A token is ``aii_`` + 43 random URL-safe characters (256 bits); the store keeps only its
SHA-256. Each token has a role (``admin`` or ``user``) and belongs to one customer. Rate limits
are token buckets per token and per server process: ``rate_per_minute`` requests a minute with
bursts of the same size; the token's own rate, else ``$AI_IMPACT_RATE_PER_MINUTE`` (default
600; 0 disables the limit).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable

from ai_impact.rest.errors import ApiError
from ai_impact.store import Store, Token

TOKEN_PREFIX = "aii_"
ENV_RATE = "AI_IMPACT_RATE_PER_MINUTE"
DEFAULT_RATE_PER_MINUTE = 600


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


def default_rate() -> int:
    value = os.environ.get(ENV_RATE, "").strip()
    return int(value) if value else DEFAULT_RATE_PER_MINUTE


class RateLimiter:
    """Token buckets, one per API token, refilled continuously."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # token id -> (level, at)

    def check(self, token: Token) -> None:
        """Spend one request of ``token``'s bucket, or raise 429 with Retry-After."""
        rate = token.rate_per_minute if token.rate_per_minute is not None else default_rate()
        if rate <= 0:
            return
        now = self._clock()
        with self._lock:
            level, at = self._buckets.get(token.id, (float(rate), now))
            level = min(float(rate), level + (now - at) * rate / 60.0)
            if level < 1.0:
                self._buckets[token.id] = (level, now)
                wait_s = (1.0 - level) * 60.0 / rate
                raise ApiError(
                    429,
                    "rate_limited",
                    f"rate limit of {rate} requests per minute exceeded; retry in {wait_s:.1f} s",
                    headers={"Retry-After": str(max(1, round(wait_s + 0.5)))},
                )
            self._buckets[token.id] = (level - 1.0, now)
