"""API error messages in the client's language (docs/translating.md, "Whose language"): the
domain's refusals, the framework's own (a missing key, an unknown address) and every field
message of a 422, while ``code`` and each error's ``type`` stay the same for programs."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests.api.conftest import Api, key_for

pytestmark = pytest.mark.django_db

LANGUAGES = ["de", "fr", "es", "nl", "fi"]


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _ask(language: str, method: str, path: str, body=None, key: str = ""):
    """One API request in ``language``: its status and JSON body (never an HTML page)."""
    response = Api(key or None).request(method, path, body, headers={"Accept-Language": language})
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()


@pytest.mark.parametrize("language", LANGUAGES)
def test_api_errors_speak_the_clients_language(world, language) -> None:
    key = key_for(world.business)

    def says(status: int, code: str, english: str, answer) -> None:
        got_status, body = answer
        assert (got_status, body["code"]) == (status, code), body
        assert body["message"] == _in(language, english) != english, body

    says(
        404,
        "not_found",
        "Booking not found.",
        _ask(language, "get", "/api/v1/bookings/SW-ZZZZZZ", key=key),
    )
    says(
        404,
        "not_found",
        "Provider not found.",
        _ask(language, "get", "/api/v1/providers/999999", key=key),
    )
    says(
        401,
        "unauthorized",
        "A valid API key is required: send 'Authorization: Bearer <key>'.",
        _ask(language, "get", "/api/v1/bookings"),
    )
    # An address that is no operation: the API's JSON 404, not an HTML page.
    status, body = _ask(language, "get", "/api/v1/no-such-thing", key=key)
    assert status == 404 and body["code"] == "not_found"
    unknown = "There is no such address in the API. The operations are listed at %(docs)s."
    assert body["message"] == _in(language, unknown) % {"docs": "/api/v1/docs"}

    # A 422 from the field checks: the summary and each field's message translated.
    status, body = _ask(language, "post", "/api/v1/customers", {"name": "x" * 500}, key=key)
    assert (status, body["code"]) == (422, "invalid_input")
    assert body["message"] == _in(language, "Some of the information given is not valid.")
    by_field = {e["loc"][-1]: e for e in body["details"]["errors"]}
    assert by_field["email"]["type"] == "missing"
    assert by_field["email"]["msg"] == _in(language, "This field is required.")
    assert by_field["name"]["type"] == "string_too_long"
    limit = _in(language, "Give at most %(max_length)s characters.") % {"max_length": 200}
    assert by_field["name"]["msg"] == limit


def test_english_stays_the_default_and_unknown_types_get_the_general_message(world) -> None:
    from slotwise.api.errors import field_message

    key = key_for(world.business)
    status, body = _ask("en", "post", "/api/v1/customers", {"email": "x"}, key=key)
    assert status == 422 and body["message"] == "Some of the information given is not valid."
    messages = {e["loc"][-1]: e["msg"] for e in body["details"]["errors"]}
    assert messages == {
        "name": "This field is required.",
        "email": "Give at least 3 characters.",
    }
    assert field_message({"type": "something_new", "msg": "Pydantic's own words"}) == (
        "This value is not valid."
    )
    assert field_message({"type": "value_error", "ctx": {"error": ValueError("Ours.")}}) == "Ours."


def test_an_unknown_address_is_a_json_404_for_every_method_without_csrf(world) -> None:
    client = Client(enforce_csrf_checks=True)  # as an API client: no CSRF token
    for method in ("get", "post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404, (method, response.content[:200])
        assert response.json()["code"] == "not_found"
    assert client.get("/api/v1/openapi.json").status_code == 200  # not swallowed


def test_more_field_messages_and_choices_without_english_words() -> None:
    from slotwise.api.errors import field_message

    with translation.override("de"):
        choices = field_message({"type": "literal_error", "ctx": {"expected": "'caldav' or 'ics'"}})
        assert choices == "Geben Sie eines davon an: 'caldav', 'ics'."
        assert field_message({"type": "greater_than", "ctx": {"gt": 0}}) == (
            _in("de", "Give a number above %(gt)s.") % {"gt": 0}
        )
        pattern = field_message({"type": "string_pattern_mismatch", "ctx": {"pattern": "x"}})
        assert (
            pattern
            == _in("de", "This text is not in the expected form.")
            != ("This text is not in the expected form.")
        )
