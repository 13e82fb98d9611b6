"""The front page and the health check answer, with the security headers in place."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Appointment booking" in response.text
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_unknown_page_is_a_plain_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Traceback" not in response.text


def test_home_page_leads_a_visitor_to_sign_in_without_a_demo(client):
    response = client.get("/")
    assert 'href="/backoffice/login/"' in response.text
    assert "Try the demo booking page" not in response.text


def test_home_page_links_to_the_demo_booking_page_when_it_exists(client):
    from slotwise.bookings.management.commands.seed_demo import PAGE_SLUG, SLUG
    from tests import factories

    business = factories.make_business(SLUG, "Europe/Berlin")
    page = factories.make_page(business, [], [], slug=PAGE_SLUG)
    assert f'href="/book/{SLUG}/{PAGE_SLUG}/"' in client.get("/").text
    page.active = False  # a closed page is no destination
    page.save()
    assert "Try the demo booking page" not in client.get("/").text


def test_home_page_sends_signed_in_staff_to_their_dashboard(client, world):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="owner@acme.test"))
    body = client.get("/").text
    assert "Go to your dashboard" in body and 'href="/backoffice/"' in body
    assert "Staff sign in" not in body
