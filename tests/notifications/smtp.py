"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every message it accepts.

    with SMTPServer() as server, server.settings():
        ...  # Django's SMTP backend now delivers to ``server``
        assert server.count_by_message_id() == {...}

``SMTPServer(delay=0.3)`` answers each message 0.3 s after receiving it (a slow server). The
message is recorded as soon as its data has arrived, before the answer: a client killed while
waiting for that answer has still handed the message over, as with a real server.
The port is chosen when the object is made, so ``start()`` can come later (an outage first).
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.parser
import email.policy
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

HOST = "127.0.0.1"

# aiosmtpd logs every SMTP command at INFO: thousands of lines per test, and time spent.
logging.getLogger("mail.log").setLevel(logging.WARNING)

#: Django 6.1 deprecates the EMAIL_* settings (for MAILERS), but they are what Slotwise's
#: settings use, so the tests override those; mark test modules with this to keep quiet.
ignore_email_settings_deprecation = pytest.mark.filterwarnings(
    "ignore:The EMAIL_[A-Z_]+ setting is deprecated"
)


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    at: float = field(default_factory=time.monotonic)
    #: The client's (address, port): messages with the same peer came over one connection.
    peer: tuple[str, int] | None = None

    @cached_property
    def message(self) -> email.message.EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    @cached_property
    def message_id(self) -> str:
        # Headers only: counting thousands of messages must not parse every body.
        head = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(self.data)
        return str(head["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def parts(self, content_type: str) -> list[email.message.EmailMessage]:
        return [p for p in self.message.walk() if p.get_content_type() == content_type]


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.server._record(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=envelope.original_content or envelope.content,
                peer=tuple(session.peer) if session.peer else None,
            )
        )
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, *, delay: float = 0.0, port: int | None = None) -> None:
        self.delay = delay
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._controller: Controller | None = None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> SMTPServer:
        assert self._controller is None, "already running"
        controller = Controller(_Handler(self), hostname=HOST, port=self.port)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """For ``EMAIL_URL`` (slotwise.config.email_from_url)."""
        return f"smtp://{HOST}:{self.port}"

    def settings(self) -> override_settings:
        """Django settings that send through this server (whether it is up or not)."""
        return override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=HOST,
            EMAIL_PORT=self.port,
            EMAIL_TIMEOUT=10,  # a server that stops answering fails the test, not hangs it
        )

    # --- what arrived -------------------------------------------------------------------

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    @property
    def received(self) -> list[Received]:
        """A snapshot, in arrival order."""
        with self._lock:
            return list(self._received)

    def __len__(self) -> int:
        with self._lock:
            return len(self._received)

    def count_by_message_id(self) -> Counter[str]:
        return Counter(r.message_id for r in self.received)

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], *, timeout: float, what: str = ""
    ) -> list[Received]:
        """Poll until ``predicate(received)`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            snapshot = self.received
            if predicate(snapshot):
                return snapshot
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"SMTP server: timed out after {timeout} s waiting for {what or predicate}"
                    f" ({len(snapshot)} messages received)"
                )
            time.sleep(0.01)
