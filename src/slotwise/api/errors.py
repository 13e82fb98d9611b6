"""One JSON error shape for every failure: ``{"code", "message", "details"}``.

Domain errors pass through with their own stable code and HTTP status; the framework's own
failures (bad JSON, failed validation, missing key, unknown URL) are mapped to the same shape.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from slotwise.core.errors import DomainError

#: Every operation documents these error statuses with the ErrorOut body.
ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422, 429})


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any]


# Errors the API itself raises (the domain's own live in core/errors.py).


class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401
    default_message = gettext_lazy(
        "A valid API key is required: send 'Authorization: Bearer <key>'."
    )


class RateLimited(DomainError):
    """Answered with a ``Retry-After`` header when ``details`` carry ``retry_after`` seconds."""

    code = "rate_limited"
    http_status = 429
    default_message = gettext_lazy("Too many requests. Please wait a while and try again.")


class TooMuchWork(DomainError):
    """An availability question larger than the configured cap (docs/api.md, "Limits")."""

    code = "too_much_work"
    http_status = 422
    default_message = gettext_lazy(
        "This question covers too many providers, days and times to answer at once. "
        "Narrow it: ask for fewer days (a shorter start-end window) or one provider."
    )


class PolicyImmutable(DomainError):
    code = "policy_immutable"
    http_status = 409
    default_message = gettext_lazy(
        "A booking's self-service policy is fixed when it is made and can never be changed."
    )


class UseAction(DomainError):
    code = "use_action"
    http_status = 409
    default_message = gettext_lazy(
        "This field cannot be changed with PATCH; use the booking's action."
    )


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_input",
    429: "rate_limited",
}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": message, "details": details or {}}
    return api.create_response(request, body, status=status)


#: Pydantic's error types, each with a message in the reader's language (``msg``); the
#: ``type`` stays as Pydantic names it, for programs. Placeholders come from the error's
#: ``ctx``. A type not listed here gets the general message.
_FIELD_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    "extra_forbidden": gettext_lazy("This field is not known here."),
    "string_type": gettext_lazy("Give text here."),
    "string_too_short": gettext_lazy("Give at least %(min_length)s characters."),
    "string_too_long": gettext_lazy("Give at most %(max_length)s characters."),
    "string_pattern_mismatch": gettext_lazy("This text is not in the expected form."),
    "int_type": gettext_lazy("Give a whole number."),
    "int_parsing": gettext_lazy("Give a whole number."),
    "int_from_float": gettext_lazy("Give a whole number."),
    "greater_than_equal": gettext_lazy("Give a number of at least %(ge)s."),
    "less_than_equal": gettext_lazy("Give a number of at most %(le)s."),
    "greater_than": gettext_lazy("Give a number above %(gt)s."),
    "less_than": gettext_lazy("Give a number below %(lt)s."),
    "time_type": gettext_lazy("Give a time such as 09:30."),
    "time_parsing": gettext_lazy("Give a time such as 09:30."),
    "bool_type": gettext_lazy("Give true or false."),
    "bool_parsing": gettext_lazy("Give true or false."),
    "literal_error": gettext_lazy("Give one of: %(expected)s."),
    "enum": gettext_lazy("Give one of: %(expected)s."),
    "datetime_type": gettext_lazy("Give a date and time such as 2030-06-03T10:00:00+02:00."),
    "datetime_parsing": gettext_lazy("Give a date and time such as 2030-06-03T10:00:00+02:00."),
    "datetime_from_date_parsing": gettext_lazy(
        "Give a date and time such as 2030-06-03T10:00:00+02:00."
    ),
    "timezone_aware": gettext_lazy("Give the time with its offset, such as +02:00."),
    "date_type": gettext_lazy("Give a date such as 2030-06-03."),
    "date_parsing": gettext_lazy("Give a date such as 2030-06-03."),
    "date_from_datetime_parsing": gettext_lazy("Give a date such as 2030-06-03."),
    "date_from_datetime_inexact": gettext_lazy("Give a date such as 2030-06-03."),
    "decimal_type": gettext_lazy("Give a number."),
    "decimal_parsing": gettext_lazy("Give a number."),
    "float_type": gettext_lazy("Give a number."),
    "float_parsing": gettext_lazy("Give a number."),
    "decimal_max_digits": gettext_lazy("This number has too many digits."),
    "decimal_max_places": gettext_lazy("This number has too many digits."),
    "decimal_whole_digits": gettext_lazy("This number has too many digits."),
    "list_type": gettext_lazy("Give a list."),
    "too_short": gettext_lazy("Give at least %(min_length)s items."),
    "too_long": gettext_lazy("Give at most %(max_length)s items."),
    "model_type": gettext_lazy("Give an object with its fields."),
    "model_attributes_type": gettext_lazy("Give an object with its fields."),
    "dict_type": gettext_lazy("Give an object with its fields."),
    "json_invalid": gettext_lazy("The body is not valid JSON."),
}


def field_message(error: dict[str, Any]) -> str:
    """One Pydantic error as a sentence in the active language."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])  # our own validators' messages, already translated
    template = _FIELD_MESSAGES.get(kind)
    if template is None:
        return _("This value is not valid.")
    values = {key: str(value) for key, value in ctx.items()}
    if "expected" in values:
        # Pydantic writes the choices as English prose ("'a', 'b' or 'c'"): a plain list.
        values["expected"] = re.sub(r"\s+or\s+", ", ", values["expected"])
    try:
        return str(template) % values
    except (KeyError, ValueError, TypeError):
        return _("This value is not valid.")


def _validation_details(exc: ValidationError) -> dict[str, Any]:
    """Pydantic's error list, trimmed to what a client can act on (and JSON-safe), each
    message in the reader's language."""
    errors = []
    for err in exc.errors:
        errors.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": field_message(err),
                "type": str(err.get("type", "")),
            }
        )
    return {"errors": errors}


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers that turn every expected failure into an ErrorOut body.

    Registered with the decorator: ``add_exception_handler``'s annotation asks for handlers
    that also take the exception class, which ours never receive.
    """

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        details = {
            k: v if isinstance(v, int | str | bool) else str(v) for k, v in exc.details.items()
        }
        response = error_response(
            api,
            request,
            status=exc.http_status,
            code=exc.code,
            message=exc.message,
            details=details,
        )
        if exc.http_status == 429 and "retry_after" in details:
            response["Retry-After"] = str(details["retry_after"])
        return response

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=422,
            code="invalid_input",
            message=_("Some of the information given is not valid."),
            details=_validation_details(exc),
        )

    @api.exception_handler(AuthenticationError)
    def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(
            api,
            request,
            status=401,
            code=Unauthorized.code,
            message=str(Unauthorized.default_message),
        )
        response["WWW-Authenticate"] = 'Bearer realm="slotwise"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        return error_response(
            api,
            request,
            status=status,
            code=_STATUS_CODES.get(status, "error"),
            message=str(exc),
        )

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))
