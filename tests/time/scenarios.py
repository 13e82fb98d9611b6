"""The businesses, clock changes and expected instants the time tests share.

Every expected instant below was worked out by hand from the 2030 rules of each zone, not
computed with the code under test:

- Europe/Berlin: 31 March 02:00 CET -> 03:00 CEST (01:00 UTC); 27 October 03:00 CEST ->
  02:00 CET (01:00 UTC).
- America/New_York: 10 March 02:00 EST -> 03:00 EDT (07:00 UTC); 3 November 02:00 EDT ->
  01:00 EST (06:00 UTC).
- Australia/Sydney (southern hemisphere, the other way round): 7 April 03:00 AEDT -> 02:00
  AEST (6 April 16:00 UTC); 6 October 02:00 AEST -> 03:00 AEDT (5 October 16:00 UTC).
- Australia/Lord_Howe (a half-hour change): 7 April 02:00 +11 -> 01:30 +10:30 (6 April
  15:00 UTC); 6 October 02:00 +10:30 -> 02:30 +11 (5 October 15:30 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slotwise.bookings import actions
from slotwise.bookings.models import Booking, BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core.models import Business
from tests import factories


def utc(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """An instant written in UTC, the way the expectations below are worked out."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


@dataclass(frozen=True)
class Shop:
    """A business in one zone: a day service (09-17) and two night services (00-06)."""

    business: Business
    service: Service
    night_service: Service
    night_hour: Service
    day_provider: Provider
    night_provider: Provider
    page: BookingPage


def build_shop(zone: str, slug: str = "tick") -> Shop:
    """A business in ``zone`` whose page lets customers cancel and reschedule up to 24 h before.

    The day provider works 09:00-17:00 every day; the night provider 00:00-06:00 every day,
    so the night of a clock change falls inside working hours. No buffers and no minimum
    notice, so the slots are exactly the working hours cut into 30-minute steps.
    """
    business = factories.make_business(slug, zone)
    service = factories.make_service(business, "Consultation", minutes=60)
    night_service = factories.make_service(business, "Night cleaning", minutes=180)
    night_hour = factories.make_service(business, "Night check", minutes=60)
    day_provider = factories.make_provider(business, "Alex", [service])
    night_provider = factories.make_provider(
        business, "Noor", [night_service, night_hour], hours=((time(0), time(6)),)
    )
    page = factories.make_page(
        business,
        [service, night_service, night_hour],
        [day_provider, night_provider],
        allow_cancel=True,
        allow_reschedule=True,
        change_deadline_minutes=24 * 60,
        slot_step_minutes=30,
        max_days_ahead=365,
        any_provider=False,
    )
    return Shop(business, service, night_service, night_hour, day_provider, night_provider, page)


def book_web(
    shop: Shop,
    *,
    start: datetime,
    customer_zone: str,
    service: Service | None = None,
    provider: Provider | None = None,
    email: str = "robin@example.test",
    now: datetime | None = None,
) -> tuple[Booking, str]:
    """A web booking made a week ahead by a customer living in ``customer_zone``."""
    return actions.booking_create_web(
        page=shop.page,
        service=service or shop.service,
        provider=provider or shop.day_provider,
        start=start,
        customer=actions.CustomerDetails(name="Robin", email=email, timezone=customer_zone),
        now=now or start - timedelta(days=7),
    )


@dataclass(frozen=True)
class DeadlineCase:
    """An appointment whose change window spans a clock change, and where it closes."""

    id: str
    zone: str
    start_local: datetime  # naive wall-clock time in ``zone``
    start_utc: datetime
    deadline_utc: datetime
    #: How the API states the deadline (ISO 8601 in the business's zone).
    deadline_api: str
    #: Wall-clock hours between the deadline and the start: not the window's real length.
    local_hours: float
    customer_zone: str
    #: The deadline as the manage page and the emails show it to this customer.
    deadline_for_customer: str
    #: The appointment as the customer's emails show it.
    when_for_customer: str
    #: The appointment as staff emails show it (the business's zone, named).
    when_for_staff: str
    minutes: int = 24 * 60
    window_words: str = "24 hours"

    @property
    def start(self) -> datetime:
        return self.start_local.replace(tzinfo=ZoneInfo(self.zone))


