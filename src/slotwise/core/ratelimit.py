"""Fixed-window rate limits kept in the cache, keyed by client address and purpose.

The cache is the configured Django cache (the database table by default), so every server
process counts in the same place. Counting is atomic: on the database cache the row is
locked while it is incremented, so parallel requests cannot slip past a limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.http import HttpRequest

#: An IPv6 client is counted by its /64 network: one host is given a whole /64 (2^64
#: addresses) and could otherwise take a fresh address, and a fresh count, for every request.
IPV6_PREFIX = 64


def client_key(request: HttpRequest) -> str:
    """The client's address (REMOTE_ADDR; a proxy in front must set it, e.g. gunicorn's).

    IPv4 as it is (also when written inside IPv6, ``::ffff:203.0.113.7``); IPv6 by its /64.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def email_key(email: str) -> str:
    """One key per mailbox however it is spelled: NFKC, case-folded, hashed (no address kept).

    A ``+tag`` in the local part (``ann+1@x.test``) reaches the same mailbox at most
    providers, so it is dropped: tagged spellings share the mailbox's count.
    """
    normal = unicodedata.normalize("NFKC", email).strip().casefold()
    local, at, domain = normal.rpartition("@")
    if at and "+" in local:
        normal = f"{local.split('+', 1)[0]}@{domain}"
    return hashlib.sha256(normal.encode()).hexdigest()[:32]


def _incr(cache_key: str, timeout: int, delta: int = 1) -> int:
    """Add ``delta`` to the counter at ``cache_key`` (created at 0) and return the new count."""
    backend = caches["default"]
    if not isinstance(backend, DatabaseCache):
        # Memcached and Redis increment atomically themselves.
        cache.add(cache_key, 0, timeout=timeout)
        try:
            return int(cache.incr(cache_key, delta))
        except ValueError:  # evicted between add and incr
            cache.set(cache_key, max(0, delta), timeout=timeout)
            return max(0, delta)
    # The database cache's incr is a read then a write (and it would reset the expiry to the
    # cache's default): the row is locked in between, so two processes never both read the
    # same count (SQLite takes its write lock at BEGIN, which serializes the same way). One
    # transaction, so one commit per count.
    alias = router.db_for_write(backend.cache_model_class)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql" and not _lock_row(backend, connection, cache_key):
            if cache.add(cache_key, max(0, delta), timeout=timeout):
                return max(0, delta)
            # Another request inserted it first (and has committed): lock that row.
            _lock_row(backend, connection, cache_key)
        count = max(0, int(cache.get(cache_key) or 0) + delta)
        cache.set(cache_key, count, timeout=timeout)
        return count


def _lock_row(backend: DatabaseCache, connection: Any, cache_key: str) -> bool:
    """Lock the cache row of ``cache_key`` until the transaction ends; whether it exists."""
    table = connection.ops.quote_name(backend._table)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is our own setting, quoted; the key is a parameter.
            f"SELECT 1 FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608
            [backend.make_and_validate_key(cache_key)],
        )
        return cursor.fetchone() is not None


def _until_end(now: float, bucket: int, window: int) -> int:
    """Whole seconds (at least 1) from ``now`` to the end of the fixed window ``bucket``."""
    return max(1, math.ceil((bucket + 1) * window - now))


def hit(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one event; True while the client is within ``limit`` events per window."""
    now = time.time()
    bucket = int(now // window_seconds)
    count = _incr(f"rl:{scope}:{key}:{bucket}", _until_end(now, bucket, window_seconds))
    return count <= limit


def is_limited(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """True when the client has already used up ``limit`` events in this window."""
    bucket = int(time.time() // window_seconds)
    return (cache.get(f"rl:{scope}:{key}:{bucket}") or 0) >= limit


#: Wrong or guessed customer-link tokens: after this many in a window, answer 429.
BAD_TOKEN_LIMIT = 10
BAD_TOKEN_WINDOW = 600

#: The shipped limits of the public pages and API, (count, seconds) per name; settings.py
#: reads each from its environment variable (docs/deployment.md, "Rate limits and work caps").
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "availability": (120, 60),
    "booking": (10, 600),
    "booking_email": (3, 3600),
}


@dataclass(frozen=True)
class Decision:
    """The answer of ``take``: whether to go on, and if not, for how many seconds to wait."""

    allowed: bool
    retry_after: int = 0
    cache_key: str = ""
    window_end: float = 0.0  # when the counted window ends (epoch seconds)


def configured(name: str) -> tuple[int, int] | None:
    """The (count, seconds) of the limit called ``name`` in settings; None when it is off."""
    limits: dict[str, tuple[int, int] | None] = getattr(settings, "SLOTWISE_RATE_LIMITS", {})
    return limits.get(name, DEFAULT_LIMITS.get(name))


def take(name: str, key: str) -> Decision:
    """Count one event against the configured limit ``name`` for ``key`` (an address, a mailbox).

    Counted before the work is done, so parallel requests cannot all pass; a refused event
    still counts, so hammering does not shorten the wait.
    """
    rate = configured(name)
    if rate is None:
        return Decision(True)
    limit, window = rate
    now = time.time()
    bucket = int(now // window)
    cache_key = f"rl:{name}:{key}:{bucket}"
    retry_after = _until_end(now, bucket, window)
    count = _incr(cache_key, retry_after + 1)
    return Decision(count <= limit, retry_after, cache_key, float((bucket + 1) * window))


def give_back(decision: Decision) -> None:
    """Uncount an event that did not happen after all (a booking that was refused)."""
    remaining = math.ceil(decision.window_end - time.time())
    if decision.cache_key and remaining > 0:
        _incr(decision.cache_key, remaining + 1, delta=-1)
