"""The instant the test suite runs at: frozen, so no test depends on the hour it runs.

Every test in process (including ``live_server``, which runs in a thread of this process)
sees the clock start at :data:`TEST_NOW` and tick on from there. Tests that start real
processes (marked ``slow``) keep the real clock, since their processes cannot share a
travelled clock; they place their bookings relative to ``utcnow()``.

``SLOTWISE_TEST_NOW`` (an ISO 8601 instant with its offset) moves the whole suite to another
instant: CI runs the browser and time tests once late in the business's evening and once
just after midnight with it (docs/testing.md, "Tests and the clock").
"""

from __future__ import annotations

import os
from datetime import datetime

#: A Wednesday morning in Berlin (the test businesses' zone), far from any clock change.
DEFAULT_TEST_NOW = "2030-01-16T10:00:00+01:00"


def suite_now() -> datetime:
    """The configured start instant of every in-process test, timezone-aware."""
    value = os.environ.get("SLOTWISE_TEST_NOW") or DEFAULT_TEST_NOW
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"SLOTWISE_TEST_NOW needs an offset, e.g. +01:00: {value!r}")
    return instant
