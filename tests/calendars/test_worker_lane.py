"""``run_worker`` runs the calendar sync in its periodic lane (docs/notifications.md)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from slotwise.calendars.models import CalendarConnection
from slotwise.core import periodic


# The lane runs in a thread of its own, with its own database connection: it must see
# committed rows.
@pytest.mark.django_db(transaction=True)
def test_the_periodic_lane_syncs_due_connections_once(world, ics_feed, monkeypatch):
    feed, url = ics_feed
    from slotwise.calendars import services
    from slotwise.core.clock import utcnow

    connection = services.connection_create(
        business=world.business, provider=world.alex, kind="ics", url=url, now=utcnow()
    )
    CalendarConnection.objects.filter(pk=connection.pk).update(
        next_sync_at=utcnow() - timedelta(minutes=1), status="stale"
    )
    asked = len(feed.requests)
    for job in periodic.registered():
        monkeypatch.setattr(job, "last_run", None)
    out = io.StringIO()
    call_command("run_worker", "--once", "--lane", "periodic", stdout=out)
    assert "stopped" in out.getvalue()
    assert len(feed.requests) == asked + 1
    connection.refresh_from_db()
    assert connection.status == "ok"
