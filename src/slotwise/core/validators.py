"""What an email address, a name and a free text may hold: one rule for every way in.

The booking page, the public and staff API, the backoffice wizard and the customer forms all
call these, so an address that one of them refuses is refused by all. Each validator raises
Django's ``ValidationError`` (a form shows it next to the field; an API schema turns it into a
422 ``invalid_input``; a service turns it into ``InvalidInput``) and returns the cleaned value.

Why so strict: an address is used as a mail recipient and written to logs. ``a@b, c@d`` would
reach two people, and a CR/LF inside one could add a header to a message or a line to a log.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

#: The longest address SMTP carries (RFC 5321 path limit minus the angle brackets).
EMAIL_MAX_LENGTH = 254

#: Characters a multi-line text (notes, reasons, comments) may keep although they are controls.
TEXT_ALLOWED_CONTROLS = frozenset("\n\r\t")

_EMAIL_MESSAGE = _("Please give one valid email address, like name@example.com.")
_django_email = EmailValidator(message=_EMAIL_MESSAGE)


#: The bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069):
#: a name holding them is shown reversed or reordered ("Trojan Source" spoofing in the
#: backoffice, emails and logs). Right-to-left names need none of them; the plain marks
#: (U+200E, U+200F) stay allowed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls (NUL, CR, LF, ESC…); Zl/Zp: the Unicode line and paragraph separators,
    # which some log viewers and mail clients also break lines on.
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS


def has_control_characters(value: str, *, allowed: frozenset[str] = frozenset()) -> bool:
    """Whether ``value`` holds a control or line-separator character not in ``allowed``."""
    return any(_is_control(c) and c not in allowed for c in value)


def validate_email_address(value: str) -> str:
    """One mailbox address, surrounding white space removed; refuse anything else.

    Refused: lists (``a@b, c@d``), several ``@`` (``a@b@c``), quoted local parts, display names
    (``Ann <a@b.c>``), white space or control characters anywhere inside, and addresses longer
    than SMTP carries.
    """
    address = value.strip()
    if (
        not address
        or len(address) > EMAIL_MAX_LENGTH
        or has_control_characters(address)
        or address.count("@") != 1
        # Django's validator accepts a quoted local part ("a,b"@c.d, with controls inside the
        # quotes): nobody books with one, and it is how a list would slip through.
        or any(c in address for c in '"<>,;: \\()[]')
        or any(c.isspace() for c in address)
    ):
        raise ValidationError(_EMAIL_MESSAGE, code="invalid")
    local, _at, _domain = address.partition("@")
    if not local or len(local) > 64:
        raise ValidationError(_EMAIL_MESSAGE, code="invalid")
    _django_email(address)
    return address


def validate_line(value: str) -> str:
    """A one-line text (a name, a phone number, a zone): no control characters at all."""
    if has_control_characters(value):
        raise ValidationError(
            _("Please remove the control characters (such as line breaks) from this text."),
            code="control_characters",
        )
    return value


def validate_text(value: str) -> str:
    """A multi-line text (notes, a reason, a comment): line breaks and tabs only.

    Line endings are kept as ``\\n`` (a browser sends ``\\r\\n`` from a text area).
    """
    if has_control_characters(value, allowed=TEXT_ALLOWED_CONTROLS):
        raise ValidationError(
            _("Please remove the control characters from this text."),
            code="control_characters",
        )
    return value.replace("\r\n", "\n").replace("\r", "\n")
