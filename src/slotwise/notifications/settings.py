"""A business's notification settings: who is told of booking changes, and reminder rules.

One function per operation, called by the backoffice and the API alike, each scoped to the
business it is given. Reminder rules apply to bookings made from now on: a booking's reminders
are queued when it is made, so earlier bookings keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from slotwise.catalog.models import Provider
from slotwise.core import errors
from slotwise.core.models import Business
from slotwise.core.records import record_apply, record_save, records_get
from slotwise.notifications.models import NotificationSettings, ReminderRule

#: A reminder is sent between this many minutes before the appointment …
REMINDER_MIN_MINUTES = 5
#: … and this many (60 days).
REMINDER_MAX_MINUTES = 60 * 24 * 60
#: How many reminder rules a business may have.
REMINDER_MAX_RULES = 20


def notification_settings_get(*, business: Business) -> NotificationSettings:
    """The business's notification settings (the defaults, stored, if it had none)."""
    found, _created = NotificationSettings.objects.get_or_create(business=business)
    return found


def notification_settings_update(
    *,
    business: Business,
    changes: Mapping[str, bool],
    provider_opt_in: Mapping[int, bool] | None = None,
) -> NotificationSettings:
    """Change who is told of new, rescheduled and cancelled bookings.

    ``provider_opt_in`` (provider id to wanted) sets providers' own opt-outs; every id must be
    a provider of ``business``.
    """
    found = notification_settings_get(business=business)
    record_apply(found, changes)
    opt_in = dict(provider_opt_in or {})
    providers = records_get(Provider, business=business, ids=opt_in, label="Provider")
    with transaction.atomic():
        record_save(found)
        for provider in providers:
            wanted = opt_in[provider.pk]
            if provider.receives_notifications != wanted:
                provider.receives_notifications = wanted
                provider.save(update_fields=["receives_notifications"])
    return found


def _checked_minutes(minutes_before: int) -> int:
    if not REMINDER_MIN_MINUTES <= minutes_before <= REMINDER_MAX_MINUTES:
        raise errors.InvalidInput(
            _("A reminder is between %(minutes)s minutes and %(days)s days before.")
            % {"minutes": REMINDER_MIN_MINUTES, "days": REMINDER_MAX_MINUTES // (24 * 60)},
            field="minutes_before",
        )
    return minutes_before


def _too_many_rules() -> errors.InvalidInput:
    return errors.InvalidInput(
        _("At most %(count)s reminder rules.") % {"count": REMINDER_MAX_RULES},
        field="minutes_before",
    )


def reminder_rules_replace(*, business: Business, minutes: Iterable[int]) -> list[ReminderRule]:
    """Replace the business's reminder rules (the same time given twice counts once)."""
    values = sorted({_checked_minutes(m) for m in minutes}, reverse=True)
    if len(values) > REMINDER_MAX_RULES:
        raise _too_many_rules()
    with transaction.atomic():
        ReminderRule.objects.filter(business=business).delete()
        ReminderRule.objects.bulk_create(
            ReminderRule(business=business, minutes_before=v) for v in values
        )
    return list(ReminderRule.objects.filter(business=business))


def reminder_rule_add(*, business: Business, minutes_before: int) -> ReminderRule:
    """Add a reminder this long before each appointment."""
    _checked_minutes(minutes_before)
    with transaction.atomic():
        # Lock the business so two concurrent adds cannot both pass the count check.
        Business.objects.select_for_update().filter(pk=business.pk).first()
        rules = ReminderRule.objects.filter(business=business)
        if rules.filter(minutes_before=minutes_before).exists():
            raise errors.InvalidInput(
                _("There is already a reminder at that time."), field="minutes_before"
            )
        if rules.count() >= REMINDER_MAX_RULES:
            raise _too_many_rules()
        return ReminderRule.objects.create(business=business, minutes_before=minutes_before)


def reminder_rule_delete(*, business: Business, rule_id: int) -> None:
    """Remove one of the business's reminder rules; another business's is not found."""
    deleted, _by_model = ReminderRule.objects.filter(business=business, pk=rule_id).delete()
    if not deleted:
        raise errors.not_found("Reminder")
