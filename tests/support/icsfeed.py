"""An ICS address served from a local HTTP server (what Google's secret address or Outlook's
published calendar look like to Slotwise): ETag, conditional GET, and errors on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.calendars.ics import vcalendar, vevent


class Feed:
    def __init__(self) -> None:
        self.body = vcalendar(
            vevent("dentist", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z"),
            extra="X-WR-CALNAME:Alex private\r\n",
        )
        self.status = 200
        self.requests: list[dict[str, str]] = []

    @property
    def etag(self) -> str:
        return f'"{abs(hash(self.body))}"'


@contextmanager
def serve_feed() -> Iterator[tuple[Feed, str]]:
    state = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(dict(self.headers))
            if state.status != 200:
                self.send_response(state.status)
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == state.etag:
                self.send_response(304)
                self.end_headers()
                return
            body = state.body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("ETag", state.etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/calendar.ics"
    finally:
        server.shutdown()
        server.server_close()
