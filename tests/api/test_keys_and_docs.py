"""API keys (auth, revoke, the command), the error model, and the offline docs page."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from slotwise.api.models import ApiKey
from slotwise.core.api_keys import api_key_create, api_key_revoke
from tests.api.conftest import NOW, Api, assert_error

pytestmark = pytest.mark.django_db


def test_requests_need_a_valid_key(world: Any, frozen_now: Any) -> None:
    for api in (Api(), Api("sw_nope_nope"), Api("not-even-our-format")):
        response = api.get("services")
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    basic = Api()
    response = basic.client.get("/api/v1/services", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_error(response, 401, "unauthorized")


def test_key_is_stored_only_as_a_hash_and_can_be_revoked(world: Any, frozen_now: Any) -> None:
    key, raw = api_key_create(business=world.business, name="Zapier", now=NOW)
    assert raw.startswith(f"sw_{key.prefix}_") and len(raw) > 40
    assert raw not in {key.key_hash, key.prefix} and len(key.key_hash) == 64
    api = Api(raw)
    assert api.get("services").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == NOW
    api_key_revoke(business=world.business, key_id=key.pk, now=NOW)
    assert_error(api.get("services"), 401, "unauthorized")


def test_revoke_is_scoped(world: Any, other_world: Any) -> None:
    key, _ = api_key_create(business=world.business, name="Mine", now=NOW)
    with pytest.raises(Exception, match="not found"):
        api_key_revoke(business=other_world.business, key_id=key.pk, now=NOW)


def test_create_api_key_command_prints_the_key_last(world: Any, frozen_now: Any) -> None:
    out = StringIO()
    call_command("create_api_key", "--business", "acme", "--name", "Website", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert ApiKey.objects.get().name == "Website"
    assert Api(raw).get("services").status_code == 200
    with pytest.raises(CommandError):
        call_command("create_api_key", "--business", "nope", stdout=StringIO())


def test_unknown_operation_and_wrong_method(api: Api) -> None:
    response = api.delete("services")
    assert response.status_code == 405


def test_openapi_and_docs_work_offline_under_the_csp(anon: Api) -> None:
    schema = anon.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Slotwise API"
    assert "/api/v1/bookings/{reference}/reschedule" in schema["paths"]
    assert "/api/v1/docs/assets/{name}" not in schema["paths"]
    page = anon.get("/api/v1/docs")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "cdn" not in page.content.decode()
    html = page.content.decode()
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js"):
        assert f"/api/v1/docs/assets/{asset}" in html
        served = anon.get(f"/api/v1/docs/assets/{asset}")
        assert served.status_code == 200
        assert served.headers["Content-Type"].split(";")[0] in {"text/css", "text/javascript"}
    assert "<script>" not in html  # nothing inline to run
    assert anon.get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404
