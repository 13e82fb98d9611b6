"""Request and response shapes of API v1 (they are the OpenAPI description).

Inputs refuse unknown fields, strings with NUL characters and times without an offset, so bad
input is a 422 before any code runs. PATCH shapes default every field to "not given": a field
that is sent must be valid (null is not a value for it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from annotated_types import GroupedMetadata
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from slotwise.core import validators, web
from slotwise.notifications.models import WEBHOOK_EVENTS

# --- building blocks --------------------------------------------------------------------------

#: Ids are positive and fit in a JSON number without loss.
Id = Annotated[int, Field(ge=1, le=2**53)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("This text must not contain NUL characters."))
    return value


def _sane_instant(value: datetime) -> datetime:
    # Far-away years overflow when converted between zones; nobody books them.
    if value.year not in web.YEARS:
        raise ValueError(
            _("Give a year from %(first)s to %(last)s.")
            % {"first": web.YEARS[0], "last": web.YEARS[-1]}
        )
    return value


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """A string of at most ``max_length`` characters, no NUL: ``Annotated[str, Text(200)]``.

    Pydantic unpacks grouped metadata, so the OpenAPI description and the checks are those
    of the constraints listed in ``__iter__``.
    """

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(max_length=self.max_length, min_length=self.min_length)
        yield AfterValidator(_no_nul)


def _django_rule(rule: Callable[[str], str]) -> AfterValidator:
    """A core/validators.py rule as a pydantic validator (its refusal becomes a 422)."""

    def check(value: str) -> str:
        try:
            return rule(value)
        except DjangoValidationError as exc:
            raise ValueError(" ".join(str(m) for m in exc.messages)) from None

    return AfterValidator(check)


@dataclass(frozen=True)
class Line(GroupedMetadata):
    """One line of text (a name, a phone): no control characters, no line breaks."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(max_length=self.max_length, min_length=self.min_length)
        yield _django_rule(validators.validate_line)


@dataclass(frozen=True)
class Note(GroupedMetadata):
    """Free text (notes, a reason): line breaks allowed, other control characters not."""

    max_length: int

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(max_length=self.max_length)
        yield _django_rule(validators.validate_text)


def absent(**constraints: Any) -> Any:
    """The default of a PATCH field: "not given". None is deliberately outside the field's
    type, so a client that sends null is refused (the OpenAPI type has no null either)."""
    return Field(None, **constraints)


#: One email address, by the same rule as every form (see docs/api.md).
Email = Annotated[
    str,
    StringConstraints(max_length=validators.EMAIL_MAX_LENGTH, min_length=3),
    _django_rule(validators.validate_email_address),
]
#: The same, or empty (a provider without an address).
OptionalEmail = Annotated[
    str,
    StringConstraints(max_length=validators.EMAIL_MAX_LENGTH),
    _django_rule(lambda v: validators.validate_email_address(v) if v.strip() else ""),
]

#: An ISO 8601 instant with an offset (``2030-06-03T09:00:00+02:00`` or ``…Z``).
Instant = Annotated[AwareDatetime, AfterValidator(_sane_instant)]
Money = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Minutes = Annotated[int, Field(ge=0, le=525_600)]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
BookingStatus = Literal["confirmed", "cancelled", "completed", "no_show"]
PaymentMethod = Literal["cash", "card", "transfer", "online", "other"]
PaymentStatus = Literal["paid", "refunded", "pending"]
WebhookEvent = Literal[
    "booking.created",
    "booking.rescheduled",
    "booking.cancelled",
    "booking.completed",
    "waitlist.offered",
    "waitlist.accepted",
]
# Spelled out for the type checker; the model's list stays the one source.
assert get_args(WebhookEvent) == WEBHOOK_EVENTS, "WebhookEvent differs from WEBHOOK_EVENTS"


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class ListOut(Schema):
    count: int


# --- errors are in errors.py (ErrorOut) ---------------------------------------------------------


# --- services ---------------------------------------------------------------------------------


class ServiceIn(In):
    name: Annotated[str, Text(200, 1)]
    description: Annotated[str, Text(5000)] = ""
    duration_minutes: int = Field(ge=5, le=1440)
    price: Money = Decimal("0")
    currency: Currency | None = None
    buffer_before_minutes: int = Field(0, ge=0, le=1440)
    buffer_after_minutes: int = Field(0, ge=0, le=1440)
    active: bool = True


