"""Who is making a change: recorded in history and checked by the rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Actor:
    """``kind`` is customer, staff, system or api; staff carry their user."""

    kind: str
    user: Any = None  # the staff member's User; None for everyone else
    label: str = ""

    @classmethod
    def customer(cls, label: str = "") -> Actor:
        return cls("customer", None, label)

    @classmethod
    def staff(cls, user: Any) -> Actor:
        name = (user.get_full_name() or user.get_username()) if user is not None else ""
        return cls("staff", user, name)

    @classmethod
    def system(cls, label: str = "") -> Actor:
        return cls("system", None, label)

    @classmethod
    def api(cls, label: str = "") -> Actor:
        return cls("api", None, label)

    @property
    def is_customer(self) -> bool:
        return self.kind == "customer"
