"""The front page renders for a person on phone and desktop, accessibly."""

import pytest

from tests.browser.conftest import assert_accessible, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_front_page_phone_and_desktop(live_server, phone_page, desktop_page):
    for name, page in (("front-phone", phone_page), ("front-desktop", desktop_page)):
        page.goto(live_server.url + "/")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Appointment booking")
        # The stylesheet loaded (CSP allows 'self'): the card has its white background.
        bg = page.locator(".card").first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert bg == "rgb(255, 255, 255)"
        # No dead end: a visitor is offered the way in.
        assert page.get_by_role("link", name="Staff sign in").is_visible()
        assert_accessible(page)
        screenshot(page, name)
