"""Calendar requests follow the outbound-address rules of webhooks (core/outbound.py)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from slotwise.calendars import remote
from slotwise.calendars.http import DeadlineExceeded, guarded_session
from slotwise.core import outbound


@pytest.fixture
def redirector():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cal.ics"
    server.shutdown()
    server.server_close()


def test_loopback_is_refused_at_connect_time_without_the_setting():
    with (
        override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=False),
        pytest.raises(remote.Unreachable) as caught,
    ):
        remote.fetch_ics("http://127.0.0.1:9/cal.ics")
    assert "loopback" in str(caught.value)


def test_a_redirect_to_a_link_local_address_is_refused_even_with_private_urls_on(redirector):
    # Private URLs on lets the test server on 127.0.0.1 answer; the redirect's target is then
    # checked again at its own connection and refused (it is not a private network address:
    # the cloud metadata service).
    with override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=False), pytest.raises(remote.Unreachable):
        remote.fetch_ics(redirector)


def test_only_http_and_https_and_no_credentials_in_the_url():
    session = guarded_session()
    with pytest.raises(outbound.UnsafeURL):
        session.get("http://user:pw@example.test/")
    with pytest.raises(Exception):  # noqa: B017 - requests refuses the scheme itself
        session.get("file:///etc/passwd")


def test_the_session_has_one_time_budget():
    session = guarded_session(budget_seconds=0)
    with pytest.raises(DeadlineExceeded):
        session.get("http://127.0.0.1:9/")


def test_reasons_are_worded_for_staff():
    import requests
    from caldav.lib import error as caldav_error

    assert "401" in remote._reason(caldav_error.AuthorizationError(reason="Unauthorized"))
    assert "403" in remote._reason(caldav_error.AuthorizationError(reason="403 Forbidden"))
    assert "404" in remote._reason(caldav_error.NotFoundError(reason="x"))
    assert "error" in remote._reason(caldav_error.DAVError(reason="500"))
    assert "in time" in remote._reason(requests.exceptions.ReadTimeout())
    assert "name" in remote._reason(
        requests.exceptions.ConnectionError("Failed to resolve 'nowhere.invalid'")
    )
    assert "reached" in remote._reason(requests.exceptions.ConnectionError("reset"))
    assert "failed" in remote._reason(requests.exceptions.TooManyRedirects())
    assert "could not be read" in remote._reason(ValueError("x"))
    assert remote._reason(outbound.OutboundError("slow")) == "slow"
