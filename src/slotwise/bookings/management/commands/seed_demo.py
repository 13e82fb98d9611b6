"""``manage.py seed_demo``: a demo business to explore, created once (running it again is safe)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingPage, Rating
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.calendars import feeds
from slotwise.catalog.models import Customer, Provider, Service, TimeOff, WorkingHours
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.core.models import Business, Membership
from slotwise.core.services import business_create

# The demo seeds every app's data, delivery's included (an allowed exception to the layering,
# see [tool.importlinter] in pyproject.toml).
from slotwise.notifications.models import Message, ReminderRule

SLUG = "demo-salon"
#: The demo's booking page (the front page links to it when the demo is there).
PAGE_SLUG = "online"
OWNER_EMAIL = "owner@demo-salon.example"
OWNER_PASSWORD = "demo-owner-pass"  # demo only; printed on start
STAFF_EMAIL = "desk@demo-salon.example"
STAFF_PASSWORD = "demo-desk-pass"

CUSTOMERS = [
    ("Maria Schmidt", "maria.schmidt@example.com", "+49 30 5550101", "Europe/Berlin"),
    ("James Carter", "james.carter@example.com", "+44 20 7946 0011", "Europe/London"),
    ("Aiko Tanaka", "aiko.tanaka@example.com", "+49 30 5550102", "Europe/Berlin"),
    ("Lucas Moreau", "lucas.moreau@example.com", "+33 1 555 0103", "Europe/Paris"),
    ("Sofia Rossi", "sofia.rossi@example.com", "+49 30 5550104", "Europe/Berlin"),
    ("Noah Williams", "noah.williams@example.com", "+1 212 555 0105", "America/New_York"),
    ("Emma Becker", "emma.becker@example.com", "+49 30 5550106", "Europe/Berlin"),
    ("Oliver Novak", "oliver.novak@example.com", "+420 555 0107", "Europe/Prague"),
]


class Command(BaseCommand):
    help = "Create the demo business (services, providers, a booking page, bookings)."

    def handle(self, *args: Any, **options: Any) -> None:
        business = Business.objects.filter(slug=SLUG).first()
        feed_line = "  calendar feed: made on the first run; make a new one in the backoffice"
        if business is None:
            business = self._create()
            self.stdout.write(self.style.SUCCESS("Demo data created."))
            # A provider's secret calendar feed (docs/calendars.md); its address is shown once.
            provider = business.providers.order_by("pk").first()
            if provider is not None:
                feed = feeds.feed_create(business=business, provider_id=provider.pk, now=utcnow())
                feed_line = f"  calendar feed: {feed.url} ({provider.name})"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Demo business: {business.name}",
                    f"  backoffice:    {settings.SITE_URL}/backoffice/",
                    f"  owner login:   {OWNER_EMAIL} / {OWNER_PASSWORD}",
                    f"  staff login:   {STAFF_EMAIL} / {STAFF_PASSWORD}",
                    f"  booking page:  {settings.SITE_URL}/book/{SLUG}/online/",
                    f"  API docs:      {settings.SITE_URL}/api/v1/docs",
                    feed_line,
                    "",
                ]
            )
        )

    def _create(self) -> Business:
        business, _ = business_create(
            slug=SLUG,
            name="Demo Salon",
            timezone="Europe/Berlin",
            owner_email=OWNER_EMAIL,
            owner_password=OWNER_PASSWORD,
            contact_email="hello@demo-salon.example",
            phone="+49 30 5550100",
        )
        business.address = "Torstraße 1, 10119 Berlin"
        business.save(update_fields=["address"])
        ReminderRule.objects.create(business=business, minutes_before=120)
        user = get_user_model().objects.create_user(
            username=STAFF_EMAIL,
            email=STAFF_EMAIL,
            password=STAFF_PASSWORD,
            first_name="Front",
            last_name="Desk",
        )
        Membership.objects.create(business=business, user=user, role=Membership.Role.STAFF)

        def service(name: str, minutes: int, price: str, after: int = 0) -> Service:
            return Service.objects.create(
                business=business,
                name=name,
                duration_minutes=minutes,
                price=Decimal(price),
                currency="EUR",
                buffer_after_minutes=after,
            )

        cut = service("Haircut", 45, "38.00", 15)
        colour = service("Colour", 90, "85.00", 15)
        beard = service("Beard trim", 30, "20.00")
        team = [
            (
                "Anna Keller",
                [cut, colour],
                range(0, 5),
                ((time(9), time(13)), (time(14), time(18))),
            ),
            ("Ben Okafor", [cut, beard], range(1, 6), ((time(10), time(19)),)),
            ("Chloe Martin", [cut, colour, beard], range(0, 4), ((time(8), time(16)),)),
        ]
        providers = []
        for name, services, days, hours in team:
            p = Provider.objects.create(
                business=business,
                name=name,
                email=name.split()[0].lower() + "@demo-salon.example",
            )
            p.services.set(services)
            WorkingHours.objects.bulk_create(
                WorkingHours(provider=p, weekday=d, start=s, end=e) for d in days for s, e in hours
            )
            providers.append(p)
        page = BookingPage.objects.create(
            business=business,
            slug=PAGE_SLUG,
            title="Book an appointment",
            # What customers may change online is said from the page's settings, not here.
            intro="Pick a service and a time that suits you.",
            min_notice_minutes=120,
            max_days_ahead=60,
            slot_step_minutes=15,
            allow_cancel=True,
            allow_reschedule=True,
            change_deadline_minutes=24 * 60,
            max_reschedules=2,
        )
        page.services.set([cut, colour, beard])
        page.providers.set(providers)
        now = utcnow()
        tz = business.tz
        TimeOff.objects.create(
            provider=providers[0],
            start=datetime.combine(now.astimezone(tz).date() + timedelta(days=10), time(0), tz),
            end=datetime.combine(now.astimezone(tz).date() + timedelta(days=13), time(0), tz),
            reason="Holiday",
        )
        customers = [
            Customer.objects.create(business=business, name=n, email=e, phone=ph, timezone=z)
            for n, e, ph, z in CUSTOMERS
        ]
        self._bookings(business, customers, providers, page, now)
        return business

    def _bookings(
        self,
        business: Business,
        customers: list[Customer],
        providers: list[Provider],
        page: BookingPage,
        now: datetime,
    ) -> None:
        """About three weeks of bookings around today; a few past ones completed."""
        rng = random.Random(7)  # the same demo every time
        tz = business.tz
        today = now.astimezone(tz).date()
        staff = Actor.system("demo data")
        created = 0
        for offset in range(-7, 21):
            day = today + timedelta(days=offset)
            for _ in range(rng.randint(2, 5)):
                provider = rng.choice(providers)
                service = rng.choice(list(provider.services.all()))
                start = datetime.combine(
                    day, time(rng.randint(9, 16), rng.choice([0, 15, 30, 45])), tz
                )
                past = start < now
                booking_now = start - timedelta(days=3) if past else now
                try:
                    if rng.random() < 0.5:
                        booking, _ = actions.booking_create_web(
                            page=page,
                            service=service,
                            provider=provider,
                            start=start,
                            customer=_details(rng.choice(customers)),
                            now=booking_now,
                        )
                    else:
                        booking = actions.booking_create_custom(
                            business=business,
                            actor=staff,
                            customer=rng.choice(customers),
                            service=service,
                            provider=provider,
                            start=start,
                            now=booking_now,
                            policy=SelfServicePolicy(
                                allow_cancel=True,
                                allow_reschedule=rng.random() < 0.5,
                                change_deadline_minutes=rng.choice([120, 1440]),
                            )
                            if rng.random() < 0.6
                            else SelfServicePolicy.off(),
                            notify_customer=False,
                        )
                except errors.DomainError:
                    continue  # the random pick was not free; skip it
                created += 1
                if past and booking.end < now:
                    closer = (
                        actions.booking_mark_no_show
                        if rng.random() < 0.08
                        else actions.booking_complete
                    )
                    closer(booking_id=booking.pk, actor=staff, now=booking.end)
                    if closer is actions.booking_complete and rng.random() < 0.75:
                        stars, comment = rng.choice(DEMO_RATINGS)
                        actions.booking_rate(
                            booking_id=booking.pk,
                            stars=stars,
                            comment=comment,
                            now=booking.end + timedelta(hours=3),
                        )
                elif (
                    not past
                    and rng.random() < 0.15
                    and booking.allow_cancel
                    and booking.change_deadline > now
                ):
                    actions.booking_cancel(
                        booking_id=booking.pk,
                        actor=Actor.customer(booking.customer.name),
                        now=now,
                        reason="Plans changed",
                    )
        self._replies(business, now)
        # Demo data should not flood a real mailbox: nothing queued while seeding is sent.
        Message.objects.filter(business=business).exclude(kind=Message.Kind.REMINDER).update(
            status=Message.Status.CANCELLED, last_error="demo data"
        )
        self.stdout.write(
            f"{created} demo bookings, {Booking.objects.filter(business=business).count()} in all."
        )

    def _replies(self, business: Business, now: datetime) -> None:
        """The demo shows its ratings, with the business's reply to the lowest one."""
        actions.reviews_settings_update(business=business, show_on_pages=True)
        lowest = Rating.objects.filter(business=business).exclude(comment="").order_by("stars")
        if lowest.exists():
            actions.rating_reply(
                business=business,
                rating_id=lowest[0].pk,
                text="Thank you for telling us. We have talked it through as a team; "
                "please ask for Anna next time, the first coffee is on us.",
                actor=Actor.api("demo data"),
                now=now,
            )


#: Stars and comments of the demo's ratings (some without a comment, as in life).
DEMO_RATINGS = [
    (5, "Lovely cut, and Anna listened to exactly what I wanted."),
    (5, ""),
    (4, "Great result. I waited ten minutes past my time, though."),
    (5, "Friendly, quick and the colour came out perfect."),
    (3, "Fine, but it felt rushed at the end."),
    (4, ""),
    (5, "Best beard trim in the neighbourhood."),
    (2, "The colour was lighter than we agreed."),
]


def _details(customer: Customer) -> actions.CustomerDetails:
    return actions.CustomerDetails(customer.name, customer.email, customer.phone, customer.timezone)
