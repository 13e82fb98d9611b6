"""Browser tests: Playwright driving Debian's Chromium against ``live_server``.

Without Chromium the tests are skipped with a message; CI sets SLOTWISE_REQUIRE_BROWSER=1 so
that a missing browser fails instead. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM is used from it too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SLOTWISE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# SLOTWISE_BROWSER_SLOW_NETWORK=1 gives every page a slow network (100 ms latency, 30 kB/s),
# so a page arrives well after its navigation has started. A test that reads the page it is
# leaving instead of the one it asked for then fails every time, not once in a hundred runs
# (docs/testing.md).
SLOW_NETWORK = os.environ.get("SLOTWISE_BROWSER_SLOW_NETWORK", "") not in ("", "0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = (
            f"Chromium not found at {CHROMIUM} (apt-get install chromium): browser tests skipped"
        )
        if os.environ.get("SLOTWISE_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def _page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(30_000 if SLOW_NETWORK else 10_000)
    if SLOW_NETWORK:
        network = context.new_cdp_session(page)
        network.send("Network.enable")
        network.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 100,
                "downloadThroughput": 30_000,
                "uploadThroughput": -1,
            },
        )
    return page


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    # An English browser (British formats) unless a test asks for another language: the
    # pages follow Accept-Language (docs/translating.md).
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en"
    )
    yield _page(context)
    context.close()


@pytest.fixture
def french_phone_page(browser: Any) -> Iterator[Any]:
    """A phone whose browser is set to French (Accept-Language: fr-FR)."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    yield _page(context)
    context.close()


@pytest.fixture
def desktop_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="en")
    yield _page(context)
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def follow(page: Any, target: Any) -> None:
    """Click a link or a form's submit button and wait until the page it leads to has loaded.

    Playwright's click returns once the navigation has started; a read straight after it can
    see the page being left (a form that answers with its own errors keeps the same URL, so
    waiting for a URL is not enough)."""
    with page.expect_navigation(wait_until="load"):
        target.click()


def arrived(target: Any) -> None:
    """Wait until ``target`` shows, then until its page has finished loading.

    After a click that leads to a new page, the first thing the test waits for can be
    parsed before the rest of that page has arrived; reading anything else straight away
    could miss it. On a page already loaded (an htmx swap, a script drawing), the second
    wait returns at once."""
    target.wait_for()
    target.page.wait_for_load_state("load")


_AXE_SOURCE: str | None = None


def assert_accessible(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> None:
    """Run axe-core in the page; fail on any violation of the given impact levels."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        import axe_playwright_python

        _AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    # Evaluated through the DevTools protocol, so the page's CSP does not block it.
    page.evaluate(_AXE_SOURCE)
    result = page.evaluate("async () => await axe.run(document)")
    bad = [v for v in result["violations"] if v.get("impact") in impacts]
    assert not bad, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in bad
    )
