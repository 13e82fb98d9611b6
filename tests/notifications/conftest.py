"""Fixtures for delivery tests: a real SMTP server that Django sends to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.smtp import SMTPServer


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A running SMTP server; Django's SMTP backend points at it for the test."""
    with SMTPServer() as server, server.settings():
        yield server


@pytest.fixture
def smtp_down() -> Iterator[SMTPServer]:
    """An SMTP server not started yet (nothing listens on its port); ``.start()`` it later."""
    server = SMTPServer()
    with server.settings():
        try:
            yield server
        finally:
            server.stop()
