"""The console in a real headless Chromium against a real uvicorn server on loopback: sign
in, see the queue, open an item, retry it with a patient found by name, see it posted after the
next posting cycle; another practice's item stays out of reach; a POST without the CSRF token
is refused; sign-out ends the session. Screenshots of each page go to the test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import CHROMIUM, chromium, serving
from tests.console.support import PASSWORD, Env, seed
from tests.posting.helpers import practice
from tests.posting.runner_support import run

pytestmark = [
    pytest.mark.external_service,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed"),
]


@pytest.fixture
def site(env: Env) -> Iterator[str]:
    """The console's base URL."""
    with serving(env.ctx) as url:
        yield url


@pytest.fixture
def page(site: str, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser page."""
    with chromium() as browser:
        context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        yield tab
        context.close()


def _sign_in(page: Any, name: str) -> None:
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")
    page.goto("/queue")


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / "screens" / f"{name}.png"), full_page=True)


def test_retry_with_a_patient_found_by_name_posts_it(page: Any, env: Env, tmp_path: Path) -> None:
    """The billing person's main flow, end to end in the browser."""
    ids = seed(env.store)
    page.goto("/login")
    _shot(page, tmp_path, "1-sign-in")
    _sign_in(page, "sam")
    assert page.locator("[data-testid=total]").inner_text() == "2"
    _shot(page, tmp_path, "2-queue")
    page.click(f"a[href='/items/{ids['unnamed']}'] >> nth=0")
    page.wait_for_url(f"**/items/{ids['unnamed']}")
    assert "not named by the payment" in page.locator("[data-testid=patient]").inner_text()
    _shot(page, tmp_path, "3-item")
    form = page.locator("[data-testid=patient-search]")
    form.locator("input[name=last_name]").fill("smi")
    form.locator("input[name=first_name]").fill("be")
    form.locator("button[type=submit]").click()
    results = page.locator("[data-testid=patient-results]")
    assert "Smith, Ben" in results.inner_text() and "Smith, Ana" not in results.inner_text()
    _shot(page, tmp_path, "4-patient-search")
    results.locator("input[type=radio]").first.check()
    page.click("[data-testid=retry-with-patient]")
    page.wait_for_selector("text=Queued again")
    assert page.locator("[data-testid=status]").inner_text() == "received"
    run(env.store, env.ledger, settings=practice())  # the daemon's next posting cycle
    page.reload()
    assert page.locator("[data-testid=status]").inner_text() == "posted"
    assert "Smith, Ben" in page.locator("[data-testid=patient]").inner_text()
    assert "patient_id: 2" in page.locator("[data-testid=pms-ids]").inner_text()
    history = page.locator("[data-testid=history]").inner_text()
    assert "console.retried" in history and "sam" in history
    _shot(page, tmp_path, "5-posted")
    assert len(list((tmp_path / "screens").glob("*.png"))) == 5


def test_staff_cannot_open_another_practices_item(page: Any, env: Env, tmp_path: Path) -> None:
    """Not in the queue, and a typed URL answers "not found"."""
    ids = seed(env.store)
    _sign_in(page, "sam")
    assert page.locator(f"a[href='/items/{ids['other']}']").count() == 0
    response = page.goto(f"/items/{ids['other']}")
    assert response.status == 404 and "Not found" in page.inner_text("h1")
    _shot(page, tmp_path, "other-practice")


def test_a_post_without_the_csrf_token_is_refused(page: Any, env: Env, tmp_path: Path) -> None:
    """A form whose token was removed is refused; the item stays waiting."""
    ids = seed(env.store)
    _sign_in(page, "sam")
    page.goto(f"/items/{ids['claim']}")
    page.fill("input[name=note]", "handled by hand")
    page.eval_on_selector_all("input[name=csrf_token]", "els => els.forEach(e => e.remove())")
    page.click("[data-testid=resolve]")
    assert "Refused" in page.inner_text("h1")
    _shot(page, tmp_path, "csrf-refused")
    assert env.ctx.store.open_review_for(ids["claim"]) is not None


def test_sign_out_ends_the_session(page: Any, env: Env, tmp_path: Path) -> None:
    """After signing out, the queue (and the back button) lead to the sign-in page."""
    seed(env.store)
    _sign_in(page, "sam")
    page.click("[data-testid=sign-out]")
    page.wait_for_url("**/login")
    assert "You are signed out" in page.inner_text("main")
    page.goto("/queue")
    assert page.url.endswith("/login?next=/queue")
    page.go_back()
    assert "/login" in page.url
    _shot(page, tmp_path, "signed-out")


def test_every_page_renders_in_the_browser(page: Any, env: Env, tmp_path: Path) -> None:
    """Today, each queue tab, the reports: a screenshot of each, no page in error."""
    seed(env.store)
    _sign_in(page, "ann")
    visits = {
        "today": "/today",
        "reports-payouts": "/reports/payouts",
        "reports-remittances": "/reports/remittances",
        "reports-denials": "/reports/denials",
    }
    visits.update(
        {
            f"queue-{tab}": f"/queue?tab={tab}"
            for tab in ("waiting", "posted", "failed", "quarantined", "queued", "all")
        }
    )
    for name, path in visits.items():
        response = page.goto(path)
        assert response.status == 200, path
        assert page.locator("h1").count() == 1
        _shot(page, tmp_path, name)
    page.goto("/today")
    assert page.locator("[data-testid=today-smile]").count() == 1
    assert page.locator("[data-testid=today-other]").count() == 1
    assert len(list((tmp_path / "screens").glob("*.png"))) == len(visits)
