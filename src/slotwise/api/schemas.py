"""Request and response shapes of API v1 (they are the OpenAPI description).

Inputs refuse unknown fields, strings with NUL characters and times without an offset, so bad
input is a 422 before any code runs. PATCH shapes default every field to "not given": a field
that is sent must be valid (null is not a value for it).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from slotwise.core import validators
from slotwise.notifications.models import WEBHOOK_EVENTS

# --- building blocks --------------------------------------------------------------------------

#: Ids are positive and fit in a JSON number without loss.
Id = Annotated[int, Field(ge=1, le=2**53)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _sane_instant(value: datetime) -> datetime:
    # Far-away years overflow when converted between zones; nobody books them.
    if not 1970 <= value.year <= 2999:
        raise ValueError("must be between the years 1970 and 2999")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=min_length),
        AfterValidator(_no_nul),
    ]


def _django_rule(rule: Any) -> Any:
    """A core/validators.py rule as a pydantic validator (its refusal becomes a 422)."""

    def check(value: str) -> str:
        try:
            return rule(value)  # type: ignore[no-any-return]
        except DjangoValidationError as exc:
            raise ValueError(" ".join(str(m) for m in exc.messages)) from None

    return AfterValidator(check)


def Line(max_length: int, min_length: int = 0) -> Any:
    """One line of text (a name, a phone): no control characters, no line breaks."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=min_length),
        _django_rule(validators.validate_line),
    ]


def Note(max_length: int) -> Any:
    """Free text (notes, a reason): line breaks allowed, other control characters not."""
    return Annotated[
        str, StringConstraints(max_length=max_length), _django_rule(validators.validate_text)
    ]


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
WebhookEvent = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class ListOut(Schema):
    count: int


# --- errors are in errors.py (ErrorOut) ---------------------------------------------------------


# --- services ---------------------------------------------------------------------------------


class ServiceIn(In):
    name: Text(200, 1)  # type: ignore[valid-type]
    description: Text(5000) = ""  # type: ignore[valid-type]
    duration_minutes: int = Field(ge=5, le=1440)
    price: Money = Decimal("0")
    currency: Currency | None = None
    buffer_before_minutes: int = Field(0, ge=0, le=1440)
    buffer_after_minutes: int = Field(0, ge=0, le=1440)
    active: bool = True


class ServicePatch(In):
    name: Text(200, 1) = None  # type: ignore[valid-type]
    description: Text(5000) = None  # type: ignore[valid-type]
    duration_minutes: int = Field(None, ge=5, le=1440)  # type: ignore[assignment]
    price: Money = None  # type: ignore[assignment]
    currency: Currency = None  # type: ignore[assignment]
    buffer_before_minutes: int = Field(None, ge=0, le=1440)  # type: ignore[assignment]
    buffer_after_minutes: int = Field(None, ge=0, le=1440)  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]


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
    name: Line(200, 1)  # type: ignore[valid-type]
    email: OptionalEmail = ""
    phone: Line(40) = ""  # type: ignore[valid-type]
    working_hours: list[WorkingHoursIn] = Field(default_factory=list, max_length=100)
    service_ids: list[Id] = Field(default_factory=list, max_length=500)
    active: bool = True
    receives_notifications: bool = True


class ProviderPatch(In):
    name: Line(200, 1) = None  # type: ignore[valid-type]
    email: OptionalEmail = None  # type: ignore[assignment]
    phone: Line(40) = None  # type: ignore[valid-type]
    working_hours: list[WorkingHoursIn] = Field(None, max_length=100)  # type: ignore[assignment]
    service_ids: list[Id] = Field(None, max_length=500)  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]
    receives_notifications: bool = None  # type: ignore[assignment]


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
    reason: Text(200) = ""  # type: ignore[valid-type]


class TimeOffOut(Schema):
    id: int
    start: datetime
    end: datetime
    reason: str


class TimeOffList(ListOut):
    items: list[TimeOffOut]


# --- customers --------------------------------------------------------------------------------


class CustomerIn(In):
    name: Line(200, 1)  # type: ignore[valid-type]
    email: Email
    phone: Line(40) = ""  # type: ignore[valid-type]
    timezone: Line(64) = Field("", description="IANA zone, e.g. Europe/Berlin; empty = unknown.")  # type: ignore[valid-type]


class CustomerPatch(In):
    name: Line(200, 1) = None  # type: ignore[valid-type]
    email: Email = None  # type: ignore[assignment]
    phone: Line(40) = None  # type: ignore[valid-type]
    timezone: Line(64) = None  # type: ignore[valid-type]


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    timezone: str
    created_at: datetime


class CustomerList(ListOut):
    items: list[CustomerOut]


# --- self-service policy ----------------------------------------------------------------------


class SelfServiceIn(In):
    allow_cancel: bool = False
    allow_reschedule: bool = False
    change_deadline_minutes: Minutes = Field(
        1440, description="Latest change time: minutes before the start."
    )
    max_reschedules: int | None = Field(
        None, ge=0, le=100, description="How often the customer may reschedule; null = no cap."
    )


class SelfServiceOut(Schema):
    allow_cancel: bool
    allow_reschedule: bool
    change_deadline_minutes: int
    max_reschedules: int | None


# --- booking pages ----------------------------------------------------------------------------


