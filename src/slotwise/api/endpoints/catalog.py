"""Services, providers (with working hours and time off), customers and booking pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Status

from slotwise.api import present
from slotwise.api.auth import business_of
from slotwise.api.endpoints._common import Page, PageQuery, PathId, paginate, responses
from slotwise.api.schemas import (
    BookingPageIn,
    BookingPageList,
    BookingPageOut,
    BookingPagePatch,
    CustomerIn,
    CustomerList,
    CustomerOut,
    CustomerPatch,
    ProviderIn,
    ProviderList,
    ProviderOut,
    ProviderPatch,
    ServiceIn,
    ServiceList,
    ServiceOut,
    ServicePatch,
    TimeOffIn,
    TimeOffList,
    TimeOffOut,
    WorkingHoursIn,
)
from slotwise.bookings.models import BookingPage
from slotwise.bookings.pages import booking_page_save
from slotwise.bookings.selectors import customer_search
from slotwise.catalog import services
from slotwise.catalog.models import Customer, Provider, Service, TimeOff, WorkingHours
from slotwise.core.models import Business
from slotwise.core.records import record_get

router = Router()


# --- services ---------------------------------------------------------------------------------


@router.get("/services", response=responses(ServiceList), tags=["services"])
def list_services(request: HttpRequest, page: PageQuery) -> dict[str, Any]:
    """The business's services, active or not, by name."""
    qs = Service.objects.filter(business=business_of(request)).order_by("name", "pk")
    return paginate(qs, page, present.service)


@router.post("/services", response=responses(ServiceOut, 201), tags=["services"])
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[dict[str, Any]]:
    fields = payload.model_dump()
    if not fields["currency"]:
        fields.pop("currency")
    found = services.service_save(business=business_of(request), changes=fields)
    return Status(201, present.service(found))


@router.get("/services/{service_id}", response=responses(ServiceOut), tags=["services"])
def get_service(request: HttpRequest, service_id: PathId) -> dict[str, Any]:
    return present.service(_service(business_of(request), service_id))


@router.patch("/services/{service_id}", response=responses(ServiceOut), tags=["services"])
def update_service(
    request: HttpRequest, service_id: PathId, payload: ServicePatch
) -> dict[str, Any]:
    business = business_of(request)
    found = services.service_save(
        business=business,
        service=_service(business, service_id),
        changes=payload.model_dump(exclude_unset=True),
    )
    return present.service(found)


@router.post("/services/{service_id}/deactivate", response=responses(ServiceOut), tags=["services"])
def deactivate_service(request: HttpRequest, service_id: PathId) -> dict[str, Any]:
    """No new bookings for this service; existing bookings stay as they are."""
    business = business_of(request)
    found = services.service_save(
        business=business, service=_service(business, service_id), changes={"active": False}
    )
    return present.service(found)


def _service(business: Business, pk: int) -> Service:
    return record_get(Service, business=business, pk=pk, label="Service")


# --- providers --------------------------------------------------------------------------------


def _providers(business: Business) -> Any:
    return Provider.objects.filter(business=business).prefetch_related(
        Prefetch("working_hours", queryset=WorkingHours.objects.order_by("weekday", "start")),
        "services",
    )


def _provider(business: Business, pk: int) -> Provider:
    return record_get(Provider, business=business, pk=pk, label="Provider")


def _hours(rows: list[WorkingHoursIn] | None) -> Any:
    if rows is None:
        return None
    return [(r.weekday, present.parse_clock(r.start), present.parse_clock(r.end)) for r in rows]


def _fresh_provider(provider: Provider) -> dict[str, Any]:
    return present.provider(_providers(provider.business).get(pk=provider.pk))


@router.get("/providers", response=responses(ProviderList), tags=["providers"])
def list_providers(request: HttpRequest, page: PageQuery) -> dict[str, Any]:
    qs = _providers(business_of(request)).order_by("name", "pk")
    return paginate(qs, page, present.provider)


@router.post("/providers", response=responses(ProviderOut, 201), tags=["providers"])
def create_provider(request: HttpRequest, payload: ProviderIn) -> Status[dict[str, Any]]:
    fields = payload.model_dump(exclude={"working_hours", "service_ids"})
    found = services.provider_save(
        business=business_of(request),
        changes=fields,
        working_hours=_hours(payload.working_hours),
        service_ids=payload.service_ids,
    )
    return Status(201, _fresh_provider(found))


@router.get("/providers/{provider_id}", response=responses(ProviderOut), tags=["providers"])
def get_provider(request: HttpRequest, provider_id: PathId) -> dict[str, Any]:
    return _fresh_provider(_provider(business_of(request), provider_id))


@router.patch("/providers/{provider_id}", response=responses(ProviderOut), tags=["providers"])
def update_provider(
    request: HttpRequest, provider_id: PathId, payload: ProviderPatch
) -> dict[str, Any]:
    """Change fields; ``working_hours`` and ``service_ids``, when sent, replace the old ones."""
    business = business_of(request)
    sent = payload.model_dump(exclude_unset=True)
    found = services.provider_save(
        business=business,
        provider=_provider(business, provider_id),
        changes={k: v for k, v in sent.items() if k not in {"working_hours", "service_ids"}},
        working_hours=_hours(payload.working_hours) if "working_hours" in sent else None,
        service_ids=payload.service_ids if "service_ids" in sent else None,
    )
    return _fresh_provider(found)


@router.post(
    "/providers/{provider_id}/deactivate",
    response=responses(ProviderOut),
    tags=["providers"],
)
def deactivate_provider(request: HttpRequest, provider_id: PathId) -> dict[str, Any]:
    """No new bookings with this provider; existing bookings stay as they are."""
    business = business_of(request)
    found = services.provider_save(
        business=business, provider=_provider(business, provider_id), changes={"active": False}
    )
    return _fresh_provider(found)


