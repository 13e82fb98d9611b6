"""Jobs the worker runs on a schedule, registered by the apps that own them.

An app registers in its ``AppConfig.ready``::

    periodic.register_periodic("calendar-sync", sync_due, every=timedelta(minutes=1))

``manage.py run_worker`` runs every registered job in a thread of its own (the "periodic"
lane), each at most once per ``every``; a job does its own claiming (leases), so several
workers may run the same job side by side. The worker imports no app to find them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

log = logging.getLogger("slotwise.worker")

#: A job gets ``now`` and the worker's id and returns how much it did (for the log).
Job = Callable[[datetime, str], int]


@dataclass
class Periodic:
    name: str
    job: Job
    every: timedelta
    last_run: datetime | None = field(default=None)

    def due(self, now: datetime) -> bool:
        return self.last_run is None or now - self.last_run >= self.every


_jobs: dict[str, Periodic] = {}


def register_periodic(name: str, job: Job, *, every: timedelta) -> None:
    """Run ``job(now, worker_id)`` from the worker every ``every`` (replaces a same-named job)."""
    _jobs[name] = Periodic(name, job, every)


def registered() -> list[Periodic]:
    return list(_jobs.values())


def run_due(*, now: datetime, worker_id: str, force: bool = False) -> int:
    """Run the jobs that are due (all of them with ``force``); returns the work they did.

    A failing job is logged and retried at its next turn; it never stops the others.
    """
    done = 0
    for periodic in registered():
        if not (force or periodic.due(now)):
            continue
        periodic.last_run = now
        try:
            done += periodic.job(now, worker_id)
        except Exception:
            log.exception("periodic job %s failed", periodic.name)
    return done
