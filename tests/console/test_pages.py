"""The queue and item pages over HTTP: tabs, filters, CSV, and every action in the history
with the person's name; the retried item is posted by the next posting run."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from tests.console.support import Env, csrf, seed, sign_in
from tests.posting.helpers import practice
from tests.posting.runner_support import run


def test_queue_tabs_filters_and_csv(client: TestClient, env: Env) -> None:
    """Each tab shows its states; filters narrow; bad input is refused with a message."""
    ids = seed(env.store)
    sign_in(client, "ann")
    waiting = client.get("/queue?tab=waiting")
    for tab, count in (("waiting", 3), ("posted", 0), ("failed", 1), ("queued", 1), ("all", 5)):
        assert f'data-testid="count-{tab}">{count}<' in waiting.text, tab
    smile_only = client.get("/queue?tab=waiting&practice=smile").text
    assert 'data-testid="count-waiting">2<' in smile_only
    assert waiting.text.count('href="/items/') == 2 * 3  # 3 review items, 2 links per row
    era = client.get("/queue?tab=waiting&source=era")
    assert f'href="/items/{ids["claim"]}"' in era.text and "Delta Dental" in era.text
    assert f'href="/items/{ids["unnamed"]}"' not in era.text
    payer = client.get("/queue?tab=waiting&payer=delta")
    assert payer.text.count('href="/items/') == 2
    failed = client.get("/queue?tab=failed")
    assert f'href="/items/{ids["dead"]}"' in failed.text
    queued = client.get("/queue?tab=queued")
    assert f'href="/items/{ids["queued"]}"' in queued.text
    bad = client.get("/queue?tab=waiting&min=ten&from=yesterday")
    assert "Minimum amount must be an amount" in bad.text and "From must be a date" in bad.text
    amount = client.get("/queue?tab=waiting&min=80&max=90")
    assert f'href="/items/{ids["unnamed"]}"' in amount.text
    assert f'href="/items/{ids["claim"]}"' not in amount.text
    csv_text = client.get("/queue?tab=waiting&format=csv&practice=smile")
    assert csv_text.headers["content-type"].startswith("text/csv")
    lines = csv_text.text.strip().splitlines()
    assert lines[0].startswith("item_id,practice") and len(lines) == 3
    assert "Smith" not in csv_text.text


def test_pagination_and_sort(client: TestClient, env: Env) -> None:
    """Pages of ``console.page_size`` rows; sorting by amount either way."""
    from decimal import Decimal

    from connector.domain import ItemKind, NewItem

    env.store.record(
        "smile",
        "stripe",
        [NewItem(f"txn_{n}", ItemKind.PATIENT_PAYMENT, {}, Decimal(n)) for n in range(1, 61)],
    )
    sign_in(client, "sam")
    first = client.get("/queue?tab=queued&sort=amount&dir=desc")
    assert "Page 1 of 2" in first.text and "$60.00" in first.text and "$10.00" not in first.text
    second = client.get("/queue?tab=queued&sort=amount&dir=desc&page=2")
    assert "$10.00" in second.text and "$60.00" not in second.text


def test_resolve_with_a_note_is_in_the_history_with_the_name(client: TestClient, env: Env) -> None:
    """Resolving needs a note; the history shows it and who did it."""
    ids = seed(env.store)
    sign_in(client, "sam")
    page = client.get(f"/items/{ids['claim']}")
    assert "Delta Dental" in page.text and "no claim matches" in page.text
    assert "<dt>Check / EFT trace</dt><dd>TRC1</dd>" in page.text
    empty = client.post(
        f"/items/{ids['claim']}/resolve", data={"note": " ", "csrf_token": csrf(page.text)}
    )
    assert "Write a short note" in empty.text
    done = client.post(
        f"/items/{ids['claim']}/resolve",
        data={"note": "posted by hand, batch 42", "csrf_token": csrf(page.text)},
    )
    assert "Marked as handled" in done.text and "console.resolved" in done.text
    assert "Note: posted by hand, batch 42" in done.text and "(resolved)" in done.text
    assert env.ctx.store.open_review_for(ids["claim"]) is None
    audit = [h for h in env.store.history(ids["claim"]) if h.event == "console.resolved"]
    assert (
        audit[0].detail["user"] == "sam" and audit[0].detail["note"] == "posted by hand, batch 42"
    )


def test_retry_with_a_patient_found_by_name_then_the_next_run_posts_it(
    client: TestClient, env: Env
) -> None:
    """Search by name and birth date, choose the patient, retry; the posting run posts it to
    that patient. Names are shown but never stored."""
    ids = seed(env.store)
    sign_in(client, "sam")
    token = csrf(client.get(f"/items/{ids['unnamed']}").text)
    results = client.post(
        f"/items/{ids['unnamed']}/patients",
        data={"last_name": "smi", "birth_date": "2012-09-15", "csrf_token": token},
    )
    assert results.status_code == 200 and "Smith, Ben" in results.text
    assert "Smith, Ana" not in results.text
    short = client.post(
        f"/items/{ids['unnamed']}/patients", data={"last_name": "s", "csrf_token": token}
    )
    assert short.status_code == 400 and "at least the first 2 letters" in short.text
    unknown = client.post(
        f"/items/{ids['unnamed']}/retry", data={"patient_id": "777", "csrf_token": token}
    )
    assert "not found in the PMS" in unknown.text
    assert "<dt>Payout arrives</dt><dd>2026-11-20</dd>" in unknown.text
    assert "“Retry for a patient from the PMS” below" in unknown.text
    assert "connector retry" not in unknown.text
    chosen = client.post(
        f"/items/{ids['unnamed']}/retry", data={"patient_id": "2", "csrf_token": token}
    )
    assert "Queued again" in chosen.text and "console.retried" in chosen.text
    run(env.store, env.ledger, settings=practice())  # the next posting cycle
    item = env.store.get_item(ids["unnamed"])
    assert item is not None and item.status.value == "posted"
    assert item.pms_ids["patient_id"] == "2"
    page = client.get(f"/items/{ids['unnamed']}")
    assert "posted" in page.text and "Smith, Ben" in page.text
    everything = json.dumps([h.detail for h in env.store.history(ids["unnamed"])])
    assert "Smith" not in everything and "2012-09-15" not in everything
    assert '"user": "sam"' in everything and '"patient_id": "2"' in everything


def test_requeue_a_dead_item(client: TestClient, env: Env) -> None:
    """A dead item is queued again; the history names the person."""
    ids = seed(env.store)
    sign_in(client, "ann")
    page = client.get(f"/items/{ids['dead']}")
    assert "pms_refused" in page.text
    done = client.post(f"/items/{ids['dead']}/requeue", data={"csrf_token": csrf(page.text)})
    assert "Queued again" in done.text
    item = env.store.get_item(ids["dead"])
    assert item is not None and item.status.value == "received"
    assert [h.detail.get("user") for h in env.store.history(ids["dead"])][-1] == "ann"
    again = client.post(f"/items/{ids['dead']}/requeue", data={"csrf_token": csrf(page.text)})
    assert "already waiting for the posting job" in again.text


def test_release_a_quarantined_file(client: TestClient, env: Env) -> None:
    """A quarantined file is listed; release needs the confirmation and moves it aside."""
    folder = env.folder / "smile" / "inbox" / "quarantine"
    folder.mkdir(parents=True)
    (folder / "ERA7.835").write_text("ISA*broken", encoding="utf-8")
    (folder / "ERA7.835.error.json").write_text(
        json.dumps(
            {
                "file": "ERA7.835",
                "code": "era_truncated",
                "message": "the file ends inside a claim",
                "quarantined_at": "2026-03-01T10:00:00+00:00",
            }
        ),
        encoding="utf-8",
    )
    sign_in(client, "sam")
    listed = client.get("/queue?tab=quarantined")
    assert "ERA7.835" in listed.text and "ends inside a claim" in listed.text
    token = csrf(listed.text)
    unconfirmed = client.post(
        "/practices/smile/quarantine/release", data={"name": "ERA7.835", "csrf_token": token}
    )
    assert "Tick the box" in unconfirmed.text and (folder / "ERA7.835").exists()
    refused = client.post(
        "/practices/other/quarantine/release",
        data={"name": "ERA7.835", "replaced": "yes", "csrf_token": token},
    )
    assert refused.status_code == 404
    done = client.post(
        "/practices/smile/quarantine/release",
        data={"name": "ERA7.835", "replaced": "yes", "csrf_token": token},
    )
    assert "Released" in done.text and "ERA7.835" not in done.text.split("Released")[1]
    assert (folder / "released" / "ERA7.835").exists() and not (folder / "ERA7.835").exists()


def test_access_log_has_no_query_strings_or_names(
    client: TestClient, env: Env, capsys: object
) -> None:
    """The request log line carries the path only (searches and filters may name patients)."""
    import structlog

    seed(env.store)
    sign_in(client, "sam")
    with structlog.testing.capture_logs() as logs:
        client.get("/queue?tab=waiting&payer=Smith")
    lines = [entry for entry in logs if entry["event"] == "console.request"]
    assert lines and lines[0]["path"] == "/queue" and "Smith" not in json.dumps(logs)
