"""The Today page: posted today (count and amount) in the practice's local day, waiting,
failed and dead, quarantined files, payouts not settled, last runs and the outage banner."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.console.support import Env, seed, sign_in


def test_today_counts_and_outage_banner(client: TestClient, env: Env) -> None:
    """Numbers per practice; a failing job shows a banner; other practices are absent."""
    ids = seed(env.store)
    env.store.mark_posted(ids["queued"], {"payment_id": "PAY-9"}, {})
    posted_at = next(h.at for h in env.store.history(ids["queued"]) if h.to_status == "posted")
    env.clock.set(posted_at)
    env.store.poll_succeeded("smile", "stripe", {"payouts_waiting": 2})
    env.store.poll_failed("smile", "posting", "pms_unreachable", "the PMS did not answer")
    (env.folder / "smile" / "inbox" / "quarantine").mkdir(parents=True)
    (env.folder / "smile" / "inbox" / "quarantine" / "E1.835.error.json").write_text("{}")
    sign_in(client, "sam")
    page = client.get("/today")
    assert page.status_code == 200
    smile = page.text.split('data-testid="today-smile"')[1]
    assert '<b data-testid="posted-count">1</b> posted today <span>$10.00</span>' in smile
    assert '<b data-testid="waiting">2</b>' in smile
    assert "<b>1</b> failed / dead <span>1 dead</span>" in smile
    assert "<b>1</b> quarantined files" in smile
    assert "2 payouts not settled" in smile
    assert "PMS posting is failing: pms_unreachable" in smile
    assert 'data-testid="today-other"' not in page.text


def test_posted_yesterday_is_not_today(client: TestClient, env: Env) -> None:
    """The count follows the practice's local day by the injected clock."""
    import datetime as dt

    ids = seed(env.store)
    env.store.mark_posted(ids["queued"], {"payment_id": "PAY-9"}, {})
    posted_at = next(h.at for h in env.store.history(ids["queued"]) if h.to_status == "posted")
    env.clock.set(posted_at + dt.timedelta(days=1))
    sign_in(client, "sam")
    assert '<b data-testid="posted-count">0</b>' in client.get("/today").text
