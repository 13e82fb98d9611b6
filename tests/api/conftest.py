"""API test helpers: a key for the shared world's business, a JSON client, a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from slotwise.core.api_keys import api_key_create
from slotwise.core.models import Business
from tests.support.limits import forget_limits

#: A week before factories.MONDAY (2030-06-03): every test books "next week".
NOW = datetime(2030, 5, 27, 8, 0, tzinfo=UTC)


class Api:
    """A test client that speaks JSON and sends one business's key (or none)."""

    def __init__(self, key: str | None = None, remote_addr: str = "127.0.0.1") -> None:
        self.client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=remote_addr)
        self.key = key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        call = getattr(self.client, method)
        kwargs: dict[str, Any] = {"headers": self._headers(headers)}
        if method == "get":
            return call(url, query or {}, **kwargs)
        data = (
            body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
        )
        return call(url, data, content_type="application/json", **kwargs)

    def get(self, path: str, **query: Any) -> Any:
        return self.request("get", path, query=query)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("post", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("patch", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("put", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("delete", path, None, **kw)


def key_for(business: Business, name: str = "Test integration") -> str:
    return api_key_create(business=business, name=name, now=NOW)[1]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    forget_limits()
    yield
    forget_limits()


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def api(world: Any, frozen_now: datetime) -> Api:
    return Api(key_for(world.business))


@pytest.fixture
def other_api(other_world: Any, frozen_now: datetime) -> Api:
    return Api(key_for(other_world.business))


@pytest.fixture
def anon(frozen_now: datetime) -> Api:
    return Api()


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert body["message"]
    return body
