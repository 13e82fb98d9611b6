"""Setting up a business (a tenant) with sensible defaults; its profile, its team and the
invitations that bring people into it; the rules on roles."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slotwise.core import errors, events, i18n
from slotwise.core.models import (
    Business,
    Invitation,
    Membership,
    StaffPreferences,
    slug_validator,
    validate_timezone,
)
from slotwise.core.records import record_apply, record_save
from slotwise.core.validators import validate_email_address, validate_line

log = logging.getLogger(__name__)


def normalise_email(value: str) -> str:
    """The one spelling of an email address used as a sign-in name and throttle key.

    NFKC folds compatibility forms (full-width letters, ligatures) into plain ones and
    ``casefold`` is the Unicode-aware lower case, so every way of typing the same address
    finds the same account and counts against the same sign-in limit.
    """
    return unicodedata.normalize("NFKC", value).casefold().strip()


def _valid_email(value: str, *, field: str = "email") -> str:
    email = normalise_email(value)
    try:
        # Accounts sign in with their address as user name, which holds 150 characters.
        if len(email) > 150:
            raise ValidationError("too long")
        # The one address rule (core/validators.py): one mailbox, no list, no quotes, no controls.
        email = validate_email_address(email)
    except ValidationError:
        raise errors.InvalidInput(_("Enter a valid email address."), field=field) from None
    return email


def password_check(password: str, *, email: str, name: str = "", field: str = "password") -> None:
    """Django's password validators (length, common, numeric, like the name); else InvalidInput."""
    first, _sep, last = name.strip().partition(" ")
    candidate = get_user_model()(username=email, email=email, first_name=first, last_name=last)
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as exc:
        raise errors.InvalidInput(" ".join(exc.messages), field=field) from None


def business_create(
    *,
    slug: str,
    name: str,
    timezone: str,
    owner_email: str,
    owner_password: str | None = None,
    contact_email: str = "",
    phone: str = "",
    currency: str = "EUR",
) -> tuple[Business, AbstractBaseUser | None]:
    """Create a business, its owner login and its default settings (one reminder 24 h before).

    Run by the operator (``manage.py create_business``). Returns the business and the owner's
    account when it was created here without a password, so the caller sends it a link to
    set one (None otherwise). A given password must pass Django's validators. An existing
    account with that email becomes the owner and keeps its own password.
    """
    try:
        slug_validator(slug)
        validate_timezone(timezone)
    except ValidationError as exc:
        raise errors.InvalidInput(" ".join(exc.messages)) from None
    if not name.strip():
        raise errors.InvalidInput(_("A business needs a name."), field="name")
    try:
        owner_email = _valid_email(owner_email, field="owner_email")
    except errors.InvalidInput:
        raise errors.InvalidInput(
            _("The owner needs a valid email address."), field="owner_email"
        ) from None
    users = get_user_model()
    if owner_password is not None and not users.objects.filter(username=owner_email).exists():
        password_check(owner_password, email=owner_email, field="owner_password")
    if contact_email:
        try:
            contact_email = validate_email_address(contact_email)
        except ValidationError as exc:
            raise errors.InvalidInput(" ".join(exc.messages), field="contact_email") from None
    needs_password: AbstractBaseUser | None = None
    with transaction.atomic():
        if Business.objects.filter(slug=slug).exists():
            raise errors.InvalidInput(
                _("A business with the address name “%(slug)s” exists already.") % {"slug": slug},
                field="slug",
            )
        business = Business.objects.create(
            slug=slug,
            name=name.strip(),
            timezone=timezone,
            contact_email=contact_email or owner_email,
            phone=phone,
            currency=currency,
        )
        # Other apps add their defaults (notifications: settings and a 24-hour reminder).
        events.emit(events.BusinessCreated(business))
        user = users.objects.filter(username=owner_email).first()
        if user is None:
            # No password given: an unusable one, until the owner sets theirs from the link.
            user = users.objects.create_user(
                username=owner_email, email=owner_email, password=owner_password
            )
            if owner_password is None:
                needs_password = user
        Membership.objects.create(business=business, user=user, role=Membership.Role.OWNER)
    return business, needs_password


def business_profile_save(*, business: Business, changes: Mapping[str, Any]) -> Business:
    """Change the business's name, contact details, time zone and scheduling defaults."""
    record_apply(business, changes)
    return record_save(business)


def _files_delete(paths: list[str]) -> None:
    for path in paths:
        default_storage.delete(path)


#: The business's image fields that ``business_branding_save`` replaces or removes.
BRANDING_IMAGES = ("logo", "cover_image")


