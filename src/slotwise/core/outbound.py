"""Requests Slotwise makes to addresses its users typed (webhooks now, calendars later).

A URL a business enters must never make our servers talk to themselves or to the private
network around them (a database port, a cloud metadata service at 169.254.169.254, an admin
page on 127.0.0.1). So every such URL is checked twice:

* on save, ``check_url`` refuses what can be seen to be internal: a literal internal address,
  ``localhost``, or a name that resolves to an internal address right now;
* at connect time, ``post`` resolves the name again, refuses if *any* address it resolves to
  is internal, and connects to the address it checked, so a name whose DNS answer changes
  between the check and the connection (DNS rebinding) cannot swap in another. The ``Host``
  header, TLS SNI and the certificate check still use the real host name.

Internal means loopback, private, shared (carrier-grade NAT), link-local, multicast, reserved,
documentation and unspecified addresses, IPv4 and IPv6, including IPv4 addresses carried
inside IPv6 (``::ffff:127.0.0.1``, 6to4, NAT64). ``settings.SLOTWISE_ALLOW_PRIVATE_URLS``
(environment variable of the same name) turns both checks off, for development and tests
whose receivers listen on 127.0.0.1.

``post`` never follows a redirect (the 3xx is the answer) and gives the whole exchange
(name lookup, connect, TLS, send, reading the status line and headers) one deadline, so a
receiver that trickles a byte every few seconds cannot hold the caller longer than that.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from slotwise.core import errors

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(errors.InvalidInput):
    """The URL is not one Slotwise will send requests to; the message says why."""


class OutboundError(Exception):
    """A request to an outside URL failed; the message is safe to show to the business."""


def private_urls_allowed() -> bool:
    """True when internal targets are allowed (development and tests only)."""
    return bool(getattr(settings, "SLOTWISE_ALLOW_PRIVATE_URLS", False))


def internal_reason(address: IPAddress) -> str | None:
    """Why ``address`` is internal ("a loopback address", …), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (address.sixtofour if address.sixtofour else None)
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            reason = internal_reason(embedded)
            if reason:
                return reason
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private network address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        return "a non-public address"
    return None


@dataclass(frozen=True)
class Target:
    """A checked URL, split into what a connection needs."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line

    @property
    def is_literal(self) -> bool:
        return _literal(self.host) is not None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def parse(url: str) -> Target:
    """Split an http(s) URL; raises UnsafeURL when it is not one we can send to."""
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UnsafeURL("The URL must not contain spaces or control characters.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("The URL is not valid.", field="url") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeURL("The URL must start with https:// or http://.", field="url")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("The URL must name a host.", field="url")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("The URL must not contain a user name or password.", field="url")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _refuse(host: str, reason: str, address: IPAddress | None = None) -> UnsafeURL:
    where = f"{host}" if address is None or str(address) == host else f"{host} ({address})"
    return UnsafeURL(
        f"The URL points at {reason} ({where}); only public internet addresses can receive "
        "requests.",
        field="url",
    )


def resolve(host: str, port: int, *, timeout: float) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` for a TCP connection, given up after ``timeout`` seconds.

    The lookup runs in a daemon thread because the resolver itself cannot be interrupted; a
    lookup that is given up on finishes (or not) on its own.
    """
    found: list[Any] = []
    failure: list[BaseException] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    thread = threading.Thread(target=lookup, name="outbound-resolve", daemon=True)
    thread.start()
    thread.join(max(timeout, 0.0))
    if thread.is_alive():
        raise OutboundError(f"looking up {host} took longer than {timeout:.1f} s")
    if failure:
        raise OutboundError(f"could not find the address of {host}")
    return found


def check_url(url: str, *, resolve_timeout: float = 3.0) -> Target:
    """The checks made when a URL is saved; raises UnsafeURL (an InvalidInput) with why.

    A name that cannot be resolved now is accepted (its DNS may come later); the connect-time
    check in ``post`` decides then.
    """
    target = parse(url)
    if private_urls_allowed():
        return target
    literal = _literal(target.host)
    if literal is not None:
        reason = internal_reason(literal)
        if reason:
            raise _refuse(target.host, reason)
        return target
    name = target.host.lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise _refuse(target.host, "a loopback address")
    try:
        infos = resolve(target.host, target.port, timeout=resolve_timeout)
    except OutboundError:
        return target
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        reason = internal_reason(address)
        if reason:
            raise _refuse(target.host, reason, address)
    return target


def connect_addresses(target: Target, *, timeout: float) -> list[tuple[Any, ...]]:
    """The addresses to connect to, all checked; refuses the host if any one is internal."""
    infos = resolve(target.host, target.port, timeout=timeout)
    if not infos:
        raise OutboundError(f"could not find the address of {target.host}")
    if not private_urls_allowed():
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            reason = internal_reason(address)
            if reason:
                raise _refuse(target.host, reason, address)
    return infos


