"""Who is signed in, for which business, with which role: every backoffice view goes through here.

A user may belong to several businesses; the session holds the one being worked on. Views
receive ``request.business`` and ``request.membership`` and query only within that business.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from slotwise.core.clock import utcnow
from slotwise.core.models import Membership
from slotwise.core.services import membership_mark_used

SESSION_KEY = "backoffice_business_id"

View = Callable[..., HttpResponse]


def memberships_of(user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related("business").order_by("business__name")
    )


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the business chosen in this session; by default (right after
    sign-in) the business the person used last, else the first by name."""
    memberships = memberships_of(request.user)
    request.memberships = memberships  # type: ignore[attr-defined]
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.business_id == wanted:
            return membership
    if memberships:
        used = [m for m in memberships if m.last_used_at is not None]
        last = max(used, key=lambda m: m.last_used_at) if used else memberships[0]  # type: ignore[arg-type,return-value]
        request.session[SESSION_KEY] = last.business_id
        return last
    return None


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


def staff_required(view: View | None = None, *, manage: bool = False) -> Any:
    """Signed in, member of a business (and owner/admin when ``manage``), else login or 403."""

    def decorate(func: View) -> View:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = current_membership(request)
            if membership is None:
                return render(request, "backoffice/no_access.html", status=403)
            request.membership = membership  # type: ignore[attr-defined]
            request.business = membership.business  # type: ignore[attr-defined]
            if manage and not membership.can_manage_settings:
                return render(request, "backoffice/forbidden.html", status=403)
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def manager_required(view: View) -> View:
    """Owners and admins only (settings, team)."""
    return staff_required(view, manage=True)  # type: ignore[no-any-return]
