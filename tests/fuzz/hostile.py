"""Hostile input for the HTML forms: value strategies, raw submission and a database snapshot.

Each strategy draws ``(value, invalid)`` pairs: ``invalid`` is True when no correct form may
accept the value for that field (a NUL byte, Feb 30, a string longer than the column), False
when the value is merely odd and may be accepted (a time inside a DST gap, an emoji name, the
year 9999). A submission with at least one invalid value must be refused with a message and
change nothing; an odd one may succeed, but must never be answered with a server error.

Values are sent the way a browser sends them, percent-encoded UTF-8 in the body or the query,
so lone surrogates arrive as the invalid UTF-8 bytes a hostile client would send, and a list
stands for a field repeated in the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_from_bytes

from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: A posted value: one string, or several for a field repeated in the body.
Value = str | list[str]
Drawn = tuple[Value, bool]

#: Every fuzz test runs the same examples each time, quickly, whatever the fixtures.
FUZZ = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HUGE = 100_000


def bad(*values: Value) -> st.SearchStrategy[Drawn]:
    """Values no form may accept for the field."""
    return st.sampled_from(values).map(lambda v: (v, True))


def odd(*values: Value) -> st.SearchStrategy[Drawn]:
    """Unusual values a form may accept or refuse, but must handle."""
    return st.sampled_from(values).map(lambda v: (v, False))


def lenient(strategy: st.SearchStrategy[Drawn]) -> st.SearchStrategy[Drawn]:
    """The same values, none of them required to be refused (the form may read them kindly)."""
    return strategy.map(lambda drawn: (drawn[0], False))


def _with_nul(text: str) -> str:
    middle = len(text) // 2
    return text[:middle] + "\x00" + text[middle:]


#: Text that is never acceptable in a text column: NUL bytes (PostgreSQL refuses them).
nul_text: st.SearchStrategy[Drawn] = st.one_of(
    bad("\x00", "Dana\x00Doe", "\x00" * 50),
    st.text(max_size=12).map(lambda s: (_with_nul(s), True)),
)

#: Text a human might really type (or paste): right-to-left, emoji, combining marks, zero-width.
odd_text: st.SearchStrategy[Drawn] = st.one_of(
    odd(
        "\u202eevil.exe\u202c",
        "مرحبا بالعالم",
        "שלום",
        "👩‍👩‍👧‍👦🎉",
        "\u0301\u0301",
        "Zoë \u200bO'Brien",
        "\ufeffBOM",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "lone \ud800 surrogate",
        "\udfff",
        "tab\tnew\nline\r\n",
    ),
    st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1, max_size=30).map(
        lambda s: (s, False)
    ),
)


def text(max_length: int | None, *, required: bool = True) -> st.SearchStrategy[Drawn]:
    """A text field of ``max_length`` characters (None: a text area without a limit)."""
    if max_length is None:
        too_long = odd("é" * HUGE, "y" * HUGE)
    else:
        too_long = bad("x" * (max_length + 1), "é" * HUGE, "😀" * (max_length + 1), "y" * HUGE)
    options = [nul_text, too_long, odd_text, odd(["first", "second"])]
    if required:
        options.append(bad("", "   ", "\t\n"))
    return st.one_of(*options)


def email(*, required: bool = True) -> st.SearchStrategy[Drawn]:
    """An email field: numbers, missing parts, NULs, huge and unicode addresses."""
    options = [
        bad(
            "12345",
            "-1",
            "1e309",
            "no-at-sign",
            "a@",
            "@example.test",
            "a@b@example.test",
            "dana@example.test\x00",
            "\x00@example.test",
            "a" * HUGE + "@example.test",
            "dana@" + "b" * HUGE + ".test",
            "a" * 300 + "@example.test",
            "😀@example.test",
            "dana @example.test",
        ),
        odd("DANA@EXAMPLE.TEST", "dana+tag@example.test", "dana@bücher.example", ["a@x.test"]),
    ]
    if required:
        options.append(bad("", "   "))
    return st.one_of(*options)


#: Dates no calendar has, or in a format the form does not read.
bad_dates = (
    "2031-02-30",
    "2030-02-29",
    "2030-13-01",
    "2030-00-10",
    "2030-06-31",
    "0000-01-01",
    "10000-01-01",
    "99999-12-31",
    "-2030-06-03",
    "2030-6-3x",
    "June 3rd, 2030",
    "2030-06-03\x00",
    "\x00",
    "9" * HUGE,
    "٢٠٣٠-٠٦-٠٣",
)
#: Dates that exist but are far away: the first and last a date can be.
odd_dates = ("0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "1970-01-01", "2038-01-19")


def date(*, required: bool = True) -> st.SearchStrategy[Drawn]:
    options = [bad(*bad_dates), odd(*odd_dates), odd(["2030-06-03", "2030-06-04"])]
    if required:
        options.append(bad(""))
    return st.one_of(*options)


def clock(*, required: bool = True) -> st.SearchStrategy[Drawn]:
    """A time of day (HH:MM)."""
    options = [
        bad("25:00", "24:01", "12:60", "noon", "-1:00", "12:30:99", "\x00", "1" * HUGE, "12:"),
        odd("00:00", "23:59", "02:30", "24:00", "12:30:59.999999"),
    ]
    if required:
        options.append(bad(""))
    return st.one_of(*options)


def integer(
    *, low: int | None = None, high: int | None = None, required: bool = True
) -> st.SearchStrategy[Drawn]:
    """A whole number field bounded by ``low`` and ``high`` (when given)."""
    nonsense = ["abc", "1.5", "1e3", "NaN", "Infinity", "0x10", "\x00", "9" * 5000, "1\x000"]
    outside: list[Value] = []
    if low is not None:
        outside += [str(low - 1), str(-(2**63) - 1), "-99999999999999999999"]
    if high is not None:
        outside += [str(high + 1), str(2**63), "99999999999999999999"]
    options = [bad(*nonsense, *outside), odd("٣", " 7 ", "+1", "0", ["1", "2"])]
    if required:
        options.append(bad(""))
    return st.one_of(*options)


def money(*, required: bool = True) -> st.SearchStrategy[Drawn]:
    """An amount with two decimals and at most ten digits, not negative."""
    options = [
        bad("-1", "-0.01", "NaN", "Infinity", "-Infinity", "1e9999", "12345678901.00", "1.234"),
        bad("abc", "\x00", "9" * HUGE, "0x10", "1,5"),
        odd("0", "0.00", "99999999.99", " 40 ", "٤٠", ["40", "50"]),
    ]
    if required:
        options.append(bad(""))
    return st.one_of(*options)


def choice(*, valid: Sequence[str] = ()) -> st.SearchStrategy[Drawn]:
    """A choice field: anything outside ``valid`` is refused."""
    wrong = ["", "nonsense", "\x00", "x" * HUGE, "-1", "99999999999999999999"]
    return st.one_of(
        bad(*(v for v in wrong if v not in valid)),
        st.text(max_size=10).filter(lambda s: s.strip() not in valid).map(lambda s: (s, True)),
    )


def row_id(*, foreign: Iterable[int] = ()) -> st.SearchStrategy[Drawn]:
    """A reference to a row: unknown, another business's, or not a number at all."""
    unknown = ["0", "-1", "999999", str(2**63), "99999999999999999999", "abc", "1.0", "\x00"]
    return bad(*unknown, *(str(pk) for pk in foreign))


