"""The self-service promise, on a phone: what the customer is told is what they may do.

Items of the issue: (1) the exact policy for the chosen time before and after confirming,
(2) a page without self-service promises nothing, (3) the wizard dates its choices and
refuses a passed one, (5) each email button opens its own page, (8) one wording of the
window on the manage page and in both parts of the email.

The clock is frozen (ticking) at Monday 25 November 2030, 14:00 in Berlin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from slotwise.site.views.common import start_param
from tests.browser._backoffice import choose_slot, show_week, sign_in, world_with_history
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot
from tests.conftest import build_world
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 11, 25, 14, 0, tzinfo=BERLIN)
TOMORROW_1130 = datetime(2030, 11, 26, 11, 30, tzinfo=BERLIN)
THURSDAY_1130 = datetime(2030, 11, 28, 11, 30, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def shop(db):
    forget_limits()
    return build_world()


def _details_url(base: str, shop, start: datetime) -> str:
    return (
        f"{base}/book/{shop.business.slug}/{shop.page.slug}/?service={shop.service.pk}"
        f"&provider={shop.alex.pk}&start={start_param(start)}&tz=Europe/Berlin"
    )


def _confirm(page) -> None:
    page.get_by_label("Your name").fill("Dana Doe")
    page.get_by_label("Email").fill("dana@example.test")
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_role("heading", name="Your booking is confirmed"))


def _email(booking: Booking) -> tuple[str, str]:
    row = Message.objects.get(booking=booking, kind="confirmation", audience="customer")
    msg = build_email(row, now=utcnow())
    ((html, _mime),) = msg.alternatives
    return msg.body, html


def test_item1_the_exact_policy_for_the_chosen_time(live_server, phone_page, shop):
    page, base = phone_page, live_server.url
    # Tomorrow 11:30 with a 24-hour window: no online changes, said before and after.
    page.goto(_details_url(base, shop, TOMORROW_1130))
    closed = "Online changes won't be possible for this time (it is less than 24 hours away)."
    arrived(page.get_by_text(closed))
    assert "You can change or cancel this booking online later" not in page.content()
    arrived(page.get_by_text("We send your confirmation and a link to your booking here."))
    assert_accessible(page)
    screenshot(page, "promise-1-details-closed-phone")
    _confirm(page)
    arrived(page.get_by_text(closed))
    assert "were possible until" not in page.content()
    screenshot(page, "promise-1-confirmation-closed-phone")
    booking = Booking.objects.get(start=TOMORROW_1130)
    text, _html = _email(booking)
    assert "View booking" in text and "/cancel/" not in text and "/reschedule/" not in text

    # Thursday 11:30: the exact instant, the same before and after confirming and by email.
    forget_limits()
    page.goto(_details_url(base, shop, THURSDAY_1130))
    promise = (
        "You can cancel or reschedule online until "
        "Wednesday, 27 November 2030, 11:30 (Europe/Berlin, CET)."
    )
    arrived(page.get_by_text(promise))
    screenshot(page, "promise-1-details-open-phone")
    _confirm(page)
    arrived(page.get_by_text(promise))
    assert_accessible(page)
    screenshot(page, "promise-1-confirmation-open-phone")
    text, html = _email(Booking.objects.get(start=THURSDAY_1130))
    assert promise in text and promise in html


def test_item2_a_page_without_self_service_promises_nothing(live_server, phone_page, shop):
    shop.page.allow_cancel = shop.page.allow_reschedule = False
    shop.page.intro = "Pick a service and a time that suits you."
    shop.page.save()
    page, base = phone_page, live_server.url
    page.goto(f"{base}/book/{shop.business.slug}/{shop.page.slug}/")
    arrived(page.get_by_text("Pick a service and a time that suits you."))
    assert "online" not in page.locator("main").inner_text()
    page.goto(_details_url(base, shop, THURSDAY_1130))
    arrived(page.get_by_text("We send your confirmation and a link to your booking here."))
    body = page.locator("main").inner_text()
    assert "change" not in body.split("Your details")[1].lower()
    assert_accessible(page)
    screenshot(page, "promise-2-details-off-phone")

    # With self-service on, the page says so from its settings.
    shop.page.allow_cancel = True
    shop.page.change_deadline_minutes = 2880
    shop.page.save()
    page.goto(f"{base}/book/{shop.business.slug}/{shop.page.slug}/")
    arrived(
        page.get_by_text(
            "You can cancel your booking online up to 48 hours before the appointment."
        )
    )
    screenshot(page, "promise-2-page-on-phone")


def test_item3_the_wizard_dates_its_choices_and_refuses_a_passed_one(live_server, phone_page):
    world = world_with_history()
    page, base = phone_page, live_server.url
    sign_in(page, base)
    page.goto(base + "/backoffice/bookings/new/")
    page.get_by_label("Find a customer").fill("casey")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Casey Jordan", exact=False).check()
    page.get_by_role("button", name="Continue with this customer").click()
    page.get_by_label("Service", exact=True).select_option(label="Haircut")
    page.get_by_label("Provider", exact=True).select_option(label="Alex")
    page.get_by_role("button", name="Continue").click()
    show_week(page, "2030-12-01")  # Sunday: 6 days away
    choose_slot(page, "10:00")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # notes and price as they are
    # Self-service: "7 days before" is dated and marked as passed.
    page.get_by_label("Yes", exact=True).check()
    options = page.get_by_label("Latest change time").locator("option").all_inner_texts()
    assert any(o.startswith("7 days before — passed: Sun 24 Nov") for o in options), options
    assert any(o.startswith("48 hours before — until Fri 29 Nov") for o in options), options
    page.get_by_label("Latest change time").select_option("10080")
    page.get_by_role("button", name="Continue").click()
    arrived(page.get_by_text("This latest change time has already passed").first)
    assert_accessible(page)
    screenshot(page, "promise-3-wizard-passed-phone")
    page.get_by_label("Latest change time").select_option("2880")
    follow(page, page.get_by_role("button", name="Continue"))
    review = page.locator("#review-selfservice").inner_text()
    assert "Friday, 29 November 2030, 10:00 (Europe/Berlin, CET)" in review
    assert_accessible(page)
    screenshot(page, "promise-3-wizard-review-phone")
    assert world.business.bookings.count() == 0  # nothing made before "Create booking now"


def test_item5_each_email_button_opens_its_own_page(live_server, phone_page, shop):
    page, base = phone_page, live_server.url
    page.goto(_details_url(base, shop, THURSDAY_1130))
    _confirm(page)
    text, _html = _email(Booking.objects.get(start=THURSDAY_1130))
    cancel = re.search(r"Cancel booking: \S+?(/manage/[\w-]+/cancel/)", text).group(1)  # type: ignore[union-attr]
    reschedule = re.search(r"Reschedule: \S+?(/manage/[\w-]+/reschedule/)", text).group(1)  # type: ignore[union-attr]
    assert cancel != reschedule
    page.goto(base + cancel)
    arrived(page.get_by_role("heading", name="Cancel this booking?"))
    screenshot(page, "promise-5-cancel-page-phone")
    page.goto(base + reschedule)
    arrived(page.get_by_role("heading", name="Choose a new time"))
    screenshot(page, "promise-5-reschedule-page-phone")
    assert Booking.objects.get(start=THURSDAY_1130).status == "confirmed"  # opening changed nothing


def test_item8_one_wording_of_the_window(live_server, phone_page, shop):
    page, base = phone_page, live_server.url
    page.goto(_details_url(base, shop, THURSDAY_1130))
    _confirm(page)
    manage_url = page.url.split("?")[0]
    booking = Booking.objects.get(start=THURSDAY_1130)
    closed = "Changes online were possible until 24 hours before the appointment."
    with time_machine.travel(datetime(2030, 11, 27, 12, 0, tzinfo=BERLIN), tick=True):
        page.goto(manage_url)
        arrived(page.get_by_text(closed))
        assert_accessible(page)
        screenshot(page, "promise-8-manage-closed-phone")
        text, html = _email(booking)
    assert closed in text and closed in html
    assert "1 day" not in text + html + page.content()
