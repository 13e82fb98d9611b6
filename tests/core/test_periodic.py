"""The worker's periodic jobs (core/periodic.py), which the calendar sync registers into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.core import periodic

T0 = datetime(2030, 1, 16, 9, tzinfo=UTC)


@pytest.fixture
def jobs(monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    return periodic


def test_a_job_runs_once_per_interval(jobs):
    calls = []
    jobs.register_periodic(
        "j", lambda now, worker: calls.append(now) or 1, every=timedelta(minutes=1)
    )
    assert jobs.run_due(now=T0, worker_id="w") == 1
    assert jobs.run_due(now=T0 + timedelta(seconds=30), worker_id="w") == 0
    assert jobs.run_due(now=T0 + timedelta(seconds=30), worker_id="w", force=True) == 1
    assert jobs.run_due(now=T0 + timedelta(minutes=2), worker_id="w") == 1
    assert len(calls) == 3


def test_a_failing_job_does_not_stop_the_others(jobs, caplog):
    def broken(now, worker):
        raise RuntimeError("boom")

    jobs.register_periodic("broken", broken, every=timedelta(minutes=1))
    jobs.register_periodic("fine", lambda now, worker: 2, every=timedelta(minutes=1))
    assert jobs.run_due(now=T0, worker_id="w") == 2
    assert "periodic job broken failed" in caplog.text


def test_the_calendar_sync_is_registered():
    assert "calendar-sync" in {p.name for p in periodic.registered()}
