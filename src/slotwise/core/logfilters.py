"""Keep customer link tokens and API keys out of every log line, and one event on one line.

A manage link's token is the customer's only proof of who they are, and an API key opens a
whole business: anyone who reads a log must not be able to act with either. Both travel in
places that are logged by default — Django logs ``Not Found: /manage/<token>/`` for a bad
link, runserver and gunicorn log every request line, and a client may send a key in a header
that ends up in a message. :func:`redact` removes them from text; :class:`RedactSecrets` is
the logging filter wired into ``LOGGING`` for every handler and the request loggers; and
:class:`RedactingGunicornLogger` does the same for gunicorn's access log.

The same filter escapes CR and LF in a message's arguments: they carry data (an address a
booker typed, an error a mail server sent), and a raw line break there would let that data
write a line of its own into the log, forged to look like the app's.
"""

from __future__ import annotations

import logging
import re
from typing import Any

try:  # gunicorn is only needed where it serves the site
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is in the lock file
    _GunicornLogger = object  # type: ignore[assignment,misc]

REDACTED = "[redacted]"

#: URL path segments followed by a secret token (site pages and their API twins).
TOKEN_SEGMENTS = ("manage", "rate", "join", "waitlist", "offers", "feeds")

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # /manage/<token>/…, /rate/<token>/, /feeds/<token>.ics, /api/v1/manage/<token>/…, also
    # percent-encoded.
    (
        re.compile(r"((?:/|%2F)(?:" + "|".join(TOKEN_SEGMENTS) + r")(?:/|%2F))[^/\s?#\"'<>%]+"),
        r"\1" + REDACTED,
    ),
    # Password links: /backoffice/new-password/<token>/<user id>/, the rest of the path.
    (re.compile(r"((?:/|%2F)new-password(?:/|%2F))[^\s?#\"'<>]+"), r"\1" + REDACTED),
    # API keys look like sw_<8 hex prefix>_<secret>; the prefix only names the key.
    (re.compile(r"\b(sw_[0-9a-f]{8}_)[A-Za-z0-9_\-]+"), r"\1" + REDACTED),
    # Webhook signing secrets.
    (re.compile(r"\b(whsec_)[A-Za-z0-9_\-]+"), r"\1" + REDACTED),
    # Authorization headers, whatever the key looks like.
    (re.compile(r"(?i)\b((?:bearer|basic)\s+)[^\s\"',;]+"), r"\1" + REDACTED),
    # Secrets in query strings (whole URLs, or a bare QUERY_STRING).
    (
        re.compile(r"(?i)((?:^|[?&\s])(?:token|key|api_key|secret|password)=)[^&\s\"'#]+"),
        r"\1" + REDACTED,
    ),
    # Secrets in the repr of a dict, e.g. a template context in a DEBUG traceback.
    (
        re.compile(r"""(?i)(['"](?:token|raw|key|api_key|secret|password)['"]\s*:\s*['"])[^'"]+"""),
        r"\1" + REDACTED,
    ),
)


_LINE_BREAKS = str.maketrans({"\r": "\\r", "\n": "\\n", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_PLAIN = (int, float, bool, type(None))


def escape_line_breaks(text: str) -> str:
    """``text`` with CR, LF and the Unicode line separators written as escapes (``\\n``)."""
    return text.translate(_LINE_BREAKS)


def _escaped_arg(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # an argument that cannot say itself: the handler reports it as before
        return value
    escaped = escape_line_breaks(text)
    # Anything else is left as it was (so %r and %d still format it) unless it had to change.
    return escaped if escaped != text or isinstance(value, str) else value


def _escaped_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_escaped_arg(a) for a in args)
    if isinstance(args, dict):
        return {k: _escaped_arg(v) for k, v in args.items()}
    return args


def redact(text: str) -> str:
    """``text`` with every link token, API key, webhook secret and credential replaced."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrite a record's message (and traceback) with :func:`redact`, with CR/LF in its
    arguments escaped; never drops a record.

    The message is formatted here and its arguments dropped, because a secret usually
    arrives as an argument (``"Not Found: %s", path``). The record is changed in place, so
    every handler after this filter, and every formatter, sees only the redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            # The format string is the app's own; only the data put into it is escaped.
            record.args = _escaped_args(record.args)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingGunicornLogger(_GunicornLogger):  # type: ignore[misc,valid-type]
    """gunicorn's logger with tokens and keys removed from access-log fields.

    Use it with ``gunicorn --logger-class slotwise.core.logfilters.RedactingGunicornLogger``:
    the request line, path, query string, referrer and every header field are redacted
    before the access-log format is applied, whatever format is configured.
    """

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in found.items()}
