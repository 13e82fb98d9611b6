"""Data never writes a log line of its own: CR/LF in a message's arguments are escaped.

An address carrying ``\\r\\n`` used to reach the worker's log raw, so the text after it read
as a separate, forged log line.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from slotwise.core.logfilters import RedactSecrets, escape_line_breaks

FORGED = "victim@example.test\r\n2030-06-01 08:00:00 INFO slotwise.auth owner signed in"


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """What the app's configured console handler writes (LOGGING in settings)."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in h.filters)
    ]
    assert handlers, "the console handler with the redact filter is configured"
    stream = io.StringIO()
    old = [h.setStream(stream) for h in handlers if isinstance(h, logging.StreamHandler)]
    try:
        yield stream
    finally:
        for h, s in zip(handlers, old, strict=False):
            if isinstance(h, logging.StreamHandler) and s is not None:
                h.setStream(s)


def test_the_workers_log_line_with_a_crlf_address_stays_one_line(app_log: io.StringIO) -> None:
    log = logging.getLogger("slotwise.notifications.worker")
    log.warning(
        "message=%s kind=%s to=%s attempt=%s status=%s error=%s",
        42,
        "confirmation",
        FORGED,
        1,
        "awaiting_retry",
        "SMTPRecipientsRefused: {'x\\n': (550, b'no')}\nsecond line",
    )
    written = app_log.getvalue()
    assert written.count("\n") == 1, written  # only the handler's own terminator
    assert "\r" not in written
    assert "to=victim@example.test\\r\\n2030-06-01 08:00:00 INFO slotwise.auth" in written
    assert "error=SMTPRecipientsRefused" in written and "\\nsecond line" in written


def test_mapping_arguments_and_objects_are_escaped_too(app_log: io.StringIO) -> None:
    class Loud:
        def __str__(self) -> str:
            return "one\ntwo"

    log = logging.getLogger("slotwise.site")
    log.warning("who=%(who)s", {"who": FORGED})
    log.warning("thing=%s count=%d", Loud(), 3)
    lines = app_log.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].endswith("who=" + escape_line_breaks(FORGED))
    assert lines[1].endswith("thing=one\\ntwo count=3")


def test_the_apps_own_format_strings_are_left_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a\nb %s", ("c\nd",), None)
    RedactSecrets().filter(record)
    assert record.getMessage() == "a\nb c\\nd"
