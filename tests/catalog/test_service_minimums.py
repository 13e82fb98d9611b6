"""A service lasts 5 minutes to a day and its buffers at most a day: the forms and the API said
so, and now the database does too (migration ``service_minimums``), so a row written by a script
or the admin cannot break the slot arithmetic. Rows outside the bounds are moved inside first.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from slotwise.catalog.models import Service


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_minutes", 0),
        ("duration_minutes", 4),
        ("duration_minutes", 24 * 60 + 1),
        ("buffer_before_minutes", 24 * 60 + 1),
        ("buffer_after_minutes", 10_000),
    ],
)
def test_database_refuses_a_service_outside_the_bounds(world: Any, field: str, value: int) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.filter(pk=world.service.pk).update(**{field: value})


@pytest.mark.django_db
def test_database_keeps_the_bounds_themselves(world: Any) -> None:
    Service.objects.filter(pk=world.service.pk).update(
        duration_minutes=5, buffer_before_minutes=24 * 60, buffer_after_minutes=0
    )
    Service.objects.filter(pk=world.service.pk).update(duration_minutes=24 * 60)


@pytest.mark.django_db
def test_backoffice_form_refuses_a_buffer_over_a_day(world: Any) -> None:
    owner_client = Client()
    owner_client.force_login(get_user_model().objects.get(username="owner@acme.test"))
    data = {
        "name": "Colour",
        "description": "",
        "duration_minutes": 90,
        "price": "85.00",
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 2000,
        "active": "on",
    }
    page = owner_client.post(reverse("backoffice:settings_service_new"), data)
    assert page.status_code == 200  # the form with its error, not a database error
    assert "less than or equal to 1440" in page.content.decode()
    assert not Service.objects.filter(name="Colour").exists()


@pytest.mark.django_db(transaction=True)
def test_migration_moves_existing_rows_inside_the_bounds() -> None:
    # The business as it was then too: later columns without a database default would
    # refuse the old model's insert.
    before = [("catalog", "0002_customer_email_ci_index"), ("core", "0005_apikey_moved")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        business = old.get_model("core", "Business").objects.create(
            slug="old", name="Old", timezone="UTC"
        )
        services = old.get_model("catalog", "Service").objects
        short = services.create(business=business, name="Short", duration_minutes=0)
        long = services.create(
            business=business, name="Long", duration_minutes=5000, buffer_after_minutes=3000
        )
        fine = services.create(business=business, name="Fine", duration_minutes=30)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    rows = {
        s.pk: (s.duration_minutes, s.buffer_after_minutes)
        for s in Service.objects.filter(business__slug="old")
    }
    assert rows == {short.pk: (5, 0), long.pk: (1440, 1440), fine.pk: (30, 0)}


@pytest.mark.django_db(transaction=True)
def test_page_step_migration_raises_existing_rows_on_both_databases() -> None:
    """The same for booking pages: on PostgreSQL raising a row used to leave deferred
    foreign-key checks pending, and the constraint's ALTER TABLE then failed the migration."""
    before = [("bookings", "0006_booking_any_provider"), ("core", "0005_apikey_moved")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        business = old.get_model("core", "Business").objects.create(
            slug="old", name="Old", timezone="UTC"
        )
        page = old.get_model("bookings", "BookingPage").objects.create(
            business=business, slug="p", title="P", slot_step_minutes=0, max_days_ahead=0
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    from slotwise.bookings.models import BookingPage

    raised = BookingPage.objects.get(pk=page.pk)
    assert (raised.slot_step_minutes, raised.max_days_ahead) == (5, 1)


@pytest.mark.django_db(transaction=True)
def test_business_step_migration_raises_existing_rows_on_both_databases() -> None:
    before = [("core", "0003_invitations")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        business = old.get_model("core", "Business").objects.create(
            slug="old", name="Old", timezone="UTC", slot_step_minutes=0, max_days_ahead=0
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    from slotwise.core.models import Business

    raised = Business.objects.get(pk=business.pk)
    assert (raised.slot_step_minutes, raised.max_days_ahead) == (5, 1)
