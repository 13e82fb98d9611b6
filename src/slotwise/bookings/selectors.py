"""Reads of booking data. Every function takes the business and never looks beyond it."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext as _

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings import policy
from slotwise.bookings.models import Booking, BookingEvent, BookingPage, Payment, Rating
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.core import errors, sqlrows
from slotwise.core.models import Business
from slotwise.scheduling import availability


def booking_list(
    *,
    business: Business,
    status: str | None = None,
    provider_id: int | None = None,
    service_id: int | None = None,
    customer_id: int | None = None,
    source: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    search: str = "",
) -> QuerySet[Booking]:
    """The business's bookings, filtered, with what a list needs loaded in the same query."""
    qs = Booking.objects.filter(business=business).select_related("service", "provider", "customer")
    if status:
        qs = qs.filter(status=status)
    if provider_id:
        qs = qs.filter(provider_id=provider_id)
    if service_id:
        qs = qs.filter(service_id=service_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if source:
        qs = qs.filter(source=source)
    if start_from:
        qs = qs.filter(start__gte=start_from)
    if start_to:
        qs = qs.filter(start__lt=start_to)
    if search.strip():
        term = search.strip()
        qs = qs.filter(
            Q(reference__iexact=term)
            | Q(customer__name__icontains=term)
            | Q(customer__email__icontains=term)
            | Q(customer__phone__icontains=term)
        )
    return qs.order_by("start", "pk")


def booking_get(*, business: Business, reference: str) -> Booking:
    """One booking of the business by its reference; another business's is simply not found."""
    booking = (
        Booking.objects.filter(business=business, reference=reference.strip().upper())
        .select_related("service", "provider", "customer", "booking_page", "business")
        .first()
    )
    if booking is None:
        raise errors.not_found("Booking")
    return booking


# --- reads for the staff backoffice (appended; the functions above are unchanged) -----------


def local_day_bounds(*, business: Business, day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` and of the next day in the business's zone (DST-safe)."""
    tz = business.tz
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def staff_slots(
    *,
    service: Service,
    provider: Provider,
    day: date,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> list[availability.Slot]:
    """Free start times for staff on one local day: inside working hours, on the business's
    slot step, any notice (not in the past), never over another booking or time off."""
    from dataclasses import replace

    business = service.business
    window_start, window_end = local_day_bounds(business=business, day=day)
    rules = replace(
        loaders.staff_rules_for(service=service),
        step=timedelta(minutes=business.slot_step_minutes or 15),
    )
    return availability.free_slots(
        providers=loaders.provider_schedules(
            providers=[provider],
            window_start=window_start,
            window_end=window_end,
            exclude_booking_id=exclude_booking_id,
        ),
        rules=rules,
        tz=business.tz,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )


def calendar_bookings(
    *, business: Business, start: datetime, end: datetime, provider_ids: list[int] | None = None
) -> QuerySet[Booking]:
    """Bookings that hold time (not cancelled) starting in [start, end), for calendar views."""
    qs = (
        Booking.objects.filter(business=business, start__gte=start, start__lt=end)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("service", "provider", "customer")
    )
    if provider_ids is not None:
        qs = qs.filter(provider_id__in=provider_ids)
    return qs.order_by("start", "pk")


def customer_changes(
    *, business: Business, since: datetime, limit: int = 20
) -> QuerySet[BookingEvent]:
    """Recent cancellations and reschedules made by customers themselves, newest first."""
    return (
        BookingEvent.objects.filter(
            business=business,
            actor_kind=BookingEvent.ActorKind.CUSTOMER,
            kind__in=(BookingEvent.Kind.CANCELLED, BookingEvent.Kind.RESCHEDULED),
            created_at__gte=since,
        )
        .select_related("booking", "booking__customer", "booking__service")
        .order_by("-created_at", "-pk")[:limit]
    )


def customer_search(*, business: Business, term: str, limit: int = 20) -> QuerySet[Customer]:
    """The business's customers whose name, email or phone contains ``term``."""
    qs = Customer.objects.filter(business=business)
    term = term.strip()
    if term:
        qs = qs.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(phone__icontains=term)
        )
    return qs.order_by("name", "pk")[:limit]


def rating_summary(*, business: Business) -> dict[str, Any]:
    """Average stars and counts per provider and per service, and the latest ratings."""
    ratings = Rating.objects.filter(business=business)
    by_provider = list(
        ratings.values("booking__provider_id", "booking__provider__name")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by("booking__provider__name")
    )
    by_service = list(
        ratings.values("booking__service_id", "booking__service__name")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by("booking__service__name")
    )
    overall = ratings.aggregate(average=Avg("stars"), count=Count("pk"))
    latest = ratings.select_related(
        "booking", "booking__customer", "booking__provider", "booking__service"
    ).order_by("-created_at", "-pk")[:20]
    return {
        "overall": overall,
        "by_provider": by_provider,
        "by_service": by_service,
        "latest": list(latest),
    }


_PAGE = sqlrows.Columns(BookingPage, "p")
_BUSINESS = sqlrows.Columns(Business, "b")
_SERVICE = sqlrows.Columns(Service, "s")


@functools.cache
def _public_page_sql() -> str:
    """An active page by its business's slug and its own, with the business and (when the
    page offers it, active) one service: one statement, written once (``core/sqlrows.py``)."""
    offered = sqlrows.link(BookingPage, "services")
    return (
        f"SELECT {_PAGE.select()}, {_BUSINESS.select()}, {_SERVICE.select()} "  # noqa: S608
        f"FROM {BookingPage._meta.db_table} p "
        f"INNER JOIN {Business._meta.db_table} b ON b.id = p.business_id "
        f"LEFT JOIN {offered.table} ps ON ps.{offered.own} = p.id AND ps.{offered.other} = %s "
        f"LEFT JOIN {Service._meta.db_table} s ON s.id = ps.{offered.other} "
        "AND s.business_id = p.business_id AND s.active = %s "
        "WHERE b.slug = %s AND p.slug = %s AND p.active = %s ORDER BY p.id LIMIT 1"
    )


def public_page_service(
    *, business_slug: str, page_slug: str, service_id: int | None
) -> tuple[BookingPage, Service | None]:
    """An active booking page by its business's slug and its own, for the public site, with
    ``page.business`` filled in; and the active service ``service_id`` when the page offers
    it (None otherwise). One statement: the hot path of every availability question."""
    with connection.cursor() as cursor:
        cursor.execute(_public_page_sql(), [service_id, True, business_slug, page_slug, True])
        row = cursor.fetchone()
    if row is None:
        raise errors.NotFound(_("This booking page is not available."))
    page = _PAGE.build(row, 0)
    business = _BUSINESS.build(row, _PAGE.width)
    service = _SERVICE.build(row, _PAGE.width + _BUSINESS.width)
    assert isinstance(page, BookingPage) and isinstance(business, Business)
    page.business = business
    if service is not None:
        service.business = business  # type: ignore[attr-defined]
    return page, service  # type: ignore[return-value]


def public_page_get(*, business_slug: str, page_slug: str) -> BookingPage:
    """An active booking page by its business's slug and its own, for the public site."""
    page, _service = public_page_service(
        business_slug=business_slug, page_slug=page_slug, service_id=None
    )
    return page


def page_services(*, page: BookingPage) -> list[Service]:
    """The active services a booking page offers, in name order (each with the page's
    business, not read again)."""
    with connection.cursor() as cursor:
        cursor.execute(_page_services_sql(), [page.pk, page.business_id, True])
        rows = cursor.fetchall()
    services = [_SERVICE.build(row, 0) for row in rows]
    for service in services:
        service.business = page.business  # type: ignore[union-attr]
    return services  # type: ignore[return-value]


@functools.cache
def _page_services_sql() -> str:
    """``page_services``, written by hand: every step of the booking page reads it (a day
    click too), and the ORM took longer to build it than the database to run it."""
    offered = sqlrows.link(BookingPage, "services")
    return (
        f"SELECT {_SERVICE.select()} FROM {Service._meta.db_table} s "  # noqa: S608
        f"INNER JOIN {offered.table} ps ON ps.{offered.other} = s.id AND ps.{offered.own} = %s "
        "WHERE s.business_id = %s AND s.active = %s ORDER BY s.name, s.id"
    )


def booking_rating(*, booking: Booking) -> Rating | None:
    """The customer's rating of ``booking``, if given."""
    return Rating.objects.filter(business_id=booking.business_id, booking=booking).first()


# --- reads for the JSON API (appended; the functions above are unchanged) -------------------


def booking_history(*, booking: Booking) -> QuerySet[BookingEvent]:
    """The booking's history, oldest first."""
    return BookingEvent.objects.filter(business_id=booking.business_id, booking=booking).order_by(
        "created_at", "pk"
    )


def booking_payments(*, booking: Booking) -> QuerySet[Payment]:
    """Payments and refunds recorded against the booking, oldest first."""
    return Payment.objects.filter(business_id=booking.business_id, booking=booking).order_by(
        "created_at", "pk"
    )


def page_providers(*, page: BookingPage) -> list[Provider]:
    """The active providers a booking page offers, in name order."""
    return list(
        page.providers.filter(business_id=page.business_id, active=True)
        .prefetch_related("services")
        .order_by("name", "pk")
    )


def page_service(*, page: BookingPage, service_id: int) -> Service | None:
    """One of ``page_services`` by id (one query), or None when the page does not offer it.
    (``public_page_service`` finds a page and its service together.)"""
    return page.services.filter(business_id=page.business_id, active=True, pk=service_id).first()


def page_provider(*, page: BookingPage, provider_id: int) -> Provider | None:
    """One of ``page_providers`` by id (one query), or None when the page does not offer it."""
    return page.providers.filter(business_id=page.business_id, active=True, pk=provider_id).first()


def reschedule_provider(*, booking: Booking, free_provider_ids: tuple[int, ...]) -> Provider:
    """Who takes a new time the customer picked: their own provider when free at it, else
    (where the booking page offers any provider) the first of the page's free providers."""
    page = booking.booking_page
    if booking.provider_id in free_provider_ids or not free_provider_ids:
        return booking.provider
    if page is None or not page.any_provider:
        return booking.provider
    found = loaders.providers_for(
        service=booking.service, page=page, provider_ids=free_provider_ids
    )
    return found[0] if found else booking.provider


# --- the self-service promise: what the customer may do, until when, and why not -------------


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one self-service action is not possible now: a stable code and a human message."""

    action: str
    code: str
    message: str
    #: The error the action would raise (the API answers with it).
    error: errors.DomainError = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SelfServiceStatus:
    """What a booking's customer may do online now, until when, and why not.

    The one answer every face reads (manage page, booking page, emails, API, backoffice):
    built from the same policy functions the actions check under their lock, so nothing
    shown is refused afterwards. ``deadline`` is an absolute instant (UTC); faces show it in
    their reader's zone.
    """

    #: What the policy offers at all (the page's settings or the booking's snapshot).
    offered: tuple[policy.Action, ...]
    #: What the customer may do now (a subset of ``offered``).
    allowed: tuple[policy.Action, ...]
    #: The last instant a change is allowed (by the policy's window, offered or not).
    deadline: datetime
    deadline_minutes: int
    #: One per action not allowed now, in the order cancel, reschedule.
    refusals: tuple[Refusal, ...]
    #: Online reschedules left under the policy's cap; None when there is no cap.
    reschedules_left: int | None
    #: Whose times a reschedule offers: a provider id, or None for any provider of the page.
    provider_scope: int | None
    #: True for a booking not made yet (a page and a prospective time).
    prospective: bool = False

    @property
    def can_cancel(self) -> bool:
        return policy.Action.CANCEL in self.allowed

    @property
    def can_reschedule(self) -> bool:
        return policy.Action.RESCHEDULE in self.allowed

    @property
    def any_allowed(self) -> bool:
        return bool(self.allowed)

    @property
    def is_offered(self) -> bool:
        return bool(self.offered)

    @property
    def allowed_codes(self) -> list[str]:
        return [str(a) for a in self.allowed]

    @property
    def deadline_is_start(self) -> bool:
        return self.deadline_minutes == 0

    @property
    def window_words(self) -> str:
        """The window in the one wording of durations ('24 hours', '7 days')."""
        return policy.describe_minutes(self.deadline_minutes)

    @property
    def reasons(self) -> list[str]:
        """The plain reasons to show for what is missing.

        "Never allowed" is left out when something else explains it, so a customer is not
        told about options never offered; when nothing is allowed and nothing else explains
        it, those are all there is to say.
        """
        explained = [r.message for r in self.refusals if r.code != errors.NotAllowed.code]
        if not self.allowed and not explained:
            explained = [r.message for r in self.refusals]
        return list(dict.fromkeys(explained))

    @property
    def cancel_refusal(self) -> str:
        """Why the customer may not cancel now ('' when they may)."""
        found = self.refusal(policy.Action.CANCEL)
        return found.message if found else ""

    @property
    def reschedule_refusal(self) -> str:
        """Why the customer may not reschedule now ('' when they may)."""
        found = self.refusal(policy.Action.RESCHEDULE)
        return found.message if found else ""

    def refusal(self, action: policy.Action) -> Refusal | None:
        return next((r for r in self.refusals if r.action == action), None)

    def promise(self, deadline_text: str) -> str:
        """The sentence a customer is told, given the deadline as the reader should see it.

        Empty when the policy offers nothing (say nothing about changes then).
        """
        if not self.offered:
            return ""
        if not self.allowed:
            if self.prospective and self.refusals:
                if self.deadline_is_start:
                    return str(_("Online changes won't be possible for this time."))
                return str(
                    _(
                        "Online changes won't be possible for this time "
                        "(it is less than %(window)s away)."
                    )
                    % {"window": self.window_words}
                )
            return " ".join(self.reasons)
        what = {
            (True, True): _("cancel or reschedule"),
            (True, False): _("cancel"),
            (False, True): _("reschedule"),
        }[(self.can_cancel, self.can_reschedule)]
        if self.deadline_is_start:
            return str(_("You can %(what)s online until the appointment starts.") % {"what": what})
        return str(
            _("You can %(what)s online until %(deadline)s.")
            % {"what": what, "deadline": deadline_text}
        )


def _status_of(
    facts: policy.BookingFacts, now: datetime, *, provider_scope: int | None, prospective: bool
) -> SelfServiceStatus:
    pol = facts.policy
    offered = tuple(
        a
        for a, on in (
            (policy.Action.CANCEL, pol.allow_cancel),
            (policy.Action.RESCHEDULE, pol.allow_reschedule),
        )
        if on
    )
    allowed: list[policy.Action] = []
    refusals: list[Refusal] = []
    for action in (policy.Action.CANCEL, policy.Action.RESCHEDULE):
        refusal = policy.customer_refusal(action, facts, now)
        if refusal is None:
            allowed.append(action)
        else:
            refusals.append(
                Refusal(
                    action=str(action), code=refusal.code, message=refusal.message, error=refusal
                )
            )
    left = (
        None
        if pol.max_reschedules is None
        else max(0, pol.max_reschedules - facts.reschedule_count)
    )
    return SelfServiceStatus(
        offered=offered,
        allowed=tuple(allowed),
        deadline=policy.change_deadline(facts),
        deadline_minutes=pol.change_deadline_minutes,
        refusals=tuple(refusals),
        reschedules_left=left,
        provider_scope=provider_scope,
        prospective=prospective,
    )


def reschedule_scope(
    booking: Booking, *, chosen_provider_id: int | None = None, chose_any: bool = False
) -> int | None:
    """Whose times a customer's reschedule offers: a provider id, or None for any provider.

    The booking keeps its provider unless it was made for "any provider" on a page that still
    offers it, or the customer chooses another provider (or "any") the page allows; a choice
    the page does not allow raises ``NotAllowed`` (``policy.reschedule_provider_scope``).
    """
    page = booking.booking_page
    return policy.reschedule_provider_scope(
        booking_provider_id=booking.provider_id,
        booked_any_provider=booking.booked_any_provider,
        page_any_provider=page is not None and page.any_provider,
        chosen_provider_id=chosen_provider_id,
        chose_any=chose_any,
    )


def self_service_status(
    booking: Booking, now: datetime, *, start: datetime | None = None
) -> SelfServiceStatus:
    """What the booking's customer may do online now, until when, and why not.

    ``start`` is the appointment time to judge by when it is not the booking's current one
    (an email tells the time of its own change).
    """
    facts = policy.BookingFacts(
        status=booking.status,
        start=start or booking.start,
        policy=booking.policy,
        reschedule_count=booking.reschedule_count,
    )
    return _status_of(facts, now, provider_scope=reschedule_scope(booking), prospective=False)


def self_service_preview(
    page: BookingPage, start: datetime, now: datetime, *, provider_id: int | None = None
) -> SelfServiceStatus:
    """What a customer booking ``start`` on ``page`` now would be allowed afterwards.

    Shown before they confirm and on the confirmation page: the same answer
    ``self_service_status`` gives for the booking once made.
    """
    facts = policy.BookingFacts(
        status=Booking.Status.CONFIRMED, start=start, policy=page.policy, reschedule_count=0
    )
    scope = None if page.any_provider else provider_id
    return _status_of(facts, now, provider_scope=scope, prospective=True)


def page_self_service_summary(page: BookingPage) -> str:
    """What a booking page says about changes before a time is chosen, from its settings.

    Empty when the page offers none (then nothing about changes is said at all).
    """
    pol = page.policy
    if not (pol.allow_cancel or pol.allow_reschedule):
        return ""
    what = {
        (True, True): _("cancel or reschedule"),
        (True, False): _("cancel"),
        (False, True): _("reschedule"),
    }[(pol.allow_cancel, pol.allow_reschedule)]
    if pol.change_deadline_minutes == 0:
        return str(
            _("You can %(what)s your booking online until the appointment starts.") % {"what": what}
        )
    return str(
        _("You can %(what)s your booking online up to %(window)s before the appointment.")
        % {"what": what, "window": policy.describe_minutes(pol.change_deadline_minutes)}
    )
