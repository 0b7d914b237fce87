"""Request limits of the REST API: token buckets, per server process.

Two limits:

- per API token: the token's own ``rate_per_minute``, else ``$AI_IMPACT_RATE_PER_MINUTE``
  (default 600);
- per client address, for requests to an authenticated route that carry no valid token (a
  missing, malformed, unknown or revoked bearer): ``$AI_IMPACT_ANONYMOUS_RATE_PER_MINUTE``
  (default 60); past it they are answered 429 instead of 401. A request with a valid token
  never spends its address's bucket, and the BigQuery door (``POST /``) is not limited at all.

A bucket holds ``rate`` requests (the burst) and refills continuously at ``rate / 60`` per
second; a request that finds less than one in its bucket is answered 429 ``rate_limited`` with
``Retry-After`` (whole seconds until the next request is allowed). A rate of 0 disables a limit.

The client address is the TCP peer, unless ``$AI_IMPACT_PROXY_HOPS`` = N > 0 proxies stand in
front and each appends the address it saw to ``X-Forwarded-For``: then it is the N-th entry from
the right, the one the outermost trusted proxy wrote (entries further left are whatever the client
sent). On Cloud Run (``K_SERVICE`` set) the default is 1: its front end appends the caller's
address; elsewhere the default is 0.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable

from ai_impact.rest.errors import ApiError
from ai_impact.store import Token

ENV_RATE = "AI_IMPACT_RATE_PER_MINUTE"
DEFAULT_RATE_PER_MINUTE = 600
ENV_ANONYMOUS_RATE = "AI_IMPACT_ANONYMOUS_RATE_PER_MINUTE"
DEFAULT_ANONYMOUS_RATE_PER_MINUTE = 60
ENV_PROXY_HOPS = "AI_IMPACT_PROXY_HOPS"
# Buckets kept before full ones are forgotten (a full bucket is the same as no bucket).
MAX_BUCKETS = 10_000


def _setting(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must be 0 or more, not {number}")
    return number


def default_rate() -> int:
    """Requests a minute of a token without its own rate (``$AI_IMPACT_RATE_PER_MINUTE``)."""
    return _setting(ENV_RATE, DEFAULT_RATE_PER_MINUTE)


def anonymous_rate() -> int:
    """Requests a minute per client address without a valid token."""
    return _setting(ENV_ANONYMOUS_RATE, DEFAULT_ANONYMOUS_RATE_PER_MINUTE)


def proxy_hops() -> int:
    """Proxies in front that append to X-Forwarded-For (1 on Cloud Run, else 0)."""
    return _setting(ENV_PROXY_HOPS, 1 if os.environ.get("K_SERVICE") else 0)


def client_address(peer: str | None, forwarded_for: str | None, hops: int) -> str:
    """The address the limit is kept for: ``peer`` with no proxy, else the ``hops``-th entry
    from the right of ``forwarded_for`` (its leftmost when it holds fewer)."""
    if hops <= 0 or not forwarded_for:
        return peer or ""
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if not entries:
        return peer or ""
    return entries[-min(hops, len(entries))]


class RateLimiter:
    """Token buckets keyed by API token id and by client address, refilled continuously."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (level, at)

    def _spend(self, key: Hashable, rate: int, what: str) -> None:
        if rate <= 0:
            return
        now = self._clock()
        with self._lock:
            level, at = self._buckets.get(key, (float(rate), now))
            level = min(float(rate), level + (now - at) * rate / 60.0)
            if level < 1.0:
                self._buckets[key] = (level, now)
                wait_s = (1.0 - level) * 60.0 / rate
                raise ApiError(
                    429,
                    "rate_limited",
                    f"rate limit of {rate} requests per minute {what} exceeded; "
                    f"retry in {wait_s:.1f} s",
                    headers={"Retry-After": str(max(1, round(wait_s + 0.5)))},
                )
            self._buckets[key] = (level - 1.0, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have had a minute to refill: they are full again, whatever the
        rate (a bucket refills completely in 60 s)."""
        for key in [k for k, (_, at) in self._buckets.items() if now - at >= 60.0]:
            del self._buckets[key]

    def check(self, token: Token) -> None:
        """Spend one request of ``token``'s bucket, or raise 429 with Retry-After."""
        rate = token.rate_per_minute if token.rate_per_minute is not None else default_rate()
        self._spend(("token", token.id), rate, "of this token")

    def check_address(self, address: str) -> None:
        """Spend one request of the bucket of an address without a valid token, or raise 429."""
        self._spend(("address", address), anonymous_rate(), "without a valid token per address")
