"""A ``requests`` session for calendar servers, held to the rules of ``core.outbound``.

The ``caldav`` client and the ICS download speak HTTP through ``requests``. This session:

* checks every request's URL (http/https only, no user name in it) and, at connect time,
  resolves the host, refuses it if any address is internal (loopback, private, link-local…,
  unless ``SLOTWISE_ALLOW_PRIVATE_URLS``) and connects to the address it checked, so DNS
  rebinding cannot swap one in; redirects are followed (RFC 6764 discovery needs them), and
  each hop goes through the same check;
* gives the whole session one deadline: every request gets only the time left (and at most
  ``per_request`` seconds), so one sync cannot hold a worker for longer than its budget;
* ignores proxy variables and ``.netrc`` (the business's password is the only credential).
"""

from __future__ import annotations

import socket
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from slotwise.core import outbound


class _Guarded:
    """Connect only to addresses ``core.outbound`` accepts (mixed into urllib3's classes)."""

    scheme = "http"

    def _new_conn(self) -> socket.socket:
        timeout = self.timeout if isinstance(self.timeout, int | float) else 10.0  # type: ignore[attr-defined]
        host = self._dns_host  # type: ignore[attr-defined]
        target = outbound.Target(self.scheme, host, self.port, "/")  # type: ignore[attr-defined]
        addresses = outbound.connect_addresses(target, timeout=timeout)
        last: OSError | None = None
        for _family, _kind, _proto, _name, sockaddr in addresses:
            try:
                return urllib3_connection.create_connection(
                    (sockaddr[0], sockaddr[1]),
                    timeout,
                    source_address=self.source_address,  # type: ignore[attr-defined]
                    socket_options=self.socket_options,  # type: ignore[attr-defined]
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"connecting to {host} timed out") from exc
            except OSError as exc:
                last = exc
        raise NewConnectionError(self, f"could not connect to {host}: {last}")  # type: ignore[arg-type]


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    scheme = "http"


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    scheme = "https"


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class DeadlineExceeded(outbound.OutboundError):
    """The session's time budget ran out."""


class GuardedAdapter(HTTPAdapter):
    def __init__(self, *, deadline: float, per_request: float) -> None:
        self.deadline = deadline
        self.per_request = per_request
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # type: ignore[attr-defined]
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }
        self.poolmanager.key_fn_by_scheme = dict(self.poolmanager.key_fn_by_scheme)  # type: ignore[attr-defined]

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        outbound.parse(request.url or "")
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("the calendar server did not answer in time")
        kwargs["timeout"] = min(remaining, self.per_request)
        return super().send(request, *args, **kwargs)


def guarded_session(*, budget_seconds: float = 60.0, per_request: float = 20.0) -> requests.Session:
    """A session whose requests all go through the checks above, within ``budget_seconds``."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(deadline=time.monotonic() + budget_seconds, per_request=per_request)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
