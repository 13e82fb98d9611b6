"""Fixed-window rate limits kept in the cache, keyed by client address and purpose."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_key(request: HttpRequest) -> str:
    """The client's address (REMOTE_ADDR; a proxy in front must set it, e.g. gunicorn's)."""
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one event; True while the client is within ``limit`` events per window."""
    bucket = int(time.time() // window_seconds)
    cache_key = f"rl:{scope}:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window_seconds * 2)
        count = 1
    return count <= limit


def is_limited(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """True when the client has already used up ``limit`` events in this window."""
    bucket = int(time.time() // window_seconds)
    return (cache.get(f"rl:{scope}:{key}:{bucket}") or 0) >= limit


#: Wrong or guessed customer-link tokens: after this many in a window, answer 429.
BAD_TOKEN_LIMIT = 10
BAD_TOKEN_WINDOW = 600