DEADLINE_CASES = [
    DeadlineCase(
        id="berlin-spring-forward",
        zone="Europe/Berlin",
        start_local=datetime(2030, 3, 31, 9, 0),
        start_utc=utc(2030, 3, 31, 7),
        deadline_utc=utc(2030, 3, 30, 7),
        deadline_api="2030-03-30T08:00:00+01:00",
        local_hours=25,
        customer_zone="America/New_York",
        deadline_for_customer="Saturday, 30 March 2030, 03:00 (America/New_York, EDT)",
        when_for_customer="Sunday, 31 March 2030, 03:00 – 04:00 (America/New_York, EDT)",
        when_for_staff="Sunday, 31 March 2030, 09:00 – 10:00 (Europe/Berlin, CEST)",
    ),
    DeadlineCase(
        id="berlin-fall-back",
        zone="Europe/Berlin",
        start_local=datetime(2030, 10, 27, 9, 0),
        start_utc=utc(2030, 10, 27, 8),
        deadline_utc=utc(2030, 10, 26, 8),
        deadline_api="2030-10-26T10:00:00+02:00",
        local_hours=23,
        customer_zone="America/New_York",
        deadline_for_customer="Saturday, 26 October 2030, 04:00 (America/New_York, EDT)",
        when_for_customer="Sunday, 27 October 2030, 04:00 – 05:00 (America/New_York, EDT)",
        when_for_staff="Sunday, 27 October 2030, 09:00 – 10:00 (Europe/Berlin, CET)",
    ),
    DeadlineCase(
        id="new-york-spring-forward",
        zone="America/New_York",
        start_local=datetime(2030, 3, 10, 9, 0),
        start_utc=utc(2030, 3, 10, 13),
        deadline_utc=utc(2030, 3, 9, 13),
        deadline_api="2030-03-09T08:00:00-05:00",
        local_hours=25,
        customer_zone="Europe/Berlin",
        deadline_for_customer="Saturday, 9 March 2030, 14:00 (Europe/Berlin, CET)",
        when_for_customer="Sunday, 10 March 2030, 14:00 – 15:00 (Europe/Berlin, CET)",
        when_for_staff="Sunday, 10 March 2030, 09:00 – 10:00 (America/New_York, EDT)",
    ),
    DeadlineCase(
        id="new-york-fall-back",
        zone="America/New_York",
        start_local=datetime(2030, 11, 3, 9, 0),
        start_utc=utc(2030, 11, 3, 14),
        deadline_utc=utc(2030, 11, 2, 14),
        deadline_api="2030-11-02T10:00:00-04:00",
        local_hours=23,
        customer_zone="Europe/Berlin",
        deadline_for_customer="Saturday, 2 November 2030, 15:00 (Europe/Berlin, CET)",
        when_for_customer="Sunday, 3 November 2030, 15:00 – 16:00 (Europe/Berlin, CET)",
        when_for_staff="Sunday, 3 November 2030, 09:00 – 10:00 (America/New_York, EST)",
    ),
    DeadlineCase(
        id="sydney-fall-back-april",
        zone="Australia/Sydney",
        start_local=datetime(2030, 4, 7, 9, 0),
        start_utc=utc(2030, 4, 6, 23),
        deadline_utc=utc(2030, 4, 5, 23),
        deadline_api="2030-04-06T10:00:00+11:00",
        local_hours=23,
        customer_zone="Europe/London",
        deadline_for_customer="Saturday, 6 April 2030, 00:00 (Europe/London, BST)",
        when_for_customer="Sunday, 7 April 2030, 00:00 – 01:00 (Europe/London, BST)",
        when_for_staff="Sunday, 7 April 2030, 09:00 – 10:00 (Australia/Sydney, AEST)",
    ),
    DeadlineCase(
        id="sydney-spring-forward-october",
        zone="Australia/Sydney",
        start_local=datetime(2030, 10, 6, 9, 0),
        start_utc=utc(2030, 10, 5, 22),
        deadline_utc=utc(2030, 10, 4, 22),
        deadline_api="2030-10-05T08:00:00+10:00",
        local_hours=25,
        customer_zone="Europe/London",
        deadline_for_customer="Friday, 4 October 2030, 23:00 (Europe/London, BST)",
        when_for_customer=(
            "Saturday, 5 October 2030, 23:00 – Sunday, 6 October 2030, 00:00 (Europe/London, BST)"
        ),
        when_for_staff="Sunday, 6 October 2030, 09:00 – 10:00 (Australia/Sydney, AEDT)",
    ),
    DeadlineCase(
        id="lord-howe-half-hour-back",
        zone="Australia/Lord_Howe",
        start_local=datetime(2030, 4, 7, 9, 0),
        start_utc=utc(2030, 4, 6, 22, 30),
        deadline_utc=utc(2030, 4, 5, 22, 30),
        deadline_api="2030-04-06T09:30:00+11:00",
        local_hours=23.5,
        customer_zone="Asia/Kolkata",
        deadline_for_customer="Saturday, 6 April 2030, 04:00 (Asia/Kolkata, IST)",
        when_for_customer="Sunday, 7 April 2030, 04:00 – 05:00 (Asia/Kolkata, IST)",
        when_for_staff="Sunday, 7 April 2030, 09:00 – 10:00 (Australia/Lord_Howe, UTC+10:30)",
    ),
    DeadlineCase(
        id="lord-howe-half-hour-forward",
        zone="Australia/Lord_Howe",
        start_local=datetime(2030, 10, 6, 9, 0),
        start_utc=utc(2030, 10, 5, 22),
        deadline_utc=utc(2030, 10, 4, 22),
        deadline_api="2030-10-05T08:30:00+10:30",
        local_hours=24.5,
        customer_zone="Asia/Kolkata",
        deadline_for_customer="Saturday, 5 October 2030, 03:30 (Asia/Kolkata, IST)",
        when_for_customer="Sunday, 6 October 2030, 03:30 – 04:30 (Asia/Kolkata, IST)",
        when_for_staff="Sunday, 6 October 2030, 09:00 – 10:00 (Australia/Lord_Howe, UTC+11:00)",
    ),
    DeadlineCase(
        # Monday after the change with a 48-hour window: it closes on Saturday, before the
        # change night, at 08:00 on the clock (not 09:00).
        id="berlin-monday-48h",
        zone="Europe/Berlin",
        start_local=datetime(2030, 4, 1, 9, 0),
        start_utc=utc(2030, 4, 1, 7),
        deadline_utc=utc(2030, 3, 30, 7),
        deadline_api="2030-03-30T08:00:00+01:00",
        local_hours=49,
        customer_zone="Australia/Sydney",
        deadline_for_customer="Saturday, 30 March 2030, 18:00 (Australia/Sydney, AEDT)",
        when_for_customer="Monday, 1 April 2030, 18:00 – 19:00 (Australia/Sydney, AEDT)",
        when_for_staff="Monday, 1 April 2030, 09:00 – 10:00 (Europe/Berlin, CEST)",
        minutes=48 * 60,
        window_words="48 hours",
    ),
]

#: The 24-hour cases: their reminder (24 hours before, the default rule) is due at the deadline.
DAY_CASES = [c for c in DEADLINE_CASES if c.minutes == 24 * 60]