class ServicePatch(In):
    name: Annotated[str, Text(200, 1)] = absent()
    description: Annotated[str, Text(5000)] = absent()
    duration_minutes: int = absent(ge=5, le=1440)
    price: Money = absent()
    currency: Currency = absent()
    buffer_before_minutes: int = absent(ge=0, le=1440)
    buffer_after_minutes: int = absent(ge=0, le=1440)
    active: bool = absent()


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    duration_minutes: int
    price: str = Field(description="A decimal string, e.g. '40.00'.")
    currency: str
    buffer_before_minutes: int
    buffer_after_minutes: int
    active: bool


class ServiceList(ListOut):
    items: list[ServiceOut]


# --- providers --------------------------------------------------------------------------------


class WorkingHoursIn(In):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    start: Clock = Field(description="HH:MM in the business's time zone.")
    end: Clock = Field(description="HH:MM, after start; 24:00 is the end of the day.")


class WorkingHoursOut(Schema):
    weekday: int
    start: str
    end: str


class ProviderIn(In):
    name: Annotated[str, Line(200, 1)]
    email: OptionalEmail = ""
    phone: Annotated[str, Line(40)] = ""
    working_hours: list[WorkingHoursIn] = Field(default_factory=list, max_length=100)
    service_ids: list[Id] = Field(default_factory=list, max_length=500)
    active: bool = True
    receives_notifications: bool = True


class ProviderPatch(In):
    name: Annotated[str, Line(200, 1)] = absent()
    email: OptionalEmail = absent()
    phone: Annotated[str, Line(40)] = absent()
    working_hours: list[WorkingHoursIn] = absent(max_length=100)
    service_ids: list[Id] = absent(max_length=500)
    active: bool = absent()
    receives_notifications: bool = absent()


class ProviderOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    working_hours: list[WorkingHoursOut]
    service_ids: list[int]
    active: bool
    receives_notifications: bool


class ProviderList(ListOut):
    items: list[ProviderOut]


class TimeOffIn(In):
    start: Instant
    end: Instant
    reason: Annotated[str, Text(200)] = ""


class TimeOffOut(Schema):
    id: int
    start: datetime
    end: datetime
    reason: str


class TimeOffList(ListOut):
    items: list[TimeOffOut]


# --- customers --------------------------------------------------------------------------------


class CustomerIn(In):
    name: Annotated[str, Line(200, 1)]
    email: Email
    phone: Annotated[str, Line(40)] = ""
    timezone: Annotated[str, Line(64)] = Field(
        "", description="IANA zone, e.g. Europe/Berlin; empty = unknown."
    )
    language: Annotated[str, Line(10)] = Field(
        "",
        description="The language the customer reads: one of en, de, fr, es, nl, fi, "
        "optionally with a region (en-US); empty = unknown (the business's default is used).",
    )


class CustomerPatch(In):
    name: Annotated[str, Line(200, 1)] = absent()
    email: Email = absent()
    phone: Annotated[str, Line(40)] = absent()
    timezone: Annotated[str, Line(64)] = absent()
    language: Annotated[str, Line(10)] = absent()


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    timezone: str
    language: str
    created_at: datetime


class CustomerList(ListOut):
    items: list[CustomerOut]


# --- self-service policy ----------------------------------------------------------------------


class SelfServiceIn(In):
    allow_cancel: bool = False
    allow_reschedule: bool = False
    change_deadline_minutes: Minutes = Field(
        default=1440, description="Latest change time: minutes before the start."
    )
    max_reschedules: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="How often the customer may reschedule; null = no cap.",
    )


def _no_self_service() -> SelfServiceIn:
    """The default: no changes by the customer."""
    return SelfServiceIn()


class SelfServiceOut(Schema):
    allow_cancel: bool
    allow_reschedule: bool
    change_deadline_minutes: int
    max_reschedules: int | None


# --- booking pages ----------------------------------------------------------------------------


class BookingPageIn(In):
    slug: Slug
    title: Annotated[str, Text(200, 1)]
    intro: Annotated[str, Text(5000)] = ""
    service_ids: list[Id] = Field(default_factory=list, max_length=500)
    provider_ids: list[Id] = Field(default_factory=list, max_length=500)
    any_provider: bool = True
    min_notice_minutes: Minutes = 120
    max_days_ahead: int = Field(60, ge=1, le=730)
    slot_step_minutes: int = Field(30, ge=5, le=240)
    self_service: SelfServiceIn = Field(default_factory=_no_self_service)
    active: bool = True
    waitlist: bool = Field(False, description="Customers may join a waitlist on the page.")


