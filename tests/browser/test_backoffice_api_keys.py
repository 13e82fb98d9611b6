"""An owner creates an API key in the settings, copies it once, and revokes it."""

from __future__ import annotations

import pytest

from slotwise.api.models import ApiKey
from tests.browser._backoffice import sign_in, world_with_history
from tests.browser.conftest import assert_accessible, follow, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_and_revoke_api_key(live_server, desktop_page, phone_page):
    world_with_history()
    page = desktop_page
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/backoffice/settings/")
    page.get_by_role("link", name="API keys").first.click()
    page.get_by_label("Name").fill("Website widget")
    page.get_by_role("button", name="Create key").click()
    shown = page.get_by_label("New API key").input_value()
    assert shown.startswith("sw_")
    assert_accessible(page)
    screenshot(page, "backoffice-settings-api-keys-desktop")
    page.reload()
    assert page.get_by_label("New API key").count() == 0  # shown once only
    follow(page, page.get_by_role("link", name="Revoke key Website widget"))
    # A confirmation page first: revoking cannot be undone.
    assert "This cannot be undone." in page.locator("main").inner_text()
    follow(page, page.get_by_role("button", name="Revoke key"))
    assert page.get_by_text("Revoked", exact=True).is_visible()
    assert ApiKey.objects.get().revoked_at is not None

    sign_in(phone_page, live_server.url)
    phone_page.goto(live_server.url + "/backoffice/settings/api-keys/")
    assert_accessible(phone_page)
    screenshot(phone_page, "backoffice-settings-api-keys-phone")
