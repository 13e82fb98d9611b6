"""Setting up booking pages: what a public page offers, with whom, and its self-service terms.

Configuration, not a booking rule: the rules that read these settings live in ``policy.py``
and ``actions/``. Each booking copies the page's self-service settings when it is made, so a
change here applies to bookings made from now on only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.models import BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.core.models import Business
from slotwise.core.records import record_apply, record_or_new, record_save, records_get
from slotwise.scheduling import availability

#: The booking page asks for free times a month at a time.
MONTH_DAYS = 31


def page_month_work(page: BookingPage) -> tuple[int, int]:
    """The largest work of one month question the page can ask (availability.estimate_work):
    providers x days x slots a day over a whole month inside the page's horizon. Returns the
    work and the provider count it was computed with.

    Every provider on the page counts ("any provider"; one when the page does not offer
    that), whether or not they offer each service or are active today: the page is checked
    when it is saved, and a provider who later takes on a service or comes back must not
    push it over the cap unchecked.
    """
    business = page.business
    service = page.services.order_by("pk").first()
    if service is None:
        return 0, 0
    count = page.providers.count()
    if not page.any_provider:
        count = min(count, 1)
    # The page's step and horizon set the size; the service's length does not.
    rules = dataclasses.replace(
        loaders.rules_for(service=service, business=business, page=page),
        min_notice=timedelta(0),
    )
    today = utcnow().astimezone(business.tz).date()
    start = datetime.combine(today, time(0), tzinfo=business.tz)
    work = availability.estimate_work(
        provider_count=count,
        rules=rules,
        tz=business.tz,
        window_start=start,
        window_end=start + timedelta(days=MONTH_DAYS),
        now=start,
    )
    return work, count


def _ensure_within_work_cap(page: BookingPage) -> None:
    if not page.active:
        return
    work, providers = page_month_work(page)
    cap = settings.SLOTWISE_AVAILABILITY_MAX_WORK
    if work > cap:
        raise errors.InvalidInput(
            _(
                "With %(providers)s providers and a %(step)s-minute time slot step, a month of "
                "free times on this page is too much to compute (%(work)s slot checks, the "
                "limit is %(cap)s). Raise the time slot step, or split the providers over "
                "several booking pages."
            )
            % {
                "providers": providers,
                "step": page.slot_step_minutes,
                "work": f"{work:,}",
                "cap": f"{cap:,}",
            },
            field="slot_step_minutes",
        )


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
        raise errors.InvalidInput(_("Choose at least one service."), field="service_ids")
    if (providers is not None or creating) and not providers:
        raise errors.InvalidInput(_("Choose at least one provider."), field="provider_ids")
    record_apply(page, changes)
    with transaction.atomic():
        record_save(page)
        if services is not None:
            page.services.set(services)
        if providers is not None:
            page.providers.set(providers)
        # The booking page's own month question must stay under the public work cap.
        _ensure_within_work_cap(page)
    return page
