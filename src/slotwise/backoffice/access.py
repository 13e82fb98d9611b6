"""Who is signed in, for which business, with which role: every backoffice view goes through here.

A user may belong to several businesses; the session holds the one being worked on. Views
receive ``request.business`` and ``request.membership`` and query only within that business.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, cast, overload

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from slotwise.core.clock import utcnow
from slotwise.core.models import Business, Membership
from slotwise.core.services import membership_mark_used

SESSION_KEY = "backoffice_business_id"

View = Callable[..., HttpResponse]


class BusinessRequest(HttpRequest):
    """The request a backoffice view receives once ``staff_required`` let it through.

    Never instantiated: ``as_business_request`` sets the attributes on Django's request and
    narrows its type, so views annotate ``request: BusinessRequest`` and read
    ``request.business`` without ignores.
    """

    business: Business
    membership: Membership
    memberships: list[Membership]


def as_business_request(request: HttpRequest, membership: Membership) -> BusinessRequest:
    """Attach the chosen membership and its business to the request (for views and the
    header template)."""
    typed = cast(BusinessRequest, request)
    typed.membership = membership
    typed.business = membership.business
    return typed


def memberships_of(user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related("business").order_by("business__name")
    )


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the business chosen in this session; by default (right after
    sign-in) the business the person used last, else the first by name."""
    memberships = memberships_of(request.user)
    cast(BusinessRequest, request).memberships = memberships
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.business_id == wanted:
            return membership
    if memberships:
        used = [m for m in memberships if m.last_used_at is not None]
        last = max(used, key=_last_used) if used else memberships[0]
        request.session[SESSION_KEY] = last.business_id
        return last
    return None


def _last_used(membership: Membership) -> datetime:
    assert membership.last_used_at is not None  # filtered by the caller
    return membership.last_used_at


def choose_business(request: HttpRequest, business_id: int) -> bool:
    """Switch the session to another business of the user (remembered for the next sign-in);
    False if they are not a member."""
    user: Any = request.user
    membership = Membership.objects.filter(user=user, business_id=business_id).first()
    if membership is None:
        return False
    request.session[SESSION_KEY] = business_id
    membership_mark_used(membership=membership, now=utcnow())
    return True


@overload
def staff_required(view: View, *, manage: bool = False) -> View: ...


@overload
def staff_required(view: None = None, *, manage: bool = False) -> Callable[[View], View]: ...


def staff_required(
    view: View | None = None, *, manage: bool = False
) -> View | Callable[[View], View]:
    """Signed in, member of a business (and owner/admin when ``manage``), else login or 403."""

    def decorate(func: View) -> View:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = current_membership(request)
            if membership is None:
                return render(request, "backoffice/no_access.html", status=403)
            typed = as_business_request(request, membership)
            if manage and not membership.can_manage_settings:
                return render(typed, "backoffice/forbidden.html", status=403)
            return func(typed, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def manager_required(view: View) -> View:
    """Owners and admins only (settings, team)."""
    return staff_required(view, manage=True)
