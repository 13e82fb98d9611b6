"""Fixed-window rate limits, keyed by client address and purpose.

Counts live where every server process sees them: in the database (``RateCounter``, one
atomic upsert per count) by default, or in the cache server when ``CACHE_URL`` is set (Redis
increments atomically itself). Parallel requests cannot slip past a limit either way.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.http import HttpRequest

from slotwise.core import sqlrows
from slotwise.core.models import RateCounter

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


def _in_database() -> bool:
    """Whether counts live in the database (the default) rather than in a cache server."""
    return isinstance(caches["default"], DatabaseCache)


def _incr(cache_key: str, timeout: int, delta: int = 1) -> int:
    """Add ``delta`` to the counter at ``cache_key`` (created at 0) and return the new count."""
    if not _in_database():
        # Memcached and Redis increment atomically themselves.
        cache.add(cache_key, 0, timeout=timeout)
        try:
            return int(cache.incr(cache_key, delta))
        except ValueError:  # evicted between add and incr
            cache.set(cache_key, max(0, delta), timeout=timeout)
            return max(0, delta)
    # One statement, atomic on both databases: the row is created or incremented under its
    # lock, so parallel requests never read the same count. Written by hand because the ORM
    # cannot say "insert, or add to the stored count, and give me the result" in one
    # statement (``update_or_create`` is a read then a write: two round trips and a race).
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (counter_key, count, expires_at) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (counter_key) DO UPDATE SET count = CASE "
            f"WHEN {table}.count + %s < 0 THEN 0 ELSE {table}.count + %s END "
            "RETURNING count",
            [
                cache_key,
                max(0, delta),
                sqlrows.instant(datetime.fromtimestamp(time.time() + timeout, UTC)),
                delta,
                delta,
            ],
        )
        row = cursor.fetchone()
    return int(row[0])


def _count(cache_key: str) -> int:
    """The count at ``cache_key`` (0 when there is none, or its window has ended)."""
    if not _in_database():
        return int(cache.get(cache_key) or 0)
    # By hand, as the count itself: every manage-link request asks this first.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count FROM {RateCounter._meta.db_table} "  # noqa: S608
            "WHERE counter_key = %s AND expires_at > %s",
            [cache_key, sqlrows.instant(datetime.fromtimestamp(time.time(), UTC))],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def reset() -> None:
    """Forget every count (tests; from `manage.py shell`, lifts every block at once)."""
    RateCounter.objects.all().delete()
    if not _in_database():
        cache.clear()


def delete_expired(now: datetime, worker_id: str = "") -> int:
    """Delete the counts whose window has ended; how many (the worker's periodic job)."""
    deleted, _ = RateCounter.objects.filter(expires_at__lte=now).delete()
    return deleted


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
    return _count(f"rl:{scope}:{key}:{bucket}") >= limit


#: Wrong or guessed customer-link tokens: after this many in a window, answer 429.
BAD_TOKEN_LIMIT = 10
BAD_TOKEN_WINDOW = 600

#: The shipped limits of the public pages and API, (count, seconds) per name; settings.py
#: reads each from its environment variable (docs/deployment.md, "Rate limits and work caps").
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "availability": (120, 60),
    "booking": (10, 600),
    "booking_email": (3, 3600),
    "feed": (60, 3600),
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
