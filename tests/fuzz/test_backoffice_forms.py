"""Hostile input on the staff backoffice: every settings form and the custom-booking wizard.

Signed in as the owner, each form is posted with its valid data except one to three fields
replaced by hostile values. The answer is a page with the form's message (or a 4xx for a URL
that makes no sense), never a server error; a submission with a value no form may accept
changes no row. Each form's valid data, posted the same way, does write (the controls).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from slotwise.bookings.models import Booking
from slotwise.core.models import Membership
from tests.conftest import World
from tests.fuzz import hostile
from tests.fuzz.hostile import FUZZ, bad, odd

pytestmark = pytest.mark.django_db

Fields = dict[str, st.SearchStrategy[hostile.Drawn]]
DEADLINES = ["0", "60", "120", "240", "720", "1440", "2880", "4320", "10080"]


@dataclass
class Form:
    """One backoffice form: where it posts, its valid data, and how each field is attacked."""

    name: str
    path: Callable[[World], str]
    valid: Callable[[World], dict[str, hostile.Value]]
    fields: Callable[[World, World], Fields]
    #: Where a successful post redirects to (a prefix).
    done: Callable[[World], str]
    #: The table a valid post writes, for the control.
    writes: str


def _ids(*rows: Any) -> list[str]:
    return [str(r.pk) for r in rows]


def _page_valid(w: World) -> dict[str, hostile.Value]:
    return {
        "title": "Second page",
        "slug": "second",
        "intro": "Welcome",
        "services": _ids(w.service),
        "providers": _ids(w.alex, w.blake),
        "any_provider": "on",
        "min_notice_minutes": "0",
        "max_days_ahead": "365",
        "slot_step_minutes": "30",
        "allow_cancel": "on",
        "allow_reschedule": "on",
        "change_deadline_minutes": "1440",
        "max_reschedules": "",
        "active": "on",
    }


def _page_fields(w: World, other: World) -> Fields:
    return {
        "title": hostile.text(200),
        "slug": st.one_of(
            bad("", "Has Space", "ünï", "a/b", "\x00", "x" * hostile.HUGE, "book", "-", "a" * 51),
            odd("a", "0", "x" * 50),
        ),
        "intro": hostile.text(None, required=False),
        "services": st.one_of(hostile.row_id(foreign=_ids(other.service)), bad([])),
        "providers": st.one_of(hostile.row_id(foreign=_ids(other.alex)), bad([])),
        "min_notice_minutes": hostile.integer(low=0),
        "max_days_ahead": hostile.integer(low=0),
        "slot_step_minutes": hostile.integer(low=1),
        "change_deadline_minutes": hostile.choice(valid=DEADLINES),
        "max_reschedules": hostile.integer(low=0, required=False),
        "allow_cancel": hostile.flag(),
        "active": hostile.flag(),
    }


def _service_valid(w: World) -> dict[str, hostile.Value]:
    return {
        "name": "Colour",
        "description": "",
        "duration_minutes": "90",
        "price": "85.00",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "15",
        "active": "on",
    }


def _service_fields(w: World, other: World) -> Fields:
    return {
        "name": hostile.text(200),
        "description": hostile.text(None, required=False),
        "duration_minutes": hostile.integer(low=1),
        "price": hostile.money(),
        "buffer_before_minutes": hostile.integer(low=0),
        "buffer_after_minutes": hostile.integer(low=0),
        "active": hostile.flag(),
    }


def _provider_valid(w: World) -> dict[str, hostile.Value]:
    return {
        "name": "Charlie",
        "email": "charlie@acme.test",
        "phone": "+49 30 555",
        "services": _ids(w.service),
        "active": "on",
        "receives_notifications": "on",
    }


def _provider_fields(w: World, other: World) -> Fields:
    return {
        "name": hostile.text(200),
        "email": hostile.email(required=False),
        "phone": hostile.text(40, required=False),
        "services": hostile.row_id(foreign=_ids(other.service)),
        "active": hostile.flag(),
    }


def _hours_valid(w: World) -> dict[str, hostile.Value]:
    """Monday 09:00–12:00 and 13:00–17:00; the other days closed (no ranges)."""
    return {
        "d0-count": "2",
        "d0-0-start": "09:00",
        "d0-0-end": "12:00",
        "d0-1-start": "13:00",
        "d0-1-end": "17:00",
    }


def _hours_fields(w: World, other: World) -> Fields:
    return {
        # The hidden count of ranges a day shows is read kindly (clamped, unreadable as 0) and
        # would make the other fields moot; it is fuzzed on its own below.
        "d0-0-start": hostile.clock(),
        "d0-0-end": st.one_of(hostile.clock(), bad("08:00", "09:00")),
        "d0-1-start": st.one_of(hostile.clock(), bad("11:00")),  # overlaps the morning
        # Anything but an editing button ("add-0", "copy-monday"…) saves.
        "action": odd("save", "bogus", "\x00"),
    }


def _time_off_valid(w: World) -> dict[str, hostile.Value]:
    return {"start": "2030-06-10T09:00", "end": "2030-06-10T12:00", "reason": "Dentist"}


def _time_off_fields(w: World, other: World) -> Fields:
    # 02:30 on 30 March 2031 does not exist in Berlin; on 26 October 2031 it happens twice.
    return {
        "start": st.one_of(
            bad("", "2030-06-10", "2030-13-10T09:00", "2030-06-10T25:00", "\x00", "9" * 1000),
            odd("2031-03-30T02:30", "2031-10-26T02:30", "0001-01-01T00:00", "9999-12-31T23:59"),
        ),
        "end": st.one_of(
            bad("", "2030-06-09T12:00", "2030-06-10T09:00", "noon", "\x00"),
            odd("2031-03-30T02:59", "2031-10-26T03:00", "9999-12-31T23:59"),
        ),
        "reason": hostile.text(200, required=False),
    }


def _reminder_fields(w: World, other: World) -> Fields:
    return {
        "amount": hostile.integer(low=1, high=10000),
        "unit": hostile.choice(valid=["60", "1440", "1"]),
    }


def _team_fields(w: World, other: World) -> Fields:
    return {
        "email": hostile.email(),
        "role": hostile.choice(valid=[r for r, _label in Membership.Role.choices]),
    }


def _business_valid(w: World) -> dict[str, hostile.Value]:
    return {
        "name": "Acme Salon",
        "timezone": "Europe/Berlin",
        "contact_email": "desk@acme.test",
        "phone": "+49 30 1234",
        "address": "Hauptstraße 1, Berlin",
        "currency": "EUR",
        "slot_step_minutes": "15",
        "min_notice_minutes": "60",
        "max_days_ahead": "90",
    }


def _business_fields(w: World, other: World) -> Fields:
    return {
        "name": hostile.text(200),
        "timezone": st.one_of(
            hostile.choice(), bad("Mars/Base", "Europe/Berlin\x00", "../etc/passwd", "UTC\x00")
        ),
        "contact_email": hostile.email(required=False),
        "phone": hostile.text(40, required=False),
        "address": hostile.text(300, required=False),
        "currency": st.one_of(bad("EURO", "\x00\x00\x00", "x" * hostile.HUGE), odd("usd", "€€€")),
        "slot_step_minutes": hostile.integer(low=1),
        "min_notice_minutes": hostile.integer(low=0),
        "max_days_ahead": hostile.integer(low=0),
    }


def _settings(path: str) -> Callable[[World], str]:
    return lambda w: f"/backoffice/settings/{path}"


def _provider_path(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/backoffice/settings/providers/{w.alex.pk}/{suffix}"


FORMS = [
    Form(
        "pages",
        _settings("pages/new/"),
        _page_valid,
        _page_fields,
        _settings("pages/"),
        "bookings.bookingpage",
    ),
    Form(
        "page edit",
        lambda w: f"/backoffice/settings/pages/{w.page.pk}/",
        lambda w: {**_page_valid(w), "slug": "book", "title": "Renamed"},
        _page_fields,
        _settings("pages/"),
        "bookings.bookingpage",
    ),
    Form(
        "services",
        _settings("services/new/"),
        _service_valid,
        _service_fields,
        _settings("services/"),
        "catalog.service",
    ),
    Form(
        "providers",
        _settings("providers/new/"),
        _provider_valid,
        _provider_fields,
        _settings("providers/"),
        "catalog.provider",
    ),
    Form(
        "working hours",
        _provider_path("hours/"),
        _hours_valid,
        _hours_fields,
        _provider_path("hours/"),
        "catalog.workinghours",
    ),
    Form(
        "time off",
        _provider_path("time-off/"),
        _time_off_valid,
        _time_off_fields,
        _provider_path("hours/"),
        "catalog.timeoff",
    ),
    Form(
        "reminders",
        _settings("reminders/"),
        lambda w: {"amount": "3", "unit": "60"},
        _reminder_fields,
        _settings("reminders/"),
        "notifications.reminderrule",
    ),
    Form(
        "api keys",
        _settings("api-keys/"),
        lambda w: {"name": "Website widget"},
        lambda w, o: {"name": hostile.text(100)},
        _settings("api-keys/"),
        "core.apikey",
    ),
    Form(
        "team",
        _settings("team/"),
        lambda w: {"email": "new.person@acme.test", "role": "staff"},
        _team_fields,
        _settings("team/"),
        "core.invitation",
    ),
    Form(
        "business",
        _settings("business/"),
        _business_valid,
        _business_fields,
        _settings("business/"),
        "core.business",
    ),
    Form(
        "branding",
        _settings("branding/"),
        lambda w: {"accent_color": "#0b6e4f", "description": "Since 1998"},
        lambda w, o: {
            "accent_color": st.one_of(
                bad("#ffcc00", "#ffffff", "blue", "#12345", "#0b6e4f;}body{", "url(x)", "\x00"),
                odd("#0B6E4F", "0b6e4f", "#000", ""),
            ),
            "description": hostile.text(300, required=False),
        },
        _settings("branding/"),
        "core.business",
    ),
]


def _refused(response: Any) -> bool:
    if response.status_code in (200, 422):
        return hostile.shows_error(response)
    return 400 <= response.status_code < 500


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
@settings(FUZZ, max_examples=12)
@given(data=st.data())
def test_settings_forms_refuse_hostile_input(
    owner_client: Client, world: World, other_world: World, form: Form, data: st.DataObject
) -> None:
    attack = data.draw(hostile.attacks({}, form.fields(world, other_world)), label="attack")
    body = {**form.valid(world), **attack.data}
    before = hostile.snapshot()
    response = hostile.post(owner_client, form.path(world), body)
    assert response.status_code < 500, attack
    if response.status_code == 302 and response["Location"].startswith(form.done(world)):
        assert not attack.must_fail, attack
        return
    assert _refused(response), (attack, response.status_code)
    assert hostile.changed(before, hostile.snapshot()) == [], attack


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_control_valid_settings_are_written(owner_client: Client, world: World, form: Form) -> None:
    before = hostile.snapshot()
    response = hostile.post(owner_client, form.path(world), form.valid(world))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"].startswith(form.done(world))
    assert form.writes in hostile.changed(before, hostile.snapshot())


@settings(FUZZ, max_examples=12)
@given(count=st.one_of(st.text(max_size=30), st.integers().map(str)))
def test_a_hostile_count_of_ranges_never_breaks_the_hours_form(
    owner_client: Client, world: World, count: str
) -> None:
    body = {**_hours_valid(world), "d0-count": count, "d1-count": count}
    response = hostile.post(owner_client, _provider_path("hours/")(world), body)
    assert response.status_code in (200, 302, 422), count


# --- single buttons: notification switches, member role, revoke, delete --------------------


@settings(FUZZ, max_examples=10)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["provider_on_created", "business_on_cancelled", "provider-1", "provider-99999"]
        )
        | st.text(max_size=8),
        hostile.flag(),
        max_size=4,
    )
)
def test_notification_switches_take_any_post(
    owner_client: Client, world: World, fields: dict[str, hostile.Drawn]
) -> None:
    """Only checkboxes: any body is a valid answer, so the page saves or re-asks, never fails."""
    body = {k: v for k, (v, _invalid) in fields.items()}
    response = hostile.post(owner_client, "/backoffice/settings/notifications/", body)
    assert response.status_code in (200, 302)


@settings(FUZZ, max_examples=10)
@given(role=hostile.choice(valid=[r for r, _label in Membership.Role.choices]))
def test_member_role_refuses_unknown_roles(
    owner_client: Client, world: World, role: hostile.Drawn
) -> None:
    membership = Membership.objects.get(business=world.business)
    before = hostile.snapshot()
    response = hostile.post(
        owner_client, f"/backoffice/settings/team/{membership.pk}/role/", {"role": role[0]}
    )
    assert response.status_code == 302
    assert hostile.changed(before, hostile.snapshot()) == []
    assert hostile.shows_error(owner_client.get(response["Location"]))


@pytest.mark.parametrize(
    "path",
    [
        "settings/pages/99999999999999999999/",
        "settings/services/99999999999999999999/",
        "settings/providers/99999999999999999999/hours/",
        "settings/providers/1/time-off/99999999999999999999/delete/",
        "settings/reminders/99999999999999999999/delete/",
        "settings/api-keys/99999999999999999999/revoke/",
        "settings/team/99999999999999999999/remove/",
        "bookings/%00/",
        "bookings/" + "x" * 5000 + "/cancel/",
        "bookings/new/%00/",
    ],
)
def test_nonsense_urls_are_404(owner_client: Client, world: World, path: str) -> None:
    before = hostile.snapshot()
    response = owner_client.post(f"/backoffice/{path}", {})
    assert response.status_code == 404
    assert hostile.changed(before, hostile.snapshot()) == []


# --- the custom-booking wizard ----------------------------------------------------------

WIZARD = "/backoffice/bookings/new/"
#: Monday 10 June 2030, 10:00 in Berlin: free for Alex, a week after the clock.
SLOT = "2030-06-10T10:00:00+02:00"


def _wizard_state(client: Client, world: World, **state: Any) -> None:
    session = client.session
    session["backoffice_wizard"] = {"business_id": world.business.pk, **state}
    session.save()


def _full_state(world: World) -> dict[str, Any]:
    return {
        "customer_id": world.customer.pk,
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": SLOT,
        "price": "40.00",
        "notes": "",
        "policy": {
            "allow_cancel": True,
            "allow_reschedule": False,
            "change_deadline_minutes": 1440,
            "max_reschedules": None,
        },
    }


#: Wizard steps: (step, what the step already needs, valid post, fields under attack).
Step = tuple[str, tuple[str, ...], dict[str, hostile.Value], Callable[[World, World], Fields]]
STEPS: list[Step] = [
    (
        "customer",
        (),
        {"action": "create", "name": "Robin Roe", "email": "robin@example.test", "phone": ""},
        lambda w, o: {
            "name": hostile.text(200),
            "email": hostile.email(),
            "phone": hostile.text(40, required=False),
            "timezone": st.one_of(
                hostile.choice(valid=[""]), bad("Mars/Base", "Europe/Berlin\x00")
            ),
        },
    ),
    (
        "customer",
        (),
        {"action": "pick", "customer": "1"},
        lambda w, o: {"customer": hostile.row_id(foreign=_ids(o.customer))},
    ),
    (
        "service",
        ("customer_id",),
        {"service": "1", "provider": "1"},
        lambda w, o: {
            "service": hostile.row_id(foreign=_ids(o.service)),
            "provider": hostile.row_id(foreign=_ids(o.alex)),
        },
    ),
    (
        "time",
        ("customer_id", "service_id", "provider_id"),
        {"slot": SLOT, "day": "2030-06-10"},
        lambda w, o: {
            "slot": st.one_of(
                bad("", "2030-06-10T10:00:00", "2031-02-30T10:00:00+01:00", "\x00", "noon"),
                bad("2030-05-01T10:00:00+02:00", "0001-01-01T00:00:00+00:00"),
                odd("9999-12-31T23:59:00+00:00", "9999-12-31T23:59:00-12:00"),
                odd("2031-03-30T02:30:00+01:00", "2031-10-26T02:30:00+01:00"),
                odd("2030-06-10T03:00:00+02:00", "2030-06-10T10:00:00+14:00"),
            ),
            # Read only with the override box ticked, so none of them is wrong on its own.
            "override": hostile.flag(),
            "override_date": hostile.lenient(
                st.one_of(hostile.date(), odd("2031-03-30", "2031-10-26"))
            ),
            "override_time": hostile.lenient(st.one_of(hostile.clock(), odd("02:30"))),
            "day": odd(*hostile.bad_dates, *hostile.odd_dates),
        },
    ),
    (
        "details",
        ("customer_id", "service_id", "provider_id", "start"),
        {"price": "40.00", "notes": "Regular"},
        lambda w, o: {"price": hostile.money(), "notes": hostile.text(4000, required=False)},
    ),
    (
        "selfservice",
        ("customer_id", "service_id", "provider_id", "start", "price"),
        {
            "allowed": "yes",
            "allow_cancel": "on",
            "allow_reschedule": "on",
            "change_deadline_minutes": "1440",
            "max_reschedules": "1",
        },
        lambda w, o: {
            "allowed": hostile.choice(valid=["yes", "no"]),
            "change_deadline_minutes": hostile.choice(valid=DEADLINES),
            "max_reschedules": hostile.integer(low=0, high=100, required=False),
            "allow_cancel": hostile.flag(),
        },
    ),
]


def _step_id(step: Step) -> str:
    return step[0] + ("-" + str(step[2]["action"]) if "action" in step[2] else "")


def _finish(client: Client) -> Any:
    """Walk the rest of the wizard as a person would, to its review, and book."""
    for name in ("details", "selfservice", "review"):
        page = client.get(WIZARD + name + "/")
        assert page.status_code in (200, 302), name
    return client.post(WIZARD + "review/", {"notify_customer": "on"})


@pytest.mark.parametrize("step", STEPS, ids=[_step_id(s) for s in STEPS])
@settings(FUZZ, max_examples=12)
@given(data=st.data())
def test_wizard_steps_refuse_hostile_input(
    owner_client: Client, world: World, other_world: World, step: Step, data: st.DataObject
) -> None:
    name, needs, valid, fields = step
    full = _full_state(world)
    _wizard_state(owner_client, world, **{k: full[k] for k in needs})
    valid = {
        **valid,
        **({"customer": str(world.customer.pk)} if "customer" in valid else {}),
        **({"service": str(world.service.pk)} if "service" in valid else {}),
        **({"provider": str(world.alex.pk)} if "provider" in valid else {}),
    }
    attack = data.draw(hostile.attacks({}, fields(world, other_world)), label="attack")
    before = hostile.snapshot()
    response = hostile.post(owner_client, f"{WIZARD}{name}/", {**valid, **attack.data})
    assert response.status_code < 500, attack
    if response.status_code == 302 and WIZARD in response["Location"]:
        assert not attack.must_fail, attack
        if name == "customer":
            return  # a new customer is a write the step exists for
        assert hostile.changed(before, hostile.snapshot()) == [], attack
        # What the step accepted must carry through to a booking or a clear refusal.
        done = _finish(owner_client)
        assert done.status_code < 500, attack
        if done.status_code != 302:
            assert hostile.shows_error(done), attack
        return
    assert _refused(response), (attack, response.status_code)
    assert hostile.changed(before, hostile.snapshot()) == [], attack


@settings(FUZZ, max_examples=12)
@given(
    day=odd(*hostile.bad_dates, *hostile.odd_dates, ["2030-06-10", "x"]),
    slot=odd("9999-12-31T23:59:00+00:00", "0001-01-01T00:00:00", "\x00", "2030-06-10"),
)
def test_wizard_time_page_reads_any_day(
    owner_client: Client, world: World, day: hostile.Drawn, slot: hostile.Drawn
) -> None:
    """The day picker is a GET link: any day gives the page, and nothing is written."""
    _wizard_state(
        owner_client,
        world,
        customer_id=world.customer.pk,
        service_id=world.service.pk,
        provider_id=world.alex.pk,
    )
    before = hostile.snapshot()
    response = hostile.get(owner_client, WIZARD + "time/", {"day": day[0], "slot": slot[0]})
    assert response.status_code == 200
    assert hostile.changed(before, hostile.snapshot()) == []


def test_control_wizard_books(owner_client: Client, world: World) -> None:
    _wizard_state(owner_client, world, **_full_state(world))
    before = hostile.snapshot()
    response = owner_client.post(WIZARD + "review/", {"notify_customer": "on"})
    assert response.status_code == 302
    assert "bookings.booking" in hostile.changed(before, hostile.snapshot())
    assert Booking.objects.filter(business=world.business).count() == 1
