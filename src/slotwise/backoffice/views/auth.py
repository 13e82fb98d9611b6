"""Sign in (throttled), sign out, switching between the user's businesses; passwords (change,
"forgot password?") and joining a team from an invitation link."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from slotwise.backoffice.access import (
    SESSION_KEY,
    as_business_request,
    choose_business,
    current_membership,
    staff_required,
)
from slotwise.backoffice.forms import InvitationSignupForm, LanguageForm, add_domain_error
from slotwise.backoffice.views._util import _posted
from slotwise.core import errors, i18n, ratelimit
from slotwise.core import services as core
from slotwise.core.clock import utcnow

log = logging.getLogger(__name__)

#: Sign-in attempts allowed per client address, and per account name, in one window. Every
#: attempt takes one before its password is checked; a successful one gives it back.
LOGIN_LIMIT = 10
LOGIN_WINDOW = 600

#: "Forgot password?" requests per email address and per client address, in one window.
RESET_EMAIL_LIMIT = 5
RESET_IP_LIMIT = 20
RESET_WINDOW = 3600


# --- attempt tickets --------------------------------------------------------------------------


def _take(scope: str, key: str, *, limit: int, window: int) -> str | None:
    """Take one of ``limit`` numbered tickets of the current window; None when all are taken.

    Each ticket is a cache entry created with ``cache.add``, which succeeds for exactly one
    caller even when many arrive together (on the database cache it is an INSERT of a unique
    key). Counting with get-then-set would let parallel requests read the same count and all
    go through; so would checking the count before the attempt and adding to it after.
    """
    bucket = int(time.time() // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # any text, a safe cache key
    for number in range(1, limit + 1):
        ticket = f"tk:{scope}:{digest}:{bucket}:{number}"
        if cache.add(ticket, 1, timeout=window * 2):
            return ticket
    return None


def _take_all(keys: list[tuple[str, str]], *, limit: int, window: int) -> list[str] | None:
    """One ticket of every key, or none at all (None) when any key has used up its tickets."""
    taken: list[str] = []
    for scope, key in keys:
        ticket = _take(scope, key, limit=limit, window=window)
        if ticket is None:
            cache.delete_many(taken)
            return None
        taken.append(ticket)
    return taken


# --- sign in ----------------------------------------------------------------------------------


def _login_keys(request: HttpRequest, username: str) -> list[tuple[str, str]]:
    keys = [("login-ip", ratelimit.client_key(request))]
    if username:
        keys.append(("login-user", username))
    return keys


def _login_form(request: HttpRequest, data: object = None) -> AuthenticationForm:
    form = AuthenticationForm(request, data=data)
    form.fields["username"].label = _("Email")
    form.fields["username"].widget.attrs.update({"autocomplete": "username", "type": "email"})
    return form


@never_cache
@csrf_protect
def login_view(request: HttpRequest) -> HttpResponse:
    """Django's authentication with Argon2 hashes, limited per address and per account.

    The email is normalised (NFKC, case-folded) once, and that one spelling is both what signs
    in and what is counted: a full-width or upper-case variant is the same account and the
    same counter.
    """
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "backoffice:dashboard")
    if request.method != "POST":
        context = {"form": _login_form(request), "next": next_url}
        return render(request, "backoffice/login.html", context)
    data = request.POST.copy()
    username = core.normalise_email(data.get("username", ""))
    data["username"] = username
    tickets = _take_all(_login_keys(request, username), limit=LOGIN_LIMIT, window=LOGIN_WINDOW)
    if tickets is None:
        context = {"form": _login_form(request), "next": next_url, "throttled": True}
        return render(request, "backoffice/login.html", context, status=429)
    form = _login_form(request, data=data)
    if form.is_valid():
        cache.delete_many(tickets)  # a successful sign-in does not count against anyone
        login(request, form.get_user())
        request.session.pop(SESSION_KEY, None)  # land in the business used last
        return redirect(next_url or "backoffice:dashboard")
    return render(request, "backoffice/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("backoffice:login")


@require_POST
@staff_required
def switch_business(request: HttpRequest) -> HttpResponse:
    """Work on another business the user belongs to (and land there after the next sign-in)."""
    try:
        business_id = int(request.POST.get("business", ""))
    except ValueError:
        business_id = 0
    if not choose_business(request, business_id):
        messages.error(request, _("You are not a member of that business."))
    return redirect("backoffice:dashboard")


# --- passwords --------------------------------------------------------------------------------


class NormalisedEmailField(forms.EmailField):
    """An email address folded to its one spelling (NFKC, case-folded) before it is checked."""

    def to_python(self, value: Any) -> str:
        # CharField turns empty input into "" (its empty_value), never None.
        return core.normalise_email(super().to_python(value) or "")


#: Reset emails being handed to the mail server after their answer was sent (see ResetForm).
_reset_senders: set[threading.Thread] = set()
_reset_senders_lock = threading.Lock()


def _send_reset_mail(message: EmailMultiAlternatives, user_pk: Any) -> None:
    try:
        message.send()
    except Exception:
        log.exception("Failed to send password reset email to user %s", user_pk)
    finally:
        with _reset_senders_lock:
            _reset_senders.discard(threading.current_thread())


def reset_mails_wait(timeout: float = 10.0) -> None:
    """Wait until the reset emails being sent are sent (tests; a server never waits)."""
    with _reset_senders_lock:
        pending = list(_reset_senders)
    for thread in pending:
        thread.join(timeout)


class ResetForm(PasswordResetForm):
    """Django's reset form, finding accounts by the normalised address.

    Unlike Django's default it also serves accounts that never set a password (an owner
    created by ``create_business`` whose first link expired): every account here signs in
    with a password, so the link is how such a person gets one.

    The email is rendered here but handed to the mail server in a thread of its own, after
    the answer: an SMTP exchange takes from tens of milliseconds to seconds, and if the
    answer waited for it, its time alone would tell whether the address has an account.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # In the language the person chose, else the one their browser asked for (active now).
        chosen = core.user_language(context["user"])
        with translation.override(i18n.to_django(chosen) if chosen else translation.get_language()):
            subject = "".join(render_to_string(subject_template_name, context).splitlines())
            body = render_to_string(email_template_name, context)
            message = EmailMultiAlternatives(subject, body, from_email, [to_email])
            if html_email_template_name is not None:
                message.attach_alternative(
                    render_to_string(html_email_template_name, context), "text/html"
                )
        thread = threading.Thread(
            target=_send_reset_mail,
            args=(message, context["user"].pk),
            name="password-reset-mail",
            daemon=True,
        )
        with _reset_senders_lock:
            _reset_senders.add(thread)
        thread.start()

    email = NormalisedEmailField(
        label=_lazy("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email: str) -> Any:
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(email__iexact=email, is_active=True)


class _ResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "backoffice/password/reset.html"
    email_template_name = "backoffice/password/reset_email.txt"
    subject_template_name = "backoffice/password/reset_subject.txt"
    success_url = reverse_lazy("backoffice:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, str]:  # type: ignore[override]
        # Read when the email is made, not when the module is imported.
        return {"site_url": settings.SITE_URL}


_reset_view = _ResetView.as_view()


@never_cache
def password_reset(request: HttpRequest) -> HttpResponseBase:
    """ "Forgot password?": the same answer whether the address has an account or not.

    Requests are limited per client address and per (normalised) address asked for, counted
    the same way for every address, so the limit tells nothing about accounts either.
    """
    if request.method == "POST":
        email = core.normalise_email(request.POST.get("email", ""))
        keys = [("reset-ip", ratelimit.client_key(request))]
        if email:
            keys.append(("reset-email", email))
        allowed = _take_all(keys[:1], limit=RESET_IP_LIMIT, window=RESET_WINDOW) is not None
        if allowed and email:
            allowed = _take_all(keys[1:], limit=RESET_EMAIL_LIMIT, window=RESET_WINDOW) is not None
        if not allowed:
            context = {"form": ResetForm(), "throttled": True}
            return render(request, "backoffice/password/reset.html", context, status=429)
    return _reset_view(request)


password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="backoffice/password/reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="backoffice/password/reset_confirm.html",
    success_url=reverse_lazy("backoffice:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="backoffice/password/reset_complete.html"
)


@never_cache
@csrf_protect
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password; every other session of the account ends with the change.

    Django ties a session to the password hash, so sessions elsewhere are signed out by the
    new hash; ``update_session_auth_hash`` keeps this one.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    membership = current_membership(request)
    if membership is not None:  # the usual header and navigation
        request = as_business_request(request, membership)
    form = PasswordChangeForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed. Other devices were signed out."))
        return redirect("backoffice:password_change")
    return render(request, "backoffice/password/change.html", {"form": form})


@never_cache
@csrf_protect
def language(request: HttpRequest) -> HttpResponse:
    """One's own language: the backoffice's and that of the booking alerts one receives."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    membership = current_membership(request)
    if membership is not None:  # the usual header and navigation
        request = as_business_request(request, membership)
    form = LanguageForm(_posted(request), initial={"language": core.user_language(user)})
    if request.method == "POST" and form.is_valid():
        core.user_language_set(user=user, language=form.cleaned_data["language"])
        chosen = form.cleaned_data["language"]
        translation.activate(i18n.to_django(chosen) if chosen else translation.get_language())
        messages.success(request, _("Your language was saved."))
        return redirect("backoffice:language")
    return render(request, "backoffice/language.html", {"form": form})


# --- joining a team from an invitation ---------------------------------------------------------


def _bad_link(request: HttpRequest, exc: errors.DomainError) -> HttpResponse:
    status = 404 if isinstance(exc, errors.NotFound) else 410
    if status == 404:
        # Guessing tokens is answered as customers' links are: counted, then refused.
        ratelimit.hit(
            "invite-token",
            ratelimit.client_key(request),
            limit=ratelimit.BAD_TOKEN_LIMIT,
            window_seconds=ratelimit.BAD_TOKEN_WINDOW,
        )
    return render(request, "backoffice/invitation.html", {"problem": exc.message}, status=status)


@never_cache
@csrf_protect
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation link opens. Opening it (GET) changes nothing.

    With no account for the invited address the person chooses their name and password
    here; with one they sign in (if not already) and press "Join". Accepting signs them
    in to the business they joined.
    """
    if ratelimit.is_limited(
        "invite-token",
        ratelimit.client_key(request),
        limit=ratelimit.BAD_TOKEN_LIMIT,
        window_seconds=ratelimit.BAD_TOKEN_WINDOW,
    ):
        return render(
            request,
            "backoffice/invitation.html",
            {"problem": _("Too many attempts. Please wait a few minutes and try again.")},
            status=429,
        )
    now = utcnow()
    try:
        found = core.invitation_open(raw_token=token, now=now)
    except errors.DomainError as exc:
        return _bad_link(request, exc)
    account = core.account_for_email(found.email)
    user: Any = request.user
    signed_in_as = core.normalise_email(user.get_username()) if user.is_authenticated else ""
    form = InvitationSignupForm(_posted(request) if account is None else None)
    if request.method == "POST":
        try:
            if account is None:
                if form.is_valid():
                    new_user, membership = core.invitation_accept_new_account(
                        raw_token=token,
                        name=form.cleaned_data["name"],
                        password=form.cleaned_data["new_password1"],
                        now=now,
                    )
                    login(request, new_user)
                    return _joined(request, membership)
            elif signed_in_as == found.email:
                membership = core.invitation_accept(raw_token=token, user=user, now=now)
                return _joined(request, membership)
        except errors.DomainError as exc:
            if isinstance(exc, errors.InvalidInput):
                add_domain_error(form, exc)
            else:
                messages.error(request, exc.message)
                return redirect(request.path)
    login_url = reverse("backoffice:login") + "?" + urlencode({"next": request.path})
    context = {
        "invitation": found,
        "has_account": account is not None,
        "signed_in_as": signed_in_as,
        "form": form,
        "login_url": login_url,
    }
    return render(request, "backoffice/invitation.html", context)


def _joined(request: HttpRequest, membership: Any) -> HttpResponse:
    request.session[SESSION_KEY] = membership.business_id
    messages.success(
        request, _("Welcome to %(business)s.") % {"business": membership.business.name}
    )
    return redirect("backoffice:dashboard")