def business_branding_save(
    *, business: Business, changes: Mapping[str, Any], images: Mapping[str, File | None]
) -> Business:
    """Change the business's accent colour and description, and replace or remove its images.

    ``images`` maps "logo" or "cover_image" to a new, already checked file (stored under a
    random name) or to None (removed); an image not named is kept. The colour is checked
    again by the model (contrast against white). Old files are deleted from storage only
    once the change is committed, and new ones again when it is refused, so no page ever
    points at a missing file and no refused upload stays behind.
    """
    unknown = set(images) - set(BRANDING_IMAGES)
    if unknown:
        raise ValueError(f"not a branding image: {sorted(unknown)}")
    stored: list[str] = []
    with transaction.atomic():
        locked = Business.objects.select_for_update().get(pk=business.pk)
        old = {name: getattr(locked, name).name for name in images}
        record_apply(locked, changes)
        try:
            for name, upload in images.items():
                if upload is None:
                    setattr(locked, name, "")
                else:
                    getattr(locked, name).save(upload.name, upload, save=False)
                    stored.append(getattr(locked, name).name)
            record_save(locked)
        except BaseException:
            for path in stored:
                default_storage.delete(path)
            raise
        gone = [path for name, path in old.items() if path and path != getattr(locked, name).name]
        transaction.on_commit(lambda: _files_delete(gone))
    return locked


# --- languages ------------------------------------------------------------------------------


def staff_language(*, business_id: int, email: str) -> str:
    """The language the staff member with ``email`` in the business chose ("" if none)."""
    if not email:
        return ""
    found = (
        StaffPreferences.objects.filter(
            user__memberships__business_id=business_id, user__email__iexact=email
        )
        .exclude(language="")
        .values_list("language", flat=True)
        .first()
    )
    return found or ""


def user_language(user: Any) -> str:
    """The language a signed-in staff user chose ("" if none)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    found = StaffPreferences.objects.filter(user=user).values_list("language", flat=True).first()
    return found or ""


def user_language_set(*, user: Any, language: str) -> None:
    """Store the staff user's language ("" = the business's default)."""
    tag = i18n.language_tag(language) if language else ""
    if language and tag is None:
        raise ValidationError({"language": [i18n.validate_language_message(language)]})
    StaffPreferences.objects.update_or_create(user=user, defaults={"language": tag or ""})


# --- team: roles ------------------------------------------------------------------------------

OWNER = Membership.Role.OWNER


def _team_locked(business: Business) -> None:
    """Serialise every change to one business's team.

    Two owners demoting each other at the same moment would each see the other still an
    owner and leave none; with the business row locked first, the second change runs after
    the first has committed and its "another owner remains" check sees the truth.
    """
    Business.objects.select_for_update().filter(pk=business.pk).first()


def _membership_locked(business: Business, membership_id: int) -> Membership:
    found = Membership.objects.select_for_update().filter(business=business, pk=membership_id)
    membership = found.first()
    if membership is None:
        raise errors.NotFound(_("Team member not found."))
    return membership


def _actor_in(business: Business, actor: Membership) -> Membership:
    """The acting member as it is now (its role may have changed since the page was loaded)."""
    current = Membership.objects.filter(business=business, pk=actor.pk).first()
    if current is None:
        raise errors.NotAllowed(_("You are no longer a member of this business."))
    return current


def _ensure_an_owner_remains(business: Business, changing: Membership) -> None:
    if (
        changing.role == OWNER
        and not Membership.objects.filter(business=business, role=OWNER)
        .exclude(pk=changing.pk)
        .exists()
    ):
        raise errors.InvalidInput(
            _("A business needs at least one owner: make someone else owner first.")
        )


def _only_owners_touch_owners(actor: Membership) -> None:
    if actor.role != OWNER:
        raise errors.NotAllowed(_("Only an owner can grant, change or remove the owner role."))


def member_role_set(
    *, business: Business, actor: Membership, membership_id: int, role: str
) -> Membership:
    """Change a member's role.

    Only an owner may make someone owner or change an owner's role; the last owner cannot
    stop being one (not even by their own hand).
    """
    if role not in Membership.Role.values:
        raise errors.InvalidInput(_("Unknown role."), field="role")
    with transaction.atomic():
        _team_locked(business)
        actor = _actor_in(business, actor)
        membership = _membership_locked(business, membership_id)
        if OWNER in (role, membership.role):
            _only_owners_touch_owners(actor)
        if role != OWNER:
            _ensure_an_owner_remains(business, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def member_remove(*, business: Business, actor: Membership, membership_id: int) -> None:
    """Take a member's access away. Only an owner removes an owner; the last owner stays."""
    with transaction.atomic():
        _team_locked(business)
        actor = _actor_in(business, actor)
        membership = _membership_locked(business, membership_id)
        if membership.role == OWNER:
            _only_owners_touch_owners(actor)
        _ensure_an_owner_remains(business, membership)
        membership.delete()


