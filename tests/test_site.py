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
