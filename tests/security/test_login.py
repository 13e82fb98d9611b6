"""Sign-in is throttled: repeated failures lock the account and the address out with a clear
message. The throttle itself is tested in tests/backoffice/test_auth.py
(test_failed_logins_are_throttled, test_throttle_is_per_account_across_addresses); this adds
that the lock holds for the right password too and names what happened."""

from __future__ import annotations

from django.test import Client

from slotwise.backoffice.views.auth import LOGIN_LIMIT
from tests.security.conftest import Tenant

LOGIN = "/backoffice/login/"


def test_repeated_failures_lock_out_with_a_clear_message(ours: Tenant, theirs: Tenant) -> None:
    client = Client(REMOTE_ADDR="198.51.100.4")
    for _ in range(LOGIN_LIMIT):
        assert (
            client.post(LOGIN, {"username": "owner@acme.test", "password": "no"}).status_code == 200
        )
    right = client.post(LOGIN, {"username": "owner@acme.test", "password": "a-long-test-password"})
    assert right.status_code == 429
    assert "Too many sign-in attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session
    # The address is locked for other accounts too; another address and account are not.
    other = client.post(LOGIN, {"username": "owner@globex.test", "password": "x"})
    assert other.status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.5").post(
        LOGIN, {"username": "owner@globex.test", "password": "a-long-test-password"}
    )
    assert elsewhere.status_code == 302
