"""Notification settings and reminder rules: one service per operation for every face."""

from __future__ import annotations

from typing import Any

import pytest

from slotwise.core import errors
from slotwise.notifications import settings
from slotwise.notifications.models import NotificationSettings, ReminderRule

pytestmark = pytest.mark.django_db


def minutes(business: Any) -> list[int]:
    return list(
        ReminderRule.objects.filter(business=business).values_list("minutes_before", flat=True)
    )


def test_update_changes_flags_and_provider_opt_ins(world: Any) -> None:
    found = settings.notification_settings_update(
        business=world.business,
        changes={"business_on_created": True},
        provider_opt_in={world.blake.pk: False},
    )
    assert found.business_on_created and found.provider_on_created
    world.alex.refresh_from_db()
    world.blake.refresh_from_db()
    assert world.alex.receives_notifications and not world.blake.receives_notifications


def test_update_refuses_another_business_provider(world: Any, other_world: Any) -> None:
    with pytest.raises(errors.NotFound):
        settings.notification_settings_update(
            business=world.business,
            changes={"business_on_created": True},
            provider_opt_in={other_world.alex.pk: False},
        )
    other_world.alex.refresh_from_db()
    assert other_world.alex.receives_notifications
    assert not settings.notification_settings_get(business=world.business).business_on_created


def test_replace_dedupes_and_orders(world: Any) -> None:
    settings.reminder_rules_replace(business=world.business, minutes=[120, 2880, 120])
    assert minutes(world.business) == [2880, 120]
    settings.reminder_rules_replace(business=world.business, minutes=[])
    assert minutes(world.business) == []


@pytest.mark.parametrize("value", [0, 4, 60 * 24 * 60 + 1])
def test_out_of_range_reminders_are_refused_by_every_write(world: Any, value: int) -> None:
    with pytest.raises(errors.InvalidInput) as refused:
        settings.reminder_rules_replace(business=world.business, minutes=[60, value])
    assert refused.value.details["field"] == "minutes_before"
    with pytest.raises(errors.InvalidInput):
        settings.reminder_rule_add(business=world.business, minutes_before=value)
    assert minutes(world.business) == [1440]


def test_add_refuses_a_duplicate_and_more_than_twenty(world: Any) -> None:
    with pytest.raises(errors.InvalidInput, match="already a reminder"):
        settings.reminder_rule_add(business=world.business, minutes_before=1440)
    with pytest.raises(errors.InvalidInput, match="At most 20"):
        settings.reminder_rules_replace(business=world.business, minutes=range(10, 220, 10))
    settings.reminder_rules_replace(business=world.business, minutes=range(10, 210, 10))
    with pytest.raises(errors.InvalidInput, match="At most 20"):
        settings.reminder_rule_add(business=world.business, minutes_before=5)


def test_rules_are_scoped_to_their_business(world: Any, other_world: Any) -> None:
    theirs = ReminderRule.objects.get(business=other_world.business)
    with pytest.raises(errors.NotFound):
        settings.reminder_rule_delete(business=world.business, rule_id=theirs.pk)
    settings.reminder_rules_replace(business=world.business, minutes=[30])
    settings.reminder_rule_add(business=world.business, minutes_before=60)
    assert minutes(other_world.business) == [1440]
    assert NotificationSettings.objects.filter(business=other_world.business).count() == 1
    ours = ReminderRule.objects.get(business=world.business, minutes_before=30)
    settings.reminder_rule_delete(business=world.business, rule_id=ours.pk)
    assert minutes(world.business) == [60]