class BookingPagePatch(In):
    slug: Slug = absent()
    title: Annotated[str, Text(200, 1)] = absent()
    intro: Annotated[str, Text(5000)] = absent()
    service_ids: list[Id] = absent(max_length=500)
    provider_ids: list[Id] = absent(max_length=500)
    any_provider: bool = absent()
    min_notice_minutes: Minutes = absent()
    max_days_ahead: int = absent(ge=1, le=730)
    slot_step_minutes: int = absent(ge=5, le=240)
    self_service: SelfServiceIn = absent(
        description="Applies to bookings made from now on; earlier bookings keep theirs.",
    )
    active: bool = absent()
    waitlist: bool = absent()


class BookingPageOut(Schema):
    id: int
    slug: str
    title: str
    intro: str
    service_ids: list[int]
    provider_ids: list[int]
    any_provider: bool
    min_notice_minutes: int
    max_days_ahead: int
    slot_step_minutes: int
    self_service: SelfServiceOut
    active: bool
    waitlist: bool


class BookingPageList(ListOut):
    items: list[BookingPageOut]


# --- settings ---------------------------------------------------------------------------------


class NotificationSettingsOut(Schema):
    provider_on_created: bool
    provider_on_rescheduled: bool
    provider_on_cancelled: bool
    business_on_created: bool
    business_on_rescheduled: bool
    business_on_cancelled: bool


class NotificationSettingsPatch(In):
    provider_on_created: bool = absent()
    provider_on_rescheduled: bool = absent()
    provider_on_cancelled: bool = absent()
    business_on_created: bool = absent()
    business_on_rescheduled: bool = absent()
    business_on_cancelled: bool = absent()


class ReminderRuleIn(In):
    minutes_before: int = Field(ge=1, le=86_400)


class ReminderRuleOut(Schema):
    minutes_before: int


class ReminderRuleList(ListOut):
    items: list[ReminderRuleOut]


# --- availability -----------------------------------------------------------------------------


class SlotOut(BaseModel):
    """Plain pydantic (not ninja's Schema, which reads every field through a Django-aware
    getter): an availability answer holds hundreds of slots, all built as dicts."""

    start: datetime
    end: datetime
    provider_ids: list[int]


class AvailabilityOut(BaseModel):
    timezone: str
    slots: list[SlotOut]


# --- bookings ---------------------------------------------------------------------------------


class CustomerDetailsIn(In):
    name: Annotated[str, Line(200, 1)]
    email: Email
    phone: Annotated[str, Line(40)] = ""
    language: Annotated[str, Line(10)] = Field(
        "",
        description="The language the customer reads: one of en, de, fr, es, nl, fi, "
        "optionally with a region (en-US); empty = unknown (the business's default is used).",
    )


class WebCustomerIn(CustomerDetailsIn):
    timezone: Annotated[str, Line(64)] = ""


class BookingIn(In):
    customer_id: Id | None = None
    customer: CustomerDetailsIn | None = Field(
        None, description="Instead of customer_id: found by email or created."
    )
    service_id: Id
    provider_id: Id
    start: Instant
    self_service: SelfServiceIn = Field(
        default_factory=_no_self_service, description="Fixed for the life of the booking."
    )
    notify_customer: bool = True
    notes: Annotated[str, Note(5000)] = ""
    price: Money | None = None
    override_availability: bool = Field(
        False, description="Book outside working hours (never over another booking)."
    )


class BookingPatchIn(In):
    """Nothing of a booking is changed with PATCH; each field names the action to use."""

    self_service: dict[str, Any] = absent(description="Never changeable.")
    start: Instant = absent(description="Use POST …/reschedule.")
    provider_id: Id = absent(description="Use POST …/reschedule.")
    status: BookingStatus = absent(description="Use …/cancel, …/complete or …/no-show.")


class CancelIn(In):
    reason: Annotated[str, Text(2000)] = ""
    notify_customer: bool = True


class RescheduleIn(In):
    start: Instant
    provider_id: Id | None = None
    notify_customer: bool = True
    override_availability: bool = False


class CloneIn(In):
    start: Instant
    provider_id: Id | None = None
    self_service: SelfServiceIn = Field(default_factory=_no_self_service)
    notify_customer: bool = True
    price: Money | None = None
    notes: Annotated[str, Text(5000)] | None = None
    override_availability: bool = False


