"""Email transport: an email becomes bytes on the wire and goes to the mail server.

Everything about talking to the server lives here: the wire bytes (``wire_bytes``, the same
MIME Django writes, made faster), the connection that is opened once and reused across
batches (``send``, ``new_mail_connection``, ``close_quietly``), and the cache of envelope
addresses. Rendering (``render.py``) decides what an email says; the worker (``worker.py``)
decides when it is sent and records the outcome.
"""

from __future__ import annotations

import binascii
import email.policy
import logging
import secrets
import smtplib
from datetime import UTC, datetime
from email.message import MIMEPart
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from slotwise.notifications import ics
from slotwise.notifications.errors import MailServerUnreachable

log = logging.getLogger("slotwise.worker")


# --- the connection -------------------------------------------------------------------------


def new_mail_connection() -> Any:
    """A connection to the configured mail server (not opened yet)."""
    return mailers.default


def close_quietly(conn: Any) -> None:
    """Close a mail connection; a broken one must not hide the batch's outcome."""
    try:
        conn.close()
    except Exception:
        log.debug("closing the mail connection failed", exc_info=True)


def send(email: Any, mail_connection: Any) -> None:
    """Hand ``email`` to the mail server over ``mail_connection``, opening it if needed.

    Raises ``MailServerUnreachable`` when no connection can be made (every email waits), and
    whatever the server answered when it refused this email; in both cases the connection
    is closed, so the next email starts afresh.
    """
    try:
        # Opens the connection when it is not open yet (first message, or after an error);
        # an open connection is reused for the rest of the batch and the next batches.
        mail_connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        close_quietly(mail_connection)
        raise MailServerUnreachable(f"{type(exc).__name__}: {exc}") from exc
    try:
        accepted = hand_over(email, mail_connection)
    except Exception:
        # Whatever state the SMTP dialogue is in now, the next message starts afresh.
        close_quietly(mail_connection)
        raise
    if accepted != 1:
        raise RuntimeError("the mail server did not accept the message")


def hand_over(email: Any, mail_connection: Any) -> int:
    """Give one email to the mail server; how many it accepted (1, or raises).

    With Django's own SMTP backend the bytes are made by ``wire_bytes`` (the same bytes,
    made faster) and handed to its open SMTP session; other backends — subclasses included,
    which may sign or change a message on its way — send as usual.
    """
    session = getattr(mail_connection, "connection", None)
    if type(mail_connection) is not SMTPBackend or session is None:
        return int(mail_connection.send_messages([email]))
    recipients = [_envelope_address(mail_connection, a) for a in email.recipients()]
    if not recipients:
        return 0
    sender = _envelope_address(mail_connection, email.from_email)
    # Raises SMTPRecipientsRefused / SMTPDataError unless the server took the message.
    session.sendmail(sender, recipients, wire_bytes(email))
    return 1


_ENVELOPE_CACHE: dict[str, str] = {}


def _envelope_address(backend: SMTPBackend, address: str) -> str:
    """``backend.prep_address(address)``, remembered: the same senders and customers recur."""
    found = _ENVELOPE_CACHE.get(address)
    if found is None:
        found = backend.prep_address(address)  # raises ValueError for a bad address
        if len(_ENVELOPE_CACHE) >= 4096:
            _ENVELOPE_CACHE.clear()
        _ENVELOPE_CACHE[address] = found
    return found


# --- the bytes ------------------------------------------------------------------------------


#: ``email.policy.SMTP`` (what Django's SMTP backend uses: CRLF line ends), with cached
#: header classes.
WIRE_POLICY = email.policy.SMTP.clone(header_factory=ics.CachedHeaderRegistry())


def wire_bytes(email_message: EmailMultiAlternatives) -> bytes:
    """The email as bytes for SMTP: the same MIME structure Django writes, made faster.

    Emails of the shape ``build_email`` makes (plain text, one HTML alternative, optional
    calendar parts, ASCII-safe headers) are written directly; turning them into bytes through
    ``email.message`` took longer than rendering them. Anything else, and any header that
    needs encoding or folding, goes through the email package with ``WIRE_POLICY``.
    """
    fast = _direct_bytes(email_message)
    if fast is not None:
        return fast
    return email_message.message(policy=WIRE_POLICY).as_bytes()