def flag() -> st.SearchStrategy[Drawn]:
    """A checkbox: browsers send "on" or nothing; anything else must not break the page."""
    return odd("on", "", "off", "false", "0", "\x00", "x" * HUGE, ["on", "off"])


# --- submission -------------------------------------------------------------------------


def encode(data: Mapping[str, Value]) -> str:
    """Percent-encode ``data`` as a browser would (lists repeat the key); surrogates pass."""
    parts = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            raw = item.encode("utf-8", "surrogatepass")
            parts.append(quote(key) + "=" + quote_from_bytes(raw, safe=""))
    return "&".join(parts)


def post(client: Client, url: str, data: Mapping[str, Value], **kw: Any) -> Any:
    body = encode(data)
    return client.post(url, body, content_type="application/x-www-form-urlencoded", **kw)


def get(client: Client, url: str, data: Mapping[str, Value], **kw: Any) -> Any:
    query = encode(data)
    return client.get(url + ("?" + query if query else ""), **kw)


#: What a refusal shows on our pages: field errors, form-level errors, flash warnings.
ERROR_MARKERS = (
    'class="error"',
    "errorlist",
    "alert-error",
    "note-error",
    "note-warning",
    "flash-error",
    "flash-warning",
    "has-error",
)


def shows_error(response: Any) -> bool:
    return any(marker in response.content.decode(errors="replace") for marker in ERROR_MARKERS)


# --- the database before and after --------------------------------------------------------

#: Written by signing in and by the wizard's session state, never by a form's own data; and
#: the rate-limit counts, which every request adds to.
_NOT_DATA = {"sessions.session", "core.ratecounter"}


def snapshot() -> dict[str, str]:
    """A digest of every row of every table (M2M links included), per model."""
    digest: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in _NOT_DATA:
            continue
        rows = model._base_manager.order_by("pk").values_list()
        digest[label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digest


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


# --- a form under attack ----------------------------------------------------------------


@dataclass
class Attack:
    """One submission: the data sent and whether some value in it must be refused."""

    data: dict[str, Value]
    must_fail: bool
    broken: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        shown = {k: (repr(v)[:60] + "…" if len(repr(v)) > 60 else v) for k, v in self.data.items()}
        return f"Attack({shown}, must_fail={self.must_fail})"


def attacks(
    valid: Mapping[str, Value], fields: Mapping[str, st.SearchStrategy[Drawn]]
) -> st.SearchStrategy[Attack]:
    """The valid data with at least one field replaced by a hostile value (maybe dropped)."""
    names = sorted(fields)

    @st.composite
    def build(draw: Callable[..., Any]) -> Attack:
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        data = dict(valid)
        must_fail = False
        for name in chosen:
            value, invalid = draw(fields[name])
            data[name] = value
            must_fail = must_fail or invalid
        return Attack(data=data, must_fail=must_fail, broken=chosen)

    return build()