class PaymentIn(In):
    amount: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    currency: Currency | None = None
    method: PaymentMethod
    status: PaymentStatus = "paid"
    note: Annotated[str, Text(300)] = ""


class BookingCustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str


class BookingContactOut(Schema):
    """Who the booking is for as the booker gave it; for a staff booking, the customer record."""

    name: str
    email: str
    phone: str
    timezone: str


class BookingOut(Schema):
    reference: str
    status: BookingStatus
    source: Literal["custom", "web"]
    start: datetime
    end: datetime
    service_id: int
    service_name: str
    provider_id: int
    provider_name: str
    customer: BookingCustomerOut
    contact: BookingContactOut
    self_service: SelfServiceOut
    change_deadline: datetime
    reschedule_count: int
    price: str
    currency: str
    notes: str
    booking_page_id: int | None
    cloned_from: str | None
    cancelled_at: datetime | None
    cancelled_by: str
    cancellation_reason: str
    version: int
    created_at: datetime


class BookingList(ListOut):
    items: list[BookingOut]


class HistoryOut(Schema):
    kind: str
    actor_kind: str
    actor_label: str
    old: dict[str, Any]
    new: dict[str, Any]
    created_at: datetime


class HistoryList(ListOut):
    items: list[HistoryOut]


class ReminderOut(Schema):
    id: int
    minutes_before: int | None
    send_at: datetime
    status: str
    sent_at: datetime | None


class ReminderList(ListOut):
    items: list[ReminderOut]


class MessageOut(Schema):
    id: int
    kind: str
    channel: str
    audience: str
    recipient: str
    status: str
    attempts: int
    last_error: str
    due_at: datetime
    sent_at: datetime | None
    created_at: datetime


class MessageList(ListOut):
    items: list[MessageOut]


class PaymentOut(Schema):
    id: int
    amount: str
    currency: str
    method: str
    status: str
    note: str
    created_at: datetime


class PaymentList(ListOut):
    items: list[PaymentOut]


# --- public pages and manage links ------------------------------------------------------------


class PublicBusinessOut(Schema):
    name: str
    slug: str
    timezone: str
    contact_email: str
    phone: str
    address: str
    description: str = Field(description="The business's short description ('' if none).")
    logo_url: str | None = Field(description="Absolute URL of the logo; null: none uploaded.")
    cover_image_url: str | None = Field(description="Absolute URL of the cover image, or null.")
    accent_color: str | None = Field(
        description="The accent colour as #rrggbb (at least 4.5:1 against white); null: the "
        "Slotwise default."
    )


class PublicServiceOut(Schema):
    id: int
    name: str
    description: str
    duration_minutes: int
    price: str
    currency: str
    photo_url: str | None = Field(description="Absolute URL of the service's photo, or null.")


class PublicProviderOut(Schema):
    id: int
    name: str
    service_ids: list[int]
    photo_url: str | None = Field(description="Absolute URL of the provider's photo, or null.")


class PublicPageOut(Schema):
    business: PublicBusinessOut
    slug: str
    title: str
    intro: str
    any_provider: bool
    services: list[PublicServiceOut]
    providers: list[PublicProviderOut]
    self_service: SelfServiceOut


class WebBookingIn(In):
    service_id: Id
    provider_id: Id | None = Field(None, description="Empty: any available provider.")
    start: Instant
    customer: WebCustomerIn
    notes: Annotated[str, Note(2000)] = ""


class PublicBookingOut(Schema):
    reference: str
    status: BookingStatus
    start: datetime
    end: datetime
    timezone: str
    service_id: int
    service_name: str
    provider_id: int
    provider_name: str
    customer_name: str
    customer_email: str
    price: str
    currency: str
    self_service: SelfServiceOut
    change_deadline: datetime
    cancellation_reason: str


class WebBookingOut(Schema):
    booking: PublicBookingOut
    manage_url: str


class RefusalOut(Schema):
    code: str
    message: str


