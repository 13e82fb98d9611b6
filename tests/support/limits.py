"""Forgetting every rate-limit count between steps of a test (the counts and the cache)."""

from __future__ import annotations

from django.core.cache import cache

from slotwise.core import ratelimit


def forget_limits() -> None:
    """Every count forgotten: the counter table (or the cache server's counts) and the cache."""
    ratelimit.reset()
    cache.clear()
