"""Plain record writes shared by the domain services: scoped look-ups, edits, validated saves.

These hold no business rule. They make every simple write behave the same way, whichever face
calls it: the model's own validation runs, a refusal is an ``InvalidInput`` naming the field
(nothing saved), and another business's row is simply not found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from slotwise.core import errors
from slotwise.core.models import Business


def record_apply(instance: models.Model, changes: Mapping[str, Any]) -> None:
    """Set the given fields on ``instance``; text is stripped of surrounding white space."""
    for field, value in changes.items():
        setattr(instance, field, value.strip() if isinstance(value, str) else value)


def record_or_new[M: models.Model](
    model: type[M], *, business: Business, instance: M | None, label: str, **defaults: Any
) -> M:
    """``instance`` when it belongs to ``business`` (else not found), or a new unsaved row."""
    if instance is None:
        return model(business=business, **defaults)
    if getattr(instance, "business_id", None) != business.pk:
        raise errors.not_found(label)
    return instance


def record_save[M: models.Model](instance: M, *, exclude: Iterable[str] = ()) -> M:
    """Run the model's validation (fields and constraints) and save.

    A refusal raises ``InvalidInput`` with one detail per field and ``field`` naming the first
    one, so a form can show the message next to it and the API can return them all.
    """
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        fields = {
            field: " ".join(str(m) for m in messages)
            for field, messages in exc.message_dict.items()
        }
        message = " ".join(fields.values()) or "Some of the information given is not valid."
        named = [f for f in fields if f != NON_FIELD_ERRORS]
        if named:
            fields["field"] = named[0]
        raise errors.InvalidInput(message, **fields) from None
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        # A concurrent request saved the same unique value between the check and the insert.
        raise errors.InvalidInput(_("This conflicts with an existing record.")) from None
    return instance


def record_get[M: models.Model](model: type[M], *, business: Business, pk: int, label: str) -> M:
    """One row of ``model`` in ``business``; another business's id is simply not found."""
    row = model._default_manager.filter(business=business, pk=pk).first()
    if row is None:
        raise errors.not_found(label)
    return row


def records_get[M: models.Model](
    model: type[M], *, business: Business, ids: Iterable[int], label: str
) -> list[M]:
    """Rows of ``model`` with these ids in ``business``; an unknown or foreign id is not found."""
    wanted = set(ids)
    rows = list(model._default_manager.filter(business=business, pk__in=wanted))
    if len(rows) != len(wanted):
        raise errors.not_found(label, field=f"{label.lower()}_ids")
    return rows