class BookingPageIn(In):
    slug: Slug
    title: Text(200, 1)  # type: ignore[valid-type]
    intro: Text(5000) = ""  # type: ignore[valid-type]
    service_ids: list[Id] = Field(default_factory=list, max_length=500)
    provider_ids: list[Id] = Field(default_factory=list, max_length=500)
    any_provider: bool = True
    min_notice_minutes: Minutes = 120
    max_days_ahead: int = Field(60, ge=1, le=730)
    slot_step_minutes: int = Field(30, ge=5, le=240)
    self_service: SelfServiceIn = Field(default_factory=SelfServiceIn)
    active: bool = True


class BookingPagePatch(In):
    slug: Slug = None  # type: ignore[assignment]
    title: Text(200, 1) = None  # type: ignore[valid-type]
    intro: Text(5000) = None  # type: ignore[valid-type]
    service_ids: list[Id] = Field(None, max_length=500)  # type: ignore[assignment]
    provider_ids: list[Id] = Field(None, max_length=500)  # type: ignore[assignment]
    any_provider: bool = None  # type: ignore[assignment]
    min_notice_minutes: Minutes = None  # type: ignore[assignment]
    max_days_ahead: int = Field(None, ge=1, le=730)  # type: ignore[assignment]
    slot_step_minutes: int = Field(None, ge=5, le=240)  # type: ignore[assignment]
    self_service: SelfServiceIn = Field(
        None,  # type: ignore[arg-type]
        description="Applies to bookings made from now on; earlier bookings keep theirs.",
    )
    active: bool = None  # type: ignore[assignment]


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
    provider_on_created: bool = None  # type: ignore[assignment]
    provider_on_rescheduled: bool = None  # type: ignore[assignment]
    provider_on_cancelled: bool = None  # type: ignore[assignment]
    business_on_created: bool = None  # type: ignore[assignment]
    business_on_rescheduled: bool = None  # type: ignore[assignment]
    business_on_cancelled: bool = None  # type: ignore[assignment]


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
    name: Line(200, 1)  # type: ignore[valid-type]
    email: Email
    phone: Line(40) = ""  # type: ignore[valid-type]


class WebCustomerIn(CustomerDetailsIn):
    timezone: Line(64) = ""  # type: ignore[valid-type]


class BookingIn(In):
    customer_id: Id | None = None
    customer: CustomerDetailsIn | None = Field(
        None, description="Instead of customer_id: found by email or created."
    )
    service_id: Id
    provider_id: Id
    start: Instant
    self_service: SelfServiceIn = Field(
        default_factory=SelfServiceIn, description="Fixed for the life of the booking."
    )
    notify_customer: bool = True
    notes: Note(5000) = ""  # type: ignore[valid-type]
    price: Money | None = None
    override_availability: bool = Field(
        False, description="Book outside working hours (never over another booking)."
    )


class BookingPatchIn(In):
    """Nothing of a booking is changed with PATCH; each field names the action to use."""

    self_service: dict[str, Any] = Field(None, description="Never changeable.")  # type: ignore[assignment]
    start: Instant = Field(None, description="Use POST …/reschedule.")  # type: ignore[assignment]
    provider_id: Id = Field(None, description="Use POST …/reschedule.")  # type: ignore[assignment]
    status: BookingStatus = Field(  # type: ignore[assignment]
        None, description="Use …/cancel, …/complete or …/no-show."
    )


class CancelIn(In):
    reason: Text(2000) = ""  # type: ignore[valid-type]
    notify_customer: bool = True


class RescheduleIn(In):
    start: Instant
    provider_id: Id | None = None
    notify_customer: bool = True
    override_availability: bool = False


class CloneIn(In):
    start: Instant
    provider_id: Id | None = None
    self_service: SelfServiceIn = Field(default_factory=SelfServiceIn)
    notify_customer: bool = True
    price: Money | None = None
    notes: Text(5000) | None = None  # type: ignore[valid-type]
    override_availability: bool = False


class PaymentIn(In):
    amount: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    currency: Currency | None = None
    method: PaymentMethod
    status: PaymentStatus = "paid"
    note: Text(300) = ""  # type: ignore[valid-type]


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


class PublicServiceOut(Schema):
    id: int
    name: str
    description: str
    duration_minutes: int
    price: str
    currency: str


class PublicProviderOut(Schema):
    id: int
    name: str
    service_ids: list[int]


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
    notes: Note(2000) = ""  # type: ignore[valid-type]


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
    reason: Note(2000) = ""  # type: ignore[valid-type]


class ManageRescheduleIn(In):
    start: Instant
    provider_id: Id | None = None


# --- webhooks ---------------------------------------------------------------------------------


class WebhookIn(In):
    """A receiver on the public internet: loopback, private, link-local and other internal
    addresses are refused (422 ``invalid_input``). At most 10 per business."""

    url: Text(500, 8)  # type: ignore[valid-type]
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(WEBHOOK_EVENTS))  # type: ignore[valid-type]
    secret: Text(100) = Field(  # type: ignore[valid-type]
        "",
        description="At least 24 characters; empty: one is generated. Used to sign every delivery.",
    )
    active: bool = True


class WebhookPatch(In):
    url: Text(500, 8) = None  # type: ignore[valid-type]
    events: list[WebhookEvent] = Field(None, min_length=1, max_length=len(WEBHOOK_EVENTS))  # type: ignore[valid-type]
    active: bool = None  # type: ignore[assignment]


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
