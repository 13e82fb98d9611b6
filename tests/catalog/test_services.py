"""Catalog writes: the one service per operation that the backoffice and the API both call."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from slotwise.bookings.models import BookingPage
from slotwise.bookings.pages import booking_page_save
from slotwise.catalog import services
from slotwise.catalog.models import Customer, Provider, Service, TimeOff, WorkingHours
from slotwise.core import errors

pytestmark = pytest.mark.django_db


def test_service_save_creates_in_business_currency_and_names_the_bad_field(world: Any) -> None:
    made = services.service_save(
        business=world.business, changes={"name": "  Colour ", "duration_minutes": 90}
    )
    assert (made.name, made.currency) == ("Colour", world.business.currency)
    changed = services.service_save(
        business=world.business, service=made, changes={"currency": "usd"}
    )
    assert changed.currency == "USD"
    with pytest.raises(errors.InvalidInput) as refused:
        services.service_save(
            business=world.business, service=made, changes={"duration_minutes": 2}
        )
    assert refused.value.details["field"] == "duration_minutes"
    made.refresh_from_db()
    assert made.duration_minutes == 90  # a refusal changes nothing


def test_service_name_is_unique_within_the_business_only(world: Any, other_world: Any) -> None:
    with pytest.raises(errors.InvalidInput):
        services.service_save(
            business=world.business, changes={"name": "Haircut", "duration_minutes": 30}
        )
    theirs = services.service_save(
        business=other_world.business, changes={"name": "Colour", "duration_minutes": 30}
    )
    ours = services.service_save(
        business=world.business, changes={"name": "Colour", "duration_minutes": 30}
    )
    assert theirs.pk != ours.pk


def test_provider_save_replaces_services_and_hours(world: Any) -> None:
    extra = services.service_save(
        business=world.business, changes={"name": "Shave", "duration_minutes": 20}
    )
    cam = services.provider_save(
        business=world.business,
        changes={"name": "Cam"},
        service_ids=[world.service.pk, extra.pk],
        working_hours=[(0, time(9), time(12)), (0, time(13), time(17)), (0, time(9), time(12))],
    )
    assert set(cam.services.all()) == {world.service, extra}
    assert [(h.weekday, h.start, h.end) for h in cam.working_hours.order_by("start")] == [
        (0, time(9), time(12)),
        (0, time(13), time(17)),
    ]
    services.provider_save(
        business=world.business, provider=cam, changes={"phone": "1"}, service_ids=[extra.pk]
    )
    assert list(cam.services.all()) == [extra]
    assert cam.working_hours.count() == 2  # not given, so kept


@pytest.mark.parametrize(
    "intervals",
    [
        [(0, time(9), time(12)), (0, time(11), time(17))],  # overlapping
        [(1, time(14), time(10))],  # ends before it starts
        [(7, time(9), time(10))],  # no such weekday
    ],
)
def test_bad_working_hours_are_refused_and_change_nothing(world: Any, intervals: Any) -> None:
    before = list(WorkingHours.objects.filter(provider=world.alex).values())
    with pytest.raises(errors.InvalidInput) as refused:
        services.working_hours_set(
            business=world.business, provider=world.alex, intervals=intervals
        )
    assert refused.value.details["field"] == "working_hours"
    with pytest.raises(errors.InvalidInput):
        services.provider_save(
            business=world.business,
            provider=world.alex,
            changes={"name": "Renamed"},
            working_hours=intervals,
        )
    assert list(WorkingHours.objects.filter(provider=world.alex).values()) == before
    assert Provider.objects.get(pk=world.alex.pk).name == "Alex"


def test_time_off_is_stored_in_utc_and_deleted_once(world: Any) -> None:
    start = datetime(2030, 6, 3, 10, tzinfo=world.business.tz)
    off = services.time_off_create(
        business=world.business,
        provider=world.alex,
        start=start,
        end=start.replace(hour=12),
        reason=" Dentist ",
    )
    assert off.start.tzinfo == UTC and off.reason == "Dentist"
    with pytest.raises(errors.InvalidInput):
        services.time_off_create(
            business=world.business, provider=world.alex, start=start, end=start
        )
    services.time_off_delete(business=world.business, provider_id=world.alex.pk, time_off_id=off.pk)
    with pytest.raises(errors.NotFound):
        services.time_off_delete(
            business=world.business, provider_id=world.alex.pk, time_off_id=off.pk
        )


def test_customer_get_or_create_reuses_by_email(world: Any) -> None:
    found, created = services.customer_get_or_create(
        business=world.business, name="Other name", email=world.customer.email.upper()
    )
    assert (found, created) == (world.customer, False)
    new, created = services.customer_get_or_create(
        business=world.business, name=" Dana ", email=" Dana@Example.test", timezone="Asia/Tokyo"
    )
    assert created and (new.name, new.email, new.timezone) == (
        "Dana",
        "dana@example.test",
        "Asia/Tokyo",
    )
    with pytest.raises(errors.InvalidInput) as refused:
        services.customer_save(
            business=world.business, customer=new, changes={"timezone": "Mars/Base"}
        )
    assert refused.value.details["field"] == "timezone"


def test_booking_page_needs_a_service_and_a_provider(world: Any) -> None:
    base = {"slug": "walk-ins", "title": "Walk-ins"}
    with pytest.raises(errors.InvalidInput, match="at least one service"):
        booking_page_save(business=world.business, changes=base, provider_ids=[world.alex.pk])
    with pytest.raises(errors.InvalidInput, match="at least one provider"):
        booking_page_save(business=world.business, changes=base, service_ids=[world.service.pk])
    page = booking_page_save(
        business=world.business,
        changes=base,
        service_ids=[world.service.pk],
        provider_ids=[world.alex.pk],
    )
    # A change that leaves the lists alone keeps them; emptying one is refused.
    booking_page_save(business=world.business, page=page, changes={"title": "Drop-ins"})
    assert list(page.providers.all()) == [world.alex]
    with pytest.raises(errors.InvalidInput):
        booking_page_save(business=world.business, page=page, changes={}, provider_ids=[])
    with pytest.raises(errors.InvalidInput) as refused:
        booking_page_save(business=world.business, page=page, changes={"slug": "Bad Slug"})
    assert refused.value.details["field"] == "slug"
    assert BookingPage.objects.get(pk=page.pk).slug == "walk-ins"


def test_every_write_is_scoped_to_its_business(world: Any, other_world: Any) -> None:
    """Another business's rows are not found, and stay as they were."""
    ours, theirs = world.business, other_world.business
    calls: list[Any] = [
        lambda: services.service_save(business=ours, service=other_world.service, changes={}),
        lambda: services.provider_save(business=ours, provider=other_world.alex, changes={}),
        lambda: services.provider_save(
            business=ours, changes={"name": "Y"}, service_ids=[other_world.service.pk]
        ),
        lambda: services.working_hours_set(business=ours, provider=other_world.alex, intervals=[]),
        lambda: services.time_off_create(
            business=ours,
            provider=other_world.alex,
            start=datetime(2030, 1, 1, 9, tzinfo=UTC),
            end=datetime(2030, 1, 1, 10, tzinfo=UTC),
        ),
        lambda: services.customer_save(
            business=ours, customer=other_world.customer, changes={"name": "Z"}
        ),
        lambda: booking_page_save(business=ours, page=other_world.page, changes={}),
        lambda: booking_page_save(
            business=ours,
            changes={"slug": "steal", "title": "X"},
            service_ids=[world.service.pk],
            provider_ids=[other_world.alex.pk],
        ),
    ]
    off = TimeOff.objects.create(
        provider=other_world.alex,
        start=datetime(2030, 1, 1, 9, tzinfo=UTC),
        end=datetime(2030, 1, 1, 10, tzinfo=UTC),
    )
    calls.append(
        lambda: services.time_off_delete(
            business=ours, provider_id=other_world.alex.pk, time_off_id=off.pk
        )
    )
    snapshot = [
        list(model.objects.filter(business=theirs).values())
        for model in (Service, Provider, Customer, BookingPage)
    ]
    hours = list(WorkingHours.objects.filter(provider__business=theirs).values())
    for call in calls:
        with pytest.raises(errors.NotFound):
            call()
    assert snapshot == [
        list(model.objects.filter(business=theirs).values())
        for model in (Service, Provider, Customer, BookingPage)
    ]
    assert list(WorkingHours.objects.filter(provider__business=theirs).values()) == hours
    assert TimeOff.objects.filter(pk=off.pk).exists()
    assert not BookingPage.objects.filter(business=ours, slug="steal").exists()