@router.get(
    "/providers/{provider_id}/time-off", response=responses(TimeOffList), tags=["providers"]
)
def list_time_off(request: HttpRequest, provider_id: PathId, page: PageQuery) -> dict[str, Any]:
    business = business_of(request)
    provider = _provider(business, provider_id)
    qs = TimeOff.objects.filter(provider=provider).order_by("start", "pk")
    return paginate(qs, page, lambda off: present.time_off(off, business.tz))


@router.post(
    "/providers/{provider_id}/time-off",
    response=responses(TimeOffOut, 201),
    tags=["providers"],
)
def create_time_off(
    request: HttpRequest, provider_id: PathId, payload: TimeOffIn
) -> Status[dict[str, Any]]:
    """Block the provider for a while (existing bookings are not moved)."""
    business = business_of(request)
    off = services.time_off_create(
        business=business,
        provider=_provider(business, provider_id),
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
    )
    return Status(201, present.time_off(off, business.tz))


@router.delete(
    "/providers/{provider_id}/time-off/{time_off_id}",
    response=responses(None, 204),
    tags=["providers"],
)
def delete_time_off(request: HttpRequest, provider_id: PathId, time_off_id: PathId) -> Status[None]:
    services.time_off_delete(
        business=business_of(request), provider_id=provider_id, time_off_id=time_off_id
    )
    return Status(204, None)


# --- customers --------------------------------------------------------------------------------


@router.get("/customers", response=responses(CustomerList), tags=["customers"])
def list_customers(request: HttpRequest, page: PageQuery, search: str = "") -> dict[str, Any]:
    """Customers by name; ``search`` matches name, email or phone."""
    qs = Customer.objects.filter(business=business_of(request)).order_by("name", "pk")
    if search.strip():
        qs = customer_search(business=business_of(request), term=search[:100], limit=10_000)
        return paginate(list(qs), page, present.customer)
    return paginate(qs, page, present.customer)


@router.post("/customers", response=responses(CustomerOut, 201), tags=["customers"])
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[dict[str, Any]]:
    found = services.customer_save(business=business_of(request), changes=payload.model_dump())
    return Status(201, present.customer(found))


@router.get("/customers/{customer_id}", response=responses(CustomerOut), tags=["customers"])
def get_customer(request: HttpRequest, customer_id: PathId) -> dict[str, Any]:
    return present.customer(_customer(business_of(request), customer_id))


@router.patch("/customers/{customer_id}", response=responses(CustomerOut), tags=["customers"])
def update_customer(
    request: HttpRequest, customer_id: PathId, payload: CustomerPatch
) -> dict[str, Any]:
    business = business_of(request)
    found = services.customer_save(
        business=business,
        customer=_customer(business, customer_id),
        changes=payload.model_dump(exclude_unset=True),
    )
    return present.customer(found)


def _customer(business: Business, pk: int) -> Customer:
    return record_get(Customer, business=business, pk=pk, label="Customer")


# --- booking pages ----------------------------------------------------------------------------


def _pages(business: Business) -> Any:
    return BookingPage.objects.filter(business=business).prefetch_related("services", "providers")


def _page(business: Business, pk: int) -> BookingPage:
    return record_get(BookingPage, business=business, pk=pk, label="Booking page")


def _page_fields(sent: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in sent.items() if k not in {"service_ids", "provider_ids"}}
    policy = fields.pop("self_service", None)
    if policy is not None:
        fields.update(policy)
    return fields


def _fresh_page(page: BookingPage) -> dict[str, Any]:
    return present.booking_page(_pages(page.business).get(pk=page.pk))


@router.get("/booking-pages", response=responses(BookingPageList), tags=["booking pages"])
def list_booking_pages(request: HttpRequest, page: PageQuery) -> dict[str, Any]:
    qs = _pages(business_of(request)).order_by("title", "pk")
    return paginate(qs, page, present.booking_page)


@router.post("/booking-pages", response=responses(BookingPageOut, 201), tags=["booking pages"])
def create_booking_page(request: HttpRequest, payload: BookingPageIn) -> Status[dict[str, Any]]:
    found = booking_page_save(
        business=business_of(request),
        changes=_page_fields(payload.model_dump()),
        service_ids=payload.service_ids,
        provider_ids=payload.provider_ids,
    )
    return Status(201, _fresh_page(found))


@router.get("/booking-pages/{page_id}", response=responses(BookingPageOut), tags=["booking pages"])
def get_booking_page(request: HttpRequest, page_id: PathId) -> dict[str, Any]:
    return _fresh_page(_page(business_of(request), page_id))


@router.patch(
    "/booking-pages/{page_id}", response=responses(BookingPageOut), tags=["booking pages"]
)
def update_booking_page(
    request: HttpRequest, page_id: PathId, payload: BookingPagePatch
) -> dict[str, Any]:
    """Change the page. New self-service settings apply only to bookings made afterwards."""
    business = business_of(request)
    sent = payload.model_dump(exclude_unset=True)
    found = booking_page_save(
        business=business,
        page=_page(business, page_id),
        changes=_page_fields(sent),
        service_ids=payload.service_ids if "service_ids" in sent else None,
        provider_ids=payload.provider_ids if "provider_ids" in sent else None,
    )
    return _fresh_page(found)


@router.post(
    "/booking-pages/{page_id}/deactivate",
    response=responses(BookingPageOut),
    tags=["booking pages"],
)
def deactivate_booking_page(request: HttpRequest, page_id: PathId) -> dict[str, Any]:
    business = business_of(request)
    found = booking_page_save(
        business=business, page=_page(business, page_id), changes={"active": False}
    )
    return _fresh_page(found)


__all__ = ["Page", "router"]
