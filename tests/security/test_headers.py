"""Security headers on customer pages, manage pages, the backoffice and the API; HTTPS ones in
production; and ``manage.py check --deploy`` clean with production settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.security.conftest import Tenant

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3q!x9-production-like-secret-key-with-plenty-of-entropy-7f2c1e0b5d",
    "SITE_URL": "https://bookings.example.com",
    "ALLOWED_HOSTS": "bookings.example.com",
    "DATABASE_URL": "sqlite:////tmp/slotwise-deploy-check-unused.sqlite3",
    "EMAIL_URL": "smtp://mail.example.com:587?tls=1",
    "DJANGO_SETTINGS_MODULE": "slotwise.settings",
}


def _pages(ours: Tenant, owner_client: Client) -> dict[str, tuple[Client, str, str]]:
    """name → (client, path, expected Referrer-Policy)."""
    token, anon = ours.manage_token, Client()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ours.api_key_raw}")
    # Token pages: referrers stay on this site, and the page is not cached ("secret").
    same, none = "same-origin", "secret"
    return {
        "front page": (anon, "/", same),
        "booking page": (anon, "/book/acme/book/", same),
        "manage": (anon, f"/manage/{token}/", none),
        "manage cancel": (anon, f"/manage/{token}/cancel/", none),
        "manage reschedule": (anon, f"/manage/{token}/reschedule/", none),
        "manage calendar": (anon, f"/manage/{token}/calendar.ics", none),
        "rate": (anon, f"/rate/{ours.rate_token}/", none),
        "bad link": (anon, "/manage/not-a-real-token/", none),
        "backoffice login": (anon, "/backoffice/login/", same),
        "backoffice dashboard": (owner_client, "/backoffice/", same),
        "backoffice settings": (owner_client, "/backoffice/settings/business/", same),
        "api list": (api, "/api/v1/bookings", same),
        "api error": (api, "/api/v1/bookings/NOPE-1", same),
        "api docs": (anon, "/api/v1/docs", same),
        "api manage": (anon, f"/api/v1/manage/{token}", none),
    }


def test_security_headers_everywhere(ours: Tenant, owner_client: Client) -> None:
    for name, (client, path, referrer) in _pages(ours, owner_client).items():
        response = client.get(path)
        assert response.status_code in (200, 404), (name, response.status_code)
        csp = response.get("Content-Security-Policy", "")
        directives = dict(
            [*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip()
        )
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (name, csp)
        assert directives.get("default-src") == "'self'", (name, csp)
        assert directives.get("frame-ancestors") == "'none'", (name, csp)
        assert directives.get("object-src") == "'none'", (name, csp)
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name
        if referrer == "secret":
            assert "no-store" in response["Cache-Control"], name
        # Plain-HTTP development and tests: no HSTS, no redirect.
        assert "Strict-Transport-Security" not in response, name


def test_scripts_run_only_with_the_pages_nonce(ours: Tenant) -> None:
    response = Client().get(f"/manage/{ours.manage_token}/")
    csp = response["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'nonce-" in script_src
    nonce = script_src.split("'nonce-")[1].split("'")[0]
    body = response.content.decode()
    for tag in body.split("<script")[1:]:
        assert f'nonce="{nonce}"' in tag.split(">")[0] or "src=" in tag.split(">")[0]


@override_settings(
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_hsts_on_https_requests(ours: Tenant) -> None:
    response = Client(HTTP_X_FORWARDED_PROTO="https").get(f"/manage/{ours.manage_token}/")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["Referrer-Policy"] == "same-origin"


#: Runs once, in a process of its own with production settings: Django's deploy checks, then
#: what a plain and an HTTPS request (as the load balancer forwards them) are answered.
PROBE = """
import io, json, django
django.setup()
from django.conf import settings as s
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
out = io.StringIO()
try:
    call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=out)
    check = out.getvalue()
except SystemCheckError as exc:
    check = "FAILED " + out.getvalue() + str(exc)
c = Client(HTTP_HOST="bookings.example.com")
plain = c.get("/api/v1/openapi.json")
secure = c.get("/api/v1/openapi.json", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "check": check,
    "redirect": [plain.status_code, plain.get("Location", "")],
    "hsts": secure.get("Strict-Transport-Security", ""),
    "secure_status": secure.status_code,
    "exempt": s.SECURE_REDIRECT_EXEMPT,
    "cookies_secure": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "body_limit": s.DATA_UPLOAD_MAX_MEMORY_SIZE,
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # The browser tests' switch for Playwright's event loop is not part of a deployment.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        **PRODUCTION_ENV,
        "SLOTWISE_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_check_deploy_is_clean_with_production_settings(production: dict[str, Any]) -> None:
    """``manage.py check --deploy`` with DEBUG off, a strong key, an https SITE_URL: no issue."""
    assert production["check"].startswith("System check identified no issues"), production["check"]


def test_production_settings_redirect_to_https_and_send_hsts(production: dict[str, Any]) -> None:
    assert production["redirect"] == [301, "https://bookings.example.com/api/v1/openapi.json"]
    assert production["secure_status"] == 200
    assert production["hsts"] == "max-age=31536000; includeSubDomains"
    # The load balancer's plain-HTTP health probe is answered, not redirected.
    assert production["exempt"] == ["^healthz$"]
    assert production["cookies_secure"] == [True, True]
    assert 0 < production["body_limit"] <= 1024 * 1024


@override_settings(SECRET_KEY="short", DEBUG=True)
def test_the_deploy_checks_are_real() -> None:
    """The same checks do report a weak key and DEBUG, so "no issues" above means something."""
    from django.core import checks

    found = {m.id for m in checks.run_checks(include_deployment_checks=True)}
    assert {"security.W009", "security.W018"} <= found
