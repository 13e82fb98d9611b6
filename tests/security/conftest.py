"""Two businesses with one of everything, and a snapshot of every row to prove nothing moved.

Business A ("acme") is the one making requests: its owner in the backoffice, its key in the
API. Business B ("globex") owns the objects whose ids, references and tokens are put into
the URLs. A request as A may never read or change anything of B.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from slotwise.api.models import ApiKey
from slotwise.api.services import webhook_endpoint_create
from slotwise.bookings import actions
from slotwise.bookings.actions.waitlist import waitlist_join
from slotwise.bookings.models import Booking, BookingPage, BookingToken, Rating, WaitlistEntry
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.calendars.models import (
    BusyInterval,
    CalendarConflict,
    CalendarConnection,
    RemoteCalendar,
)
from slotwise.catalog.models import TimeOff
from slotwise.core.api_keys import api_key_create
from slotwise.core.clock import utcnow
from slotwise.core.models import Invitation, Membership
from slotwise.core.services import invitation_create
from slotwise.notifications.models import ReminderRule, WebhookEndpoint
from tests import factories
from tests.conftest import World
from tests.support.limits import forget_limits

#: The apps whose rows belong to businesses (plus auth, for users and their passwords).
TENANT_APPS = ("core", "catalog", "bookings", "notifications", "api", "calendars", "auth")


@dataclass
class Tenant:
    """One business's world plus the objects the URL patterns can point at."""

    world: World
    booking: Booking
    manage_token: str
    rate_token: str
    time_off: TimeOff
    reminder_rule: ReminderRule
    membership: Membership
    invitation: Invitation
    api_key: ApiKey
    api_key_raw: str
    webhook: WebhookEndpoint
    waitlist_entry: WaitlistEntry
    rating: Rating
    calendar_conflict: CalendarConflict
    calendar_connection: CalendarConnection
    remote_calendar: RemoteCalendar


def build_tenant(world: World) -> Tenant:
    """Give ``world``'s business a booking with links, time off, a key and a webhook."""
    business = world.business
    now = utcnow()
    start = (now + timedelta(days=21)).astimezone(business.tz)
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    booking = factories.custom_booking(
        business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        policy=SelfServicePolicy(
            allow_cancel=True,
            allow_reschedule=True,
            change_deadline_minutes=60,
            max_reschedules=None,
        ),
        now=now,
    )
    manage_token = actions.token_issue(
        booking=booking, purpose=BookingToken.Purpose.MANAGE, now=now
    )
    rate_token = actions.token_issue(booking=booking, purpose=BookingToken.Purpose.RATE, now=now)
    time_off = TimeOff.objects.create(
        provider=world.alex,
        start=start + timedelta(days=2),
        end=start + timedelta(days=2, hours=2),
        reason="Dentist",
    )
    owner = Membership.objects.get(business=business, role=Membership.Role.OWNER)
    invitation, _raw = invitation_create(
        business=business, actor=owner, email=f"new@{business.slug}.test", role="staff", now=now
    )
    key, raw = api_key_create(business=business, name="Integration", now=now)
    webhook = webhook_endpoint_create(
        business=business,
        url=f"https://hooks.{business.slug}.example/slotwise",
        events=["booking.created"],
        now=now,
    )
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    day = start.date() + timedelta(days=1)
    waitlist_entry = waitlist_join(
        page=world.page,
        service_id=world.service.pk,
        provider_id=None,
        windows=[{"start": day.isoformat(), "end": day.isoformat()}],
        customer=actions.CustomerDetails(name="Wait Ing", email=f"wait@{business.slug}.test"),
        now=now,
    ).entry
    # A past visit, completed and rated with a comment (so a leaked hide or reply would work).
    visit = (now - timedelta(days=10)).astimezone(business.tz)
    rating = factories.rated_booking(
        business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=visit.replace(hour=10, minute=0, second=0, microsecond=0),
        stars=2,
        comment="Too slow",
    )
    calendar_conflict = CalendarConflict.objects.create(
        business=business,
        booking=booking,
        slotwise_start=booking.start,
        slotwise_end=booking.end,
        detected_at=now,
    )
    # Made directly (connecting would ask a server): an ICS address with one busy time.
    connection = CalendarConnection.objects.create(
        business=business,
        provider=world.alex,
        kind=CalendarConnection.Kind.ICS,
        url=f"https://calendar.{business.slug}.example/private.ics",
        last_synced_at=now,
        next_sync_at=now + timedelta(days=365),
    )
    remote_calendar = RemoteCalendar.objects.create(
        connection=connection, provider=world.alex, url=connection.url, name="Private"
    )
    BusyInterval.objects.create(
        business=business,
        provider=world.alex,
        remote_calendar=remote_calendar,
        start=start + timedelta(days=3),
        end=start + timedelta(days=3, hours=1),
        uid="dentist",
    )
    return Tenant(
        world=world,
        booking=booking,
        manage_token=manage_token,
        rate_token=rate_token,
        time_off=time_off,
        reminder_rule=business.reminder_rules.get(),
        membership=owner,
        invitation=invitation,
        api_key=key,
        api_key_raw=raw,
        webhook=webhook,
        waitlist_entry=waitlist_entry,
        rating=rating,
        calendar_conflict=calendar_conflict,
        calendar_connection=connection,
        remote_calendar=remote_calendar,
    )


@pytest.fixture
def ours(world: World) -> Tenant:
    """Business A: the one whose owner and key make the requests."""
    return build_tenant(world)


@pytest.fixture
def theirs(other_world: World) -> Tenant:
    """Business B: the one whose objects must stay out of A's reach."""
    return build_tenant(other_world)


@pytest.fixture
def owner_client(ours: Tenant) -> Client:
    """A's owner, signed in to the backoffice."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="owner@acme.test"))
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Argon2 is deliberately slow; nothing here is about how passwords are hashed."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_rate_limits(db: None) -> Iterator[None]:
    forget_limits()
    yield
    forget_limits()


#: Columns that change on every authenticated request by design (not data of the business).
VOLATILE = {("core", "apikey"): {"last_used_at"}, ("auth", "user"): {"last_login"}}
#: Tables that are not data of any business: the rate-limit counts, which every request adds to.
NOT_TENANT_DATA = {("core", "ratecounter")}


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every tenant model (many-to-many tables included), ordered by key."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for label in TENANT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if (model._meta.app_label, model._meta.model_name) in NOT_TENANT_DATA:
                continue
            skip = VOLATILE.get((model._meta.app_label, model._meta.model_name), set())
            fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
            values = model._default_manager.order_by("pk").values(*fields)
            rows[model._meta.label] = [_plain(v) for v in values]
    return rows


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def assert_unchanged(before: dict[str, list[dict[str, Any]]]) -> None:
    """Fail with the first table whose rows differ from ``before``."""
    after = snapshot()
    for label, rows in before.items():
        assert after[label] == rows, f"{label} changed"