class ManageOut(Schema):
    booking: PublicBookingOut
    business: PublicBusinessOut
    allowed_actions: list[Literal["cancel", "reschedule"]]
    change_deadline: datetime
    refusals: dict[str, RefusalOut] = Field(
        description="Why an action is not possible now, by action (only for those not allowed)."
    )
    reschedules_left: int | None = Field(
        description="Online reschedules left under the booking's cap; null when there is none."
    )
    reschedule_provider_id: int | None = Field(
        description="Whose times a reschedule offers: this provider, or null for any provider "
        "the booking page offers."
    )
    message: str = Field(
        description="What the customer is told about changes, as on the manage page and in the "
        "emails (deadline in the business's time zone); empty when the booking allows none."
    )


class ManageCancelIn(In):
    reason: Annotated[str, Note(2000)] = ""


class ManageRescheduleIn(In):
    start: Instant
    provider_id: Id | None = None


# --- webhooks ---------------------------------------------------------------------------------


class WebhookIn(In):
    """A receiver on the public internet: loopback, private, link-local and other internal
    addresses are refused (422 ``invalid_input``). At most 10 per business."""

    url: Annotated[str, Text(500, 8)]
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(WEBHOOK_EVENTS))
    secret: Annotated[str, Text(100)] = Field(
        "",
        description="At least 24 characters; empty: one is generated. Used to sign every delivery.",
    )
    active: bool = True


class WebhookPatch(In):
    url: Annotated[str, Text(500, 8)] = absent()
    events: list[WebhookEvent] = absent(min_length=1, max_length=len(WEBHOOK_EVENTS))
    active: bool = absent()


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Shown only now: keep it to verify signatures.")


class WebhookList(ListOut):
    items: list[WebhookOut]


class DeliveryOut(Schema):
    id: int
    event: str
    booking_reference: str | None
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime


class DeliveryList(ListOut):
    items: list[DeliveryOut]


# --- waitlist ---------------------------------------------------------------------------------

WaitlistMode = Literal["one_at_a_time", "notify_all"]
WaitlistStatus = Literal["waiting", "booked", "left"]
OfferStatus = Literal["open", "accepted", "expired", "taken", "withdrawn"]


class WaitlistWindowIn(In):
    start: Annotated[str, Line(25, 10)] = Field(
        description="First day (YYYY-MM-DD, in the business's zone); a time (YYYY-MM-DDTHH:MM) "
        "also sets the earliest time of day."
    )
    end: Annotated[str, Line(25, 10)] = Field(
        description="Last day (inclusive); a time also sets the latest time of day."
    )
    from_: Clock | None = Field(None, alias="from", description="Earliest start each day.")
    until: Clock | None = Field(None, description="Latest end each day.")


class WaitlistJoinIn(In):
    service_id: Id
    provider_id: Id | None = Field(None, description="Empty: any provider of the page.")
    windows: list[WaitlistWindowIn] = Field(min_length=1, max_length=10)
    customer: WebCustomerIn


class WaitlistEarlierIn(In):
    windows: list[WaitlistWindowIn] = Field(min_length=1, max_length=10)


class WaitlistJoinOut(Schema):
    reference: str
    status: WaitlistStatus
    manage_url: str = Field(description="The customer's link to see and leave the waitlist.")


class OfferOut(Schema):
    status: OfferStatus
    start: datetime
    end: datetime
    provider_id: int
    provider_name: str
    service_id: int
    service_name: str
    timezone: str
    expires_at: datetime
    reschedules_booking: str | None = Field(
        description="For an earlier-time request: the reference of the booking it moves."
    )


class OfferAcceptOut(Schema):
    booking: PublicBookingOut
    manage_url: str


class WaitlistOfferOut(Schema):
    id: int
    status: OfferStatus
    provider_id: int
    start: datetime
    end: datetime
    offered_by: Literal["auto", "staff"]
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    booking_reference: str | None


class WaitlistEntryOut(Schema):
    reference: str
    status: WaitlistStatus
    page_id: int
    service_id: int
    provider_id: int | None
    booking_reference: str | None
    name: str
    email: str
    windows: list[dict[str, str | None]] = Field(
        description='Each {"first_day", "last_day", "from", "until"} (days inclusive; times of '
        "day or null), in the business's zone."
    )
    created_at: datetime
    offers: list[WaitlistOfferOut]


class WaitlistEntryList(ListOut):
    items: list[WaitlistEntryOut]


class WaitlistSettingsIn(In):
    mode: WaitlistMode
    hold_minutes: int = Field(ge=5, le=7 * 24 * 60)


class WaitlistSettingsOut(Schema):
    mode: WaitlistMode
    hold_minutes: int


class OfferByHandIn(In):
    provider_id: Id
    start: Instant