def membership_mark_used(*, membership: Membership, now: datetime) -> None:
    """Remember that the person chose to work in this business (they land here next time)."""
    Membership.objects.filter(pk=membership.pk).update(last_used_at=now)


# --- team: invitations --------------------------------------------------------------------------

#: How long an invitation link works.
INVITATION_VALID_FOR = timedelta(days=7)


class InvitationNotSent(errors.DomainError):
    """The mail server did not take the invitation email; the invitation stays, resendable."""

    code = "invitation_not_sent"
    http_status = 502
    default_message = gettext_lazy("The invitation email could not be sent.")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)  # 256 bits
    return raw, hash_token(raw)


def invitation_create(
    *, business: Business, actor: Membership, email: str, role: str, now: datetime
) -> tuple[Invitation, str]:
    """Invite a person by email to join the team with a role; returns the row and the link's
    secret (to put in the email, never stored or shown).

    Whether an account with that email exists is not looked at here: the answer is the same
    either way, and nothing is attached until the person accepts. Inviting someone again
    replaces their open invitation (the old link stops working). Only an owner may invite an
    owner.
    """
    if role not in Membership.Role.values:
        raise errors.InvalidInput(_("Unknown role."), field="role")
    email = _valid_email(email)
    with transaction.atomic():
        _team_locked(business)
        actor = _actor_in(business, actor)
        if role == OWNER:
            _only_owners_touch_owners(actor)
        if Membership.objects.filter(business=business, user__username=email).exists():
            raise errors.InvalidInput(_("This person is already in the team."), field="email")
        Invitation.objects.filter(
            business=business, email=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        raw, digest = _new_token()
        invitation = Invitation.objects.create(
            business=business,
            email=email,
            role=role,
            token_hash=digest,
            invited_by=actor.user,
            created_at=now,
            expires_at=now + INVITATION_VALID_FOR,
        )
    return invitation, raw


def _open_invitation_locked(business: Business, invitation_id: int) -> Invitation:
    found = Invitation.objects.select_for_update().filter(
        business=business, pk=invitation_id, accepted_at=None, revoked_at=None
    )
    invitation = found.first()
    if invitation is None:
        raise errors.NotFound(_("This invitation is no longer open."))
    return invitation


def invitation_renew(
    *, business: Business, actor: Membership, invitation_id: int, now: datetime
) -> tuple[Invitation, str]:
    """A fresh link (and a fresh week) for an open invitation; the previous link stops working."""
    with transaction.atomic():
        _team_locked(business)
        actor = _actor_in(business, actor)
        invitation = _open_invitation_locked(business, invitation_id)
        if invitation.role == OWNER:
            _only_owners_touch_owners(actor)
        raw, digest = _new_token()
        invitation.token_hash = digest
        invitation.expires_at = now + INVITATION_VALID_FOR
        invitation.sent_at = None
        invitation.send_error = ""
        invitation.save(update_fields=["token_hash", "expires_at", "sent_at", "send_error"])
    return invitation, raw


def invitation_revoke(*, business: Business, invitation_id: int, now: datetime) -> Invitation:
    """Withdraw an open invitation: its link stops working at once."""
    with transaction.atomic():
        invitation = _open_invitation_locked(business, invitation_id)
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_deliver(*, invitation: Invitation, link: str, now: datetime) -> None:
    """Email the invitation's link now, through Django's mail connection.

    Sent at request time rather than through the outbox: the outbox renders booking messages
    and keeps no secrets, while this link's secret exists only until this email is written.
    A failure is recorded on the row and raised, so the page can say so and offer "Resend".
    """
    business = invitation.business
    inviter = invitation.invited_by
    context = {
        "business": business,
        "role": invitation.get_role_display(),
        "inviter": (inviter.get_full_name() or inviter.email) if inviter else "",
        "link": link,
        "expires_at": invitation.expires_at,
        "zone": business.tz,
    }
    # The invitee has no language of their own yet: the team's is the business's default.
    with translation.override(i18n.to_django(i18n.first_of(business.default_language))):
        subject = _("You are invited to join %(business)s on Slotwise") % {
            "business": business.name
        }
        text = render_to_string("core/email/invitation.txt", context)
        html = render_to_string("core/email/invitation.html", context)
    try:
        mail.send_mail(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [invitation.email],
            html_message=html,
            fail_silently=False,
        )
    except Exception as exc:  # any transport failure: SMTP, socket, TLS, DNS
        log.warning("invitation %s: email not sent: %s", invitation.pk, type(exc).__name__)
        reason = f"{type(exc).__name__}: {exc}"[:300]
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=None, send_error=reason)
        invitation.sent_at, invitation.send_error = None, reason
        raise InvitationNotSent(
            _(
                "The invitation to %(email)s could not be sent: the mail server did not accept "
                "it. Try “Resend” in a moment."
            )
            % {"email": invitation.email}
        ) from None
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=now, send_error="")
    invitation.sent_at, invitation.send_error = now, ""


