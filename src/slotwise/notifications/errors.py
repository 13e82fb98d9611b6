"""Failures a sender reports to the worker; the senders (email, webhooks) and the worker share them
without importing each other."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from slotwise.core.errors import DomainError


class UndeliverableMessage(Exception):
    """Retrying cannot help (e.g. the row names no booking); the row fails at once."""


class MailServerUnreachable(Exception):
    """No connection to the mail server could be made: every email in the batch waits."""


class NotResendable(DomainError):
    """Only a message that failed for good, and was not sent again already, can be resent."""

    code = "not_resendable"
    http_status = 409
    default_message = _("Only a failed notification can be sent again.")