# --- one deadline for the whole exchange ---------------------------------------------------


class _Deadline:
    """Gives every blocking socket call only the time left until ``deadline`` (monotonic).

    Python's socket timeouts apply per call; a receiver sending one byte per call would reset
    them forever. Re-arming the timeout before each call with what remains bounds the sum.
    """

    deadline: float = 0.0

    def _arm(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the deadline passed")
        self.settimeout(remaining)  # type: ignore[attr-defined]

    # The calls both socket classes share; each class adds its own (connect, handshake, …).
    def recv(self, *args: Any) -> bytes:
        self._arm()
        return super().recv(*args)  # type: ignore[misc]

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return super().recv_into(*args)  # type: ignore[misc]

    def send(self, *args: Any) -> int:
        self._arm()
        return super().send(*args)  # type: ignore[misc]

    def sendall(self, *args: Any) -> None:
        self._arm()
        super().sendall(*args)  # type: ignore[misc]


class _DeadlineSocket(_Deadline, socket.socket):
    def connect(self, address: Any) -> None:
        self._arm()
        super().connect(address)


class _DeadlineSSLSocket(_Deadline, ssl.SSLSocket):
    def do_handshake(self, *args: Any) -> None:
        self._arm()
        super().do_handshake(*args)

    def read(self, *args: Any) -> Any:
        self._arm()
        return super().read(*args)

    def write(self, *args: Any) -> int:
        self._arm()
        return super().write(*args)


_tls_context: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The system's CA store with host name checks on; our socket class enforces the deadline."""
    global _tls_context
    if _tls_context is None:
        context = ssl.create_default_context()
        context.sslsocket_class = _DeadlineSSLSocket
        _tls_context = context
    return _tls_context


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to an address checked beforehand, under the host's real name."""

    def __init__(self, target: Target, addresses: list[tuple[Any, ...]], deadline: float) -> None:
        super().__init__(target.host, target.port)
        # The Host header names the port only when it is not the scheme's own.
        self.default_port = 443 if target.scheme == "https" else 80
        self._target = target
        self._addresses = addresses
        self._deadline = deadline

    def connect(self) -> None:
        last: OSError | None = None
        for family, kind, proto, _name, sockaddr in self._addresses:
            sock: socket.socket = _DeadlineSocket(family, kind, proto)
            sock.deadline = self._deadline  # type: ignore[attr-defined]
            try:
                sock.connect(sockaddr)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._target.scheme == "https":
                    # The wrapped socket takes over the file descriptor: close that one.
                    sock = tls_context().wrap_socket(
                        sock, server_hostname=self._target.host, do_handshake_on_connect=False
                    )
                    assert isinstance(sock, _DeadlineSSLSocket)
                    sock.deadline = self._deadline
                    sock.do_handshake()
                self.sock = sock
                return
            except ssl.SSLError:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                last = exc
                if isinstance(exc, TimeoutError):
                    break
        raise last or OSError("no address to connect to")


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str


def post(url: str, *, body: bytes, headers: dict[str, str], deadline_seconds: float) -> Answer:
    """POST ``body`` to ``url`` and return the status; raises OutboundError or UnsafeURL.

    The status line and headers are read, never the body. A 3xx is returned like any other
    status: redirects are not followed. Everything, name lookup included, shares one
    deadline of ``deadline_seconds``.
    """
    start = time.monotonic()
    deadline = start + deadline_seconds
    target = parse(url)
    if not private_urls_allowed():
        literal = _literal(target.host)
        reason = internal_reason(literal) if literal is not None else None
        if reason:
            raise _refuse(target.host, reason)
    addresses = connect_addresses(target, timeout=deadline - time.monotonic())
    connection = _PinnedConnection(target, addresses, deadline)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.reason)
    except TimeoutError:
        raise OutboundError(
            f"no complete answer within {deadline_seconds:g} s"
            if time.monotonic() >= deadline - 0.05
            else "the connection timed out"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise OutboundError(f"TLS certificate not accepted: {exc.verify_message}") from None
    except ssl.SSLError:
        raise OutboundError("the TLS handshake failed") from None
    except ConnectionRefusedError:
        raise OutboundError("the connection was refused") from None
    except (http.client.HTTPException, ConnectionError):
        # Not an HTTP answer: say so without echoing what the other side sent.
        raise OutboundError("the receiver did not give a valid HTTP answer") from None
    except OSError as exc:
        raise OutboundError(f"could not connect ({exc.strerror or type(exc).__name__})") from None
    finally:
        connection.close()