def invitation_open(*, raw_token: str, now: datetime) -> Invitation:
    """The invitation a link names, if it can still be accepted; else NotFound or InvalidState.

    Only the holder of the link learns why a link no longer works (used, withdrawn,
    expired); a wrong token says nothing.
    """
    digest = hash_token(raw_token)
    invitation = (
        Invitation.objects.select_related("business", "invited_by")
        .filter(token_hash=digest)
        .first()
    )
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        raise errors.NotFound(_("This invitation link is not valid."))
    _ensure_usable(invitation, now)
    return invitation


def _ensure_usable(invitation: Invitation, now: datetime) -> None:
    if invitation.accepted_at is not None:
        raise errors.InvalidState(_("This invitation has already been accepted."))
    if invitation.revoked_at is not None:
        raise errors.InvalidState(_("This invitation was withdrawn or replaced by a newer one."))
    if now >= invitation.expires_at:
        raise errors.InvalidState(_("This invitation has expired."))


def account_for_email(email: str) -> AbstractBaseUser | None:
    """The account whose sign-in name is this (normalised) address, if any."""
    return get_user_model().objects.filter(username=normalise_email(email)).first()


def _accept_locked(raw_token: str, now: datetime) -> Invitation:
    digest = hash_token(raw_token)
    invitation = (
        Invitation.objects.select_for_update().select_related("business").filter(token_hash=digest)
    ).first()
    if invitation is None:
        raise errors.NotFound(_("This invitation link is not valid."))
    # Locked: a second accept (double submit, two tabs) waits here and then sees accepted_at.
    _ensure_usable(invitation, now)
    return invitation


def _join(invitation: Invitation, user: Any, now: datetime) -> Membership:
    membership = Membership.objects.filter(business=invitation.business, user=user).first()
    if membership is None:
        membership = Membership.objects.create(
            business=invitation.business, user=user, role=invitation.role, last_used_at=now
        )
    else:
        membership.last_used_at = now
        membership.save(update_fields=["last_used_at"])
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def invitation_accept(*, raw_token: str, user: Any, now: datetime) -> Membership:
    """The signed-in account joins the team, if the invitation was sent to its address."""
    with transaction.atomic():
        invitation = _accept_locked(raw_token, now)
        if normalise_email(user.get_username()) != invitation.email:
            raise errors.NotAllowed(
                _("This invitation was sent to another email address than the one you use.")
            )
        return _join(invitation, user, now)


def invitation_accept_new_account(
    *, raw_token: str, name: str, password: str, now: datetime
) -> tuple[Any, Membership]:
    """Create the invitee's account with the password they chose, and join the team."""
    name = name.strip()
    if not name:
        raise errors.InvalidInput(_("Please give your name."), field="name")
    try:
        validate_line(name)  # shown to the team: no line breaks, no bidirectional overrides
    except ValidationError as exc:
        raise errors.InvalidInput(" ".join(exc.messages), field="name") from None
    users = get_user_model()
    with transaction.atomic():
        invitation = _accept_locked(raw_token, now)
        if users.objects.filter(username=invitation.email).exists():
            raise errors.InvalidState(
                _("An account with this email exists: sign in to accept the invitation.")
            )
        password_check(password, email=invitation.email, name=name, field="new_password1")
        first, _sep, last = name.partition(" ")
        try:
            with transaction.atomic():
                user = users.objects.create_user(
                    username=invitation.email,
                    email=invitation.email,
                    password=password,
                    first_name=first[:150],
                    last_name=last[:150],
                )
        except IntegrityError:  # the same address signed up a moment ago
            raise errors.InvalidState(
                _("An account with this email exists: sign in to accept the invitation.")
            ) from None
        return user, _join(invitation, user, now)
