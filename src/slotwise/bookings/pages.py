"""Setting up booking pages: what a public page offers, with whom, and its self-service terms.

Configuration, not a booking rule: the rules that read these settings live in ``policy.py``
and ``actions/``. Each booking copies the page's self-service settings when it is made, so a
change here applies to bookings made from now on only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from slotwise.bookings.models import BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors
from slotwise.core.models import Business
from slotwise.core.records import record_apply, record_or_new, record_save, records_get


def booking_page_save(
    *,
    business: Business,
    changes: Mapping[str, Any],
    page: BookingPage | None = None,
    service_ids: Iterable[int] | None = None,
    provider_ids: Iterable[int] | None = None,
) -> BookingPage:
    """Create a booking page (``page`` None) or change the given fields of one.

    ``service_ids`` and ``provider_ids`` replace the page's when given; a page offers at least
    one service with at least one provider, all of ``business``.
    """
    page = record_or_new(BookingPage, business=business, instance=page, label="Booking page")
    creating = page.pk is None
    services = (
        None
        if service_ids is None
        else records_get(Service, business=business, ids=service_ids, label="Service")
    )
    providers = (
        None
        if provider_ids is None
        else records_get(Provider, business=business, ids=provider_ids, label="Provider")
    )
    if (services is not None or creating) and not services:
        raise errors.InvalidInput("Choose at least one service.", field="service_ids")
    if (providers is not None or creating) and not providers:
        raise errors.InvalidInput("Choose at least one provider.", field="provider_ids")
    record_apply(page, changes)
    with transaction.atomic():
        record_save(page)
        if services is not None:
            page.services.set(services)
        if providers is not None:
            page.providers.set(providers)
    return page
