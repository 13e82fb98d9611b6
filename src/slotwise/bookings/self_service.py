"""The self-service policy as a value: what a booking's customer may do online.

A module of its own, importing no model, so that ``models.py`` (``.policy`` of a page or a
booking) and ``policy.py`` (the rules, which read ``Booking.Status``) both import it at the
top. Read it as ``policy.SelfServicePolicy``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from slotwise.core import errors


@dataclass(frozen=True, slots=True)
class SelfServicePolicy:
    """What a booking's customer may do online; copied onto the booking when it is made."""

    allow_cancel: bool = False
    allow_reschedule: bool = False
    change_deadline_minutes: int = 1440
    max_reschedules: int | None = None

    def __post_init__(self) -> None:
        if self.change_deadline_minutes < 0:
            raise errors.InvalidInput(
                _("The latest change time cannot be negative."),
                field="change_deadline_minutes",
            )
        if self.max_reschedules is not None and self.max_reschedules < 0:
            raise errors.InvalidInput(
                _("The reschedule limit cannot be negative."), field="max_reschedules"
            )

    @classmethod
    def off(cls) -> SelfServicePolicy:
        return cls()
