"""Failures a sender reports to the worker; the senders (email, webhooks) and the worker share them
without importing each other."""

from __future__ import annotations


class UndeliverableMessage(Exception):
    """Retrying cannot help (e.g. the row names no booking); the row fails at once."""


class MailServerUnreachable(Exception):
    """No connection to the mail server could be made: every email in the batch waits."""
