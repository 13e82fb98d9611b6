"""Business settings: who is notified of what, and the reminder rules for new bookings."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Router

from slotwise.api import present
from slotwise.api.auth import business_of
from slotwise.api.endpoints._common import responses
from slotwise.api.schemas import (
    NotificationSettingsOut,
    NotificationSettingsPatch,
    ReminderRuleIn,
    ReminderRuleList,
)
from slotwise.notifications import settings as services
from slotwise.notifications.models import ReminderRule

router = Router(tags=["settings"])


@router.get("/settings/notifications", response=responses(NotificationSettingsOut))
def get_notification_settings(request: HttpRequest) -> dict[str, bool]:
    """Per event: does the provider get an email, does the business's contact address."""
    return present.notification_settings(
        services.notification_settings_get(business=business_of(request))
    )


@router.patch("/settings/notifications", response=responses(NotificationSettingsOut))
def update_notification_settings(
    request: HttpRequest, payload: NotificationSettingsPatch
) -> dict[str, bool]:
    found = services.notification_settings_update(
        business=business_of(request), changes=payload.model_dump(exclude_unset=True)
    )
    return present.notification_settings(found)


def _rules(business: Any) -> dict[str, Any]:
    rows = list(ReminderRule.objects.filter(business=business).order_by("-minutes_before"))
    return {"items": [{"minutes_before": r.minutes_before} for r in rows], "count": len(rows)}


@router.get("/settings/reminders", response=responses(ReminderRuleList))
def get_reminder_rules(request: HttpRequest) -> dict[str, Any]:
    """When customers are reminded, in minutes before the appointment."""
    return _rules(business_of(request))


@router.put("/settings/reminders", response=responses(ReminderRuleList))
def replace_reminder_rules(
    request: HttpRequest, payload: Body[list[ReminderRuleIn]]
) -> dict[str, Any]:
    """Replace the rules (a list of ``{minutes_before}``; empty = no reminders).

    Applies to bookings created afterwards; existing bookings keep their reminders.
    """
    business = business_of(request)
    services.reminder_rules_replace(
        business=business, minutes=[rule.minutes_before for rule in payload]
    )
    return _rules(business)
