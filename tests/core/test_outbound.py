"""Outbound URL safety (core/outbound.py): internal addresses refused on save and at connect
time, the connection pinned to the checked address, no redirects, one deadline per exchange."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from slotwise.core import outbound

no_private = override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=False)

INTERNAL = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.8",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "192.0.2.10",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
    "2001:db8::1",
]
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:81c::200e"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_have_a_reason(address: str) -> None:
    assert outbound.internal_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert outbound.internal_reason(ipaddress.ip_address(address)) is None


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Names in ``answers`` resolve to those addresses; returns the names looked up."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@no_private
@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::1]:9000/x", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0:5432/", "unspecified"),
        ("http://10.1.2.3/", "private"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[fe80::1]/", "link-local"),
        ("http://localhost:8000/", "loopback"),
        ("http://admin.localhost/", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as one number
        ("http://0x7f.1/", "loopback"),
        ("http://127.0.0.1./", "loopback"),
        ("http://loopback.example.test/", "loopback"),
        ("https://mixed.example.test/", "private"),
    ],
)
def test_internal_targets_are_refused_on_save(
    monkeypatch: pytest.MonkeyPatch, url: str, why: str
) -> None:
    fake_dns(
        monkeypatch,
        {"loopback.example.test": ["127.0.0.1"], "mixed.example.test": ["8.8.8.8", "10.0.0.1"]},
    )
    with pytest.raises(outbound.UnsafeURL, match=why) as refused:
        outbound.check_url(url)
    assert refused.value.code == "invalid_input"
    assert refused.value.details["field"] == "url"


@no_private
@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.test/x",
        "http:///nohost",
        "https://user:pass@hooks.example.test/",
        "https://hooks.example.test:99999/",
        "https://hooks.example.test/a b",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(outbound.UnsafeURL):
        outbound.check_url(url)


@no_private
def test_public_and_unresolvable_names_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"crm.example.test": ["93.184.215.14"]})
    assert outbound.check_url("https://crm.example.test/in?x=1").path == "/in?x=1"
    # Not resolvable now: accepted, the connect-time check decides later.
    assert outbound.check_url("https://not-yet.invalid/").host == "not-yet.invalid"


def test_the_allow_setting_lets_private_targets_through() -> None:
    # tests/conftest.py sets SLOTWISE_ALLOW_PRIVATE_URLS=True for every test.
    assert outbound.check_url("http://127.0.0.1:8000/hook").port == 8000
    assert outbound.check_url("http://[::1]/").host == "::1"


# --- real exchanges -----------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 recording requests; answers ``status`` (and ``location``)."""

    def __init__(self, status: int = 200, location: str | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def post(url: str, seconds: float = 5) -> outbound.Answer:
    return outbound.post(url, body=b"{}", headers={"X-Test": "1"}, deadline_seconds=seconds)


def test_connects_to_the_checked_address_with_the_real_host_name(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    asked = fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
    answer = post(f"http://hooks.example.test:{receiver.port}/in?a=1")
    assert answer.status == 200
    (request,) = receiver.requests
    assert request["path"] == "/in?a=1"
    assert request["headers"]["Host"] == f"hooks.example.test:{receiver.port}"
    # One lookup: the connection went to the address that was checked, not a fresh answer.
    assert asked == ["hooks.example.test"]


@no_private
def test_a_name_that_now_resolves_inside_is_refused_at_connect_time(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    fake_dns(monkeypatch, {"rebound.example.test": ["127.0.0.1"]})
    with pytest.raises(outbound.UnsafeURL, match="loopback"):
        post(f"http://rebound.example.test:{receiver.port}/")
    with pytest.raises(outbound.UnsafeURL, match="loopback"):
        post(f"http://127.0.0.1:{receiver.port}/")
    assert receiver.requests == []


def test_redirects_are_not_followed() -> None:
    target = Receiver()
    redirecting = Receiver(status=302, location=f"http://127.0.0.1:{target.port}/elsewhere")
    try:
        assert post(f"http://127.0.0.1:{redirecting.port}/in").status == 302
        assert len(redirecting.requests) == 1
        assert target.requests == []
    finally:
        target.close()
        redirecting.close()


class Trickler:
    """A TCP server that reads a request, then sends an HTTP answer one byte every ``every`` s."""

    def __init__(self, every: float, first: bytes = b"HTTP/1.1 200 OK\r\nX: ") -> None:
        self.every = every
        self.first = first
        self.stopped = threading.Event()
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                for byte in self.first + b"x" * 10_000:
                    if self.stopped.wait(self.every):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


def test_one_deadline_for_the_whole_exchange() -> None:
    # Each byte comes well within any per-read timeout; only an overall deadline stops it.
    trickler = Trickler(every=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(outbound.OutboundError, match="no complete answer within 2 s"):
            post(f"http://127.0.0.1:{trickler.port}/", seconds=2)
        took = time.monotonic() - started
        assert 1.9 <= took < 3.0, took
    finally:
        trickler.close()


def test_a_banner_is_not_echoed() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def banner() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"SSH-2.0-OpenSSH_9.6 internal-build-host\r\n")
            time.sleep(0.2)

    threading.Thread(target=banner, daemon=True).start()
    try:
        with pytest.raises(outbound.OutboundError) as failed:
            post(f"http://127.0.0.1:{port}/")
        assert "SSH" not in str(failed.value) and "internal" not in str(failed.value)
    finally:
        server.close()


# --- TLS: SNI and the certificate are checked against the host name, not the address ------


def make_cert(directory: Path, name: str) -> tuple[Path, Path]:
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    key, cert = make_cert(tmp_path, "hooks.example.test")
    seen: dict[str, Any] = {"sni": [], "hosts": []}
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["hosts"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Trust only this certificate, as the system store trusts a real receiver's.
    client_context = ssl.create_default_context(cafile=str(cert))
    client_context.sslsocket_class = outbound._DeadlineSSLSocket
    monkeypatch.setattr(outbound, "tls_context", lambda: client_context)
    seen["port"] = server.server_port
    yield seen
    server.shutdown()
    server.server_close()


def test_tls_uses_the_host_name_for_sni_and_the_certificate(
    monkeypatch: pytest.MonkeyPatch, tls_receiver: dict[str, Any]
) -> None:
    port = tls_receiver["port"]
    fake_dns(
        monkeypatch, {"hooks.example.test": ["127.0.0.1"], "other.example.test": ["127.0.0.1"]}
    )
    assert post(f"https://hooks.example.test:{port}/in").status == 204
    assert tls_receiver["sni"] == ["hooks.example.test"]
    assert tls_receiver["hosts"] == [f"hooks.example.test:{port}"]
    # The same address under a name the certificate does not cover is refused.
    with pytest.raises(outbound.OutboundError, match="certificate"):
        post(f"https://other.example.test:{port}/in")
    assert tls_receiver["hosts"] == [f"hooks.example.test:{port}"]
