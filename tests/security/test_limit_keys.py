"""Who a rate limit counts: an IPv6 client by its /64 network, and a mailbox however its
address is tagged. Before, each IPv6 address had a count of its own (a host owns a whole /64,
so it could take a fresh count for every request), and ``ann+1@…``, ``ann+2@…`` each got the
per-address booking limit while every confirmation reached the same mailbox.
See docs/deployment.md, "Rate limits and work caps".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client, RequestFactory

from slotwise.core import ratelimit
from tests.api.conftest import Api, assert_error
from tests.security.test_abuse_limits import PAGE, _book_body, _monday_10
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shipped_rate_limits(settings: Any) -> Any:
    settings.SLOTWISE_RATE_LIMITS = dict(ratelimit.DEFAULT_LIMITS)

    forget_limits()
    with time_machine.travel(datetime(2030, 6, 1, 8, 0, 10, tzinfo=UTC), tick=False):
        yield
    forget_limits()


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unix:socket", "unix:socket"),
    ],
)
def test_client_keys(remote: str, key: str) -> None:
    assert ratelimit.client_key(RequestFactory().get("/", REMOTE_ADDR=remote)) == key


def test_ipv6_addresses_of_one_network_share_the_availability_limit(world: Any) -> None:
    limit, _window = ratelimit.DEFAULT_LIMITS["availability"]
    query = {"service_id": world.service.pk, "start": "2030-06-03T00:00:00+02:00"}
    for n in range(limit):
        one = Api(remote_addr=f"2001:db8:7:7::{n + 1:x}")
        assert one.get(f"{PAGE}/availability", **query).status_code == 200
    refused = Api(remote_addr="2001:db8:7:7:abcd::1").get(f"{PAGE}/availability", **query)
    assert_error(refused, 429, "rate_limited")
    # Another network is counted on its own.
    other = Api(remote_addr="2001:db8:7:8::1").get(f"{PAGE}/availability", **query)
    assert other.status_code == 200


def test_tagged_spellings_of_one_mailbox_share_its_booking_limit(world: Any) -> None:
    per_email, _window = ratelimit.DEFAULT_LIMITS["booking_email"]
    for n in range(per_email):
        body = _book_body(world, _monday_10(day=n), f"victim+{n}@example.test")
        created = Api(remote_addr=f"198.51.100.{n + 1}").post(f"{PAGE}/bookings", body)
        assert created.status_code == 201, created.content
    body = _book_body(world, _monday_10(day=3), "Victim+late@Example.test")
    refused = Api(remote_addr="198.51.100.50").post(f"{PAGE}/bookings", body)
    assert_error(refused, 429, "rate_limited")
    assert ratelimit.email_key("a+b+c@x.test") == ratelimit.email_key("A@X.test")


def test_sign_in_from_one_ipv6_network_shares_the_address_lock(world: Any) -> None:
    from slotwise.backoffice.views.auth import LOGIN_LIMIT

    for n in range(LOGIN_LIMIT):
        client = Client(REMOTE_ADDR=f"2001:db8:9:9::{n + 1:x}")
        wrong = {"username": f"nobody{n}@acme.test", "password": "wrong-password-here"}
        assert client.post("/backoffice/login/", wrong).status_code == 200
    last = Client(REMOTE_ADDR="2001:db8:9:9::ff").post(
        "/backoffice/login/", {"username": "other@acme.test", "password": "x"}
    )
    assert last.status_code == 429