_CRLF = b"\r\n"
_DIRECT_HEADERS = frozenset({"Message-ID", "Auto-Submitted"})


def _direct_bytes(m: EmailMultiAlternatives) -> bytes | None:
    """``wire_bytes`` for the usual shape; None when the email package must do it."""
    html = m.alternatives[0] if len(m.alternatives) == 1 else None
    if (
        type(m) is not EmailMultiAlternatives
        or m.encoding not in (None, "utf-8")
        or m.content_subtype != "plain"
        or m.cc
        or html is None
        or html[1] != "text/html"
        or not isinstance(html[0], str)
        or not all(isinstance(a, MIMEPart) for a in m.attachments)
        or not set(m.extra_headers) <= _DIRECT_HEADERS
    ):
        return None
    headers = [
        ("Subject", m.subject),
        ("From", m.extra_headers.get("From", m.from_email)),
        ("To", ", ".join(m.to)),
    ]
    if m.reply_to:
        headers.append(("Reply-To", ", ".join(m.reply_to)))
    sent = datetime.now(UTC)
    headers.append(
        ("Date", format_datetime(sent.astimezone() if settings.EMAIL_USE_LOCALTIME else sent))
    )
    headers.append(("Message-ID", m.extra_headers.get("Message-ID") or make_msgid()))
    headers += [(k, v) for k, v in m.extra_headers.items() if k != "Message-ID"]
    if any("\n" in str(v) or "\r" in str(v) for _, v in headers):
        return None  # let Django refuse it with its own error
    text = _text_part("plain", str(m.body))
    page = _text_part("html", html[0])
    inner = _boundary(text, page)
    alternative = _multipart("alternative", inner, [text, page])
    out = [b"MIME-Version: 1.0\r\n"]
    if m.attachments:
        parts = [alternative] + [a.as_bytes(policy=WIRE_POLICY) for a in m.attachments]
        outer = _boundary(*parts)
        body = _multipart("mixed", outer, parts)
    else:
        body = alternative
    head, _, rest = body.partition(b"\r\n\r\n")  # the top part's Content-Type header
    out.append(head + _CRLF)
    out += [_header(name, str(value)) for name, value in headers]
    out += [_CRLF, rest]
    return b"".join(out)


def _header(name: str, value: str) -> bytes:
    line = f"{name}: {value}"
    if line.isascii() and len(line) <= 78:
        return line.encode("ascii") + _CRLF
    return WIRE_POLICY.fold_binary(name, value)  # encoded words, folding: the policy's job


def _text_part(subtype: str, text: str) -> bytes:
    """A ``text/<subtype>; charset=utf-8`` part: 7bit when it can be, else quoted-printable."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    lines = data.split(b"\n")
    if data.isascii() and max(len(line) for line in lines) <= 998:
        cte, payload = b"7bit", _CRLF.join(lines)
    else:
        cte = b"quoted-printable"
        payload = binascii.b2a_qp(data, istext=True).replace(b"\n", _CRLF)
    if not payload.endswith(_CRLF):
        payload += _CRLF
    return b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: %s\r\n\r\n%s' % (
        subtype.encode("ascii"),
        cte,
        payload,
    )


def _boundary(*parts: bytes) -> bytes:
    while True:
        boundary = b"===============%019d==" % secrets.randbelow(10**19)
        if not any(boundary in part for part in parts):
            return boundary


def _multipart(subtype: str, boundary: bytes, parts: list[bytes]) -> bytes:
    """A multipart body with its Content-Type line first (the caller may lift it out)."""
    out = [b'Content-Type: multipart/%s;\r\n boundary="%s"\r\n\r\n' % (subtype.encode(), boundary)]
    for part in parts:
        out += [b"--", boundary, _CRLF, part]
        if not part.endswith(_CRLF):
            out.append(_CRLF)
        out.append(_CRLF)  # the line break before a delimiter belongs to the delimiter
    out += [b"--", boundary, b"--", _CRLF]
    return b"".join(out)
