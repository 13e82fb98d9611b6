"""The booking page, its business and a service in one hand-written statement (the hot path of
every availability question), read back exactly as the ORM reads them (core/sqlrows.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slotwise.bookings import availability_cache, selectors
from slotwise.bookings.models import BookingPage
from slotwise.catalog.models import Service
from slotwise.core import errors
from slotwise.core.models import Business
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _fields(instance: object) -> dict[str, object]:
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields  # type: ignore[attr-defined]
    }


def test_every_field_reads_as_the_orm_reads_it(world: World) -> None:
    # Values of every kind the converters must turn back: booleans, dates, decimals, JSON.
    world.page.translations = {"de": {"title": "Termin buchen"}}
    world.page.any_provider = True
    world.page.save()
    world.service.price = Decimal("42.50")
    world.service.save()
    with CaptureQueriesContext(connection) as queries:
        page, service = selectors.public_page_service(
            business_slug="acme", page_slug=world.page.slug, service_id=world.service.pk
        )
    assert len(queries) == 1
    assert _fields(page) == _fields(BookingPage.objects.get(pk=world.page.pk))
    assert _fields(page.business) == _fields(Business.objects.get(pk=world.business.pk))
    assert service is not None
    assert _fields(service) == _fields(Service.objects.get(pk=world.service.pk))
    assert service.price == Decimal("42.50") and page.any_provider is True
    # The business came with the row: no query for it.
    with CaptureQueriesContext(connection) as queries:
        assert page.business.tz.key == "Europe/Berlin" and service.business.slug == "acme"
    assert len(queries) == 0


def test_a_service_the_page_does_not_offer_or_inactive_is_none(world: World) -> None:
    other = factories.make_service(world.business, name="Colour")
    _page, found = selectors.public_page_service(
        business_slug="acme", page_slug=world.page.slug, service_id=other.pk
    )
    assert found is None
    world.service.active = False
    world.service.save()
    _page, found = selectors.public_page_service(
        business_slug="acme", page_slug=world.page.slug, service_id=world.service.pk
    )
    assert found is None


def test_another_business_service_is_none(world: World, other_world: World) -> None:
    other_world.page.services.add(world.service)  # a link across businesses is never honoured
    _page, found = selectors.public_page_service(
        business_slug=other_world.business.slug,
        page_slug=other_world.page.slug,
        service_id=world.service.pk,
    )
    assert found is None


def test_an_inactive_or_unknown_page_is_not_found(world: World) -> None:
    world.page.active = False
    world.page.save()
    for business, page in (("acme", world.page.slug), ("nope", world.page.slug)):
        with pytest.raises(errors.NotFound):
            selectors.public_page_service(business_slug=business, page_slug=page, service_id=None)


def test_offering_versions_match_the_orm(world: World) -> None:
    extra = factories.make_provider(world.business, "Casey", [world.service])
    away = factories.make_provider(world.business, "Dee", [world.service])
    away.active = False
    away.save()
    world.page.providers.add(away)
    availability_cache.bump([world.blake.pk, world.blake.pk])
    availability_cache.bump([world.blake.pk])
    on_page = availability_cache.offering_versions(service=world.service, page=world.page)
    assert on_page == [(world.alex.pk, 0), (world.blake.pk, 2)]  # Casey is not on the page
    anywhere = availability_cache.offering_versions(service=world.service)
    assert anywhere == [(world.alex.pk, 0), (world.blake.pk, 2), (extra.pk, 0)]
    chosen = availability_cache.offering_versions(
        service=world.service, page=world.page, provider_ids=[world.blake.pk, extra.pk]
    )
    assert chosen == [(world.blake.pk, 2)]
    assert availability_cache.offering_versions(service=world.service, provider_ids=[]) == []


def test_page_services_match_the_orm(world: World) -> None:
    colour = factories.make_service(world.business, name="Colour")
    beard = factories.make_service(world.business, name="Beard trim")
    gone = factories.make_service(world.business, name="Armpit wax")
    gone.active = False
    gone.save()
    factories.make_service(world.business, name="Not on the page")
    world.page.services.add(colour, beard, gone)
    found = selectors.page_services(page=world.page)
    expected = world.page.services.filter(active=True).order_by("name", "pk")
    assert [_fields(s) for s in found] == [_fields(s) for s in expected]
    assert [s.name for s in found] == ["Beard trim", "Colour", world.service.name]
