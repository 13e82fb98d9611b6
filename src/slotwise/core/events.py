"""Domain events: an action says what happened, the apps that care listen.

An action emits one event inside its transaction (``emit``); every subscriber runs at once,
in the same transaction, in the order they subscribed. So what a subscriber writes (the
outbox rows of ``notifications``, later calendar writes or waitlist offers) commits with the
change or not at all, and the domain never imports the apps that react to it.

A subscriber may refuse the change by raising a ``DomainError``: the transaction, the change
included, rolls back and the action's caller gets the error.

Subscribers register in their app's ``AppConfig.ready`` (see ``notifications/apps.py``).
Model: Zulip's ``send_event_on_commit`` after a ``do_*`` action writes its audit row; here
the listeners write rows, so they run inside the transaction rather than after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from slotwise.core.models import Business

_subscribers: dict[type, list[Callable[[Any], None]]] = {}


def subscribe[E](event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call ``handler`` with every event of ``event_type`` (once, however often registered)."""
    handlers = _subscribers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers(event_type: type) -> list[Callable[[Any], None]]:
    """The handlers of ``event_type``, in the order they run."""
    return list(_subscribers.get(event_type, ()))


def emit(event: object) -> None:
    """Run every subscriber of the event's type, now, inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction a subscriber's rows would commit without the change.
        raise RuntimeError(f"{type(event).__name__} must be emitted inside a transaction")
    for handler in _subscribers.get(type(event), ()):
        handler(event)


@dataclass(frozen=True, slots=True)
class BusinessCreated:
    """A business was just created (``core.services.business_create``)."""

    business: Business


@dataclass(frozen=True, slots=True)
class TimeFreed:
    """A provider's time from ``start`` to ``end`` may have become bookable: time off was
    deleted or working hours grew (``catalog.services``). The waitlist listens."""

    business_id: int
    provider_id: int
    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class ScheduleChanged:
    """Something that shapes these providers' free time changed: working hours, time off
    (``catalog.services``). Emitted in the change's transaction; availability listens to bump
    the providers' versions, so no cached answer outlives the change."""

    provider_ids: tuple[int, ...]
    reason: str
