"""Sign in (throttled), sign out, and switching between the user's businesses."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from slotwise.backoffice.access import SESSION_KEY, choose_business, staff_required
from slotwise.core import ratelimit

#: Failed sign-ins allowed per client address, and per account name, in one window.
LOGIN_LIMIT = 10
LOGIN_WINDOW = 600


def _throttle_keys(request: HttpRequest) -> list[tuple[str, str]]:
    username = (request.POST.get("username") or "").strip().lower()
    keys = [("login-ip", ratelimit.client_key(request))]
    if username:
        keys.append(("login-user", username))
    return keys


def _throttled(request: HttpRequest) -> bool:
    return any(
        ratelimit.is_limited(scope, key, limit=LOGIN_LIMIT, window_seconds=LOGIN_WINDOW)
        for scope, key in _throttle_keys(request)
    )


def _login_form(request: HttpRequest, data: object = None) -> AuthenticationForm:
    form = AuthenticationForm(request, data=data)
    form.fields["username"].label = _("Email")
    form.fields["username"].widget.attrs.update({"autocomplete": "username", "type": "email"})
    return form


@never_cache
@csrf_protect
def login_view(request: HttpRequest) -> HttpResponse:
    """Django's authentication with Argon2 hashes; failed attempts are counted and limited."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "backoffice:dashboard")
    form = _login_form(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _throttled(request):
            context = {"form": _login_form(request), "next": next_url, "throttled": True}
            return render(request, "backoffice/login.html", context, status=429)
        if form.is_valid():
            login(request, form.get_user())
            request.session.pop(SESSION_KEY, None)
            return redirect(next_url or "backoffice:dashboard")
        for scope, key in _throttle_keys(request):
            ratelimit.hit(scope, key, limit=LOGIN_LIMIT, window_seconds=LOGIN_WINDOW)
    return render(request, "backoffice/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("backoffice:login")


@require_POST
@staff_required
def switch_business(request: HttpRequest) -> HttpResponse:
    """Work on another business the user belongs to."""
    try:
        business_id = int(request.POST.get("business", ""))
    except ValueError:
        business_id = 0
    if not choose_business(request, business_id):
        messages.error(request, _("You are not a member of that business."))
    return redirect("backoffice:dashboard")
