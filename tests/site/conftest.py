"""Customer page tests: the clock stands still at a known instant, rate limits start empty."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from tests.support.limits import forget_limits

#: Saturday 1 June 2030, 10:00 in Berlin: two days before the factories' Monday.
NOW = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def empty_rate_limits() -> Iterator[None]:
    forget_limits()
    yield
    forget_limits()
