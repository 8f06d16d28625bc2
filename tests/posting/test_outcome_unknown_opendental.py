"""Open Dental writes whose outcome is unknown, through the real daemon, the API double and
MariaDB (issue #14, item 2).

* A payment POST that gets no answer within the API timeout is not sent again in the same run,
  nor in the next runs before ``posting.outcome_unknown_wait``; after it, the item is looked up
  again and, the payment still being absent, sent once more — one payment in the end.
* A key found on two Open Dental payments goes to review as ``duplicate_in_pms``; nothing more
  is written and nothing is marked posted silently.
* The wait must be longer than the API timeout (a clear configuration error otherwise).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from adapters.base import marker_for
from adapters.opendental.api import OpenDentalApi
from connector.config import load_config
from connector.daemon import Daemon
from connector.domain import ItemKind, ItemStatus
from connector.errors import ConfigError
from connector.posting.runner import OUTCOME_UNKNOWN
from connector.redaction import Redactor
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, record
from tests.support.configs import write_config
from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service

KEY = "txn_slow_1"
WAIT_SECONDS = 4


def _config(od: OdContext, folder: Path, monkeypatch: pytest.MonkeyPatch, *,
            timeout: str = "1s", wait: str = f"{WAIT_SECONDS}s") -> Path:  # fmt: skip
    secrets = {"OU_OD_DEV": DEVELOPER_KEY, "OU_OD_CUST": CUSTOMER_KEY,
               "OU_OD_ODBC": od.db.users.read_only}  # fmt: skip
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    practice = {
        "id": PRACTICE,
        "pms": {
            "vendor": "opendental",
            "api": {"base_url": od.api.base_url, "developer_key": {"env": "OU_OD_DEV"},
                    "customer_key": {"env": "OU_OD_CUST"}, "timeout": timeout},
            "odbc": {"connection_string": {"env": "OU_OD_ODBC"}, "timeout": "10s"},
        },
    }  # fmt: skip
    posting = {"retry_backoff": "1s", "retry_backoff_max": "1s", "outcome_unknown_wait": wait}
    return write_config(folder, [practice], posting=posting)


@pytest.fixture
def daemon(od: OdContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    """The real daemon for one Open Dental practice with one patient payment recorded."""
    loaded = load_config(_config(od, tmp_path, monkeypatch))
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    record(store, new_stripe(ItemKind.PATIENT_PAYMENT, KEY, "10.00",  # type: ignore[arg-type]
                             patient_ref=str(Ids.ANA), charge="ch_slow_1"))  # fmt: skip
    built = Daemon(loaded, store, Redactor(loaded.secret_values()))
    yield built
    store.close()


def _payments(od: OdContext, key: str) -> int:
    sql = "SELECT COUNT(*) FROM payment WHERE LOCATE(?, PayNote) > 0 AND PayAmt > 0"
    return int(od.db.rows(sql, marker_for(key))[0][0])


def _posts(od: OdContext) -> int:
    return sum(1 for e in od.api.requests if e.method == "POST" and e.path == "/payments")


def test_an_unanswered_payment_post_is_not_sent_again_before_the_wait(
    od: OdContext, daemon: Daemon
) -> None:
    """The POST hangs past the 1 s timeout (the double writes nothing): one POST only, the
    item is ``failed`` with the outcome-unknown marker; runs before the wait send nothing (even
    after a requeue); the first run after it looks, finds nothing, sends again: one payment."""
    od.api.faults.add(_hang(seconds=2.5))
    with capture_logs() as logs:
        first = daemon.run_once()
    assert _posts(od) == 1
    item = daemon.store.find_item(PRACTICE, KEY)
    assert item is not None and item.status is ItemStatus.FAILED
    assert item.last_error_code == "pms_write_outcome_unknown"
    assert item.progress[OUTCOME_UNKNOWN]["step"] == "payments_post"
    assert [e for e in logs if e["event"] == "posting.outcome_unknown"]
    assert first[-1].ok  # the PMS answered the probe: no outage, the run went on
    time.sleep(1.5)  # longer than retry_backoff, shorter than the wait
    daemon.run_once()
    assert _posts(od) == 1
    daemon.store.requeue_item(item.id)  # due at once, but its write may still land
    second = daemon.run_once()
    assert _posts(od) == 1 and (second[-1].summary or {}).get("deferred") == 1
    time.sleep(WAIT_SECONDS)
    third = daemon.run_once()
    assert (third[-1].summary or {}).get("posted") == 1
    assert _posts(od) == 2 and _payments(od, KEY) == 1
    done = daemon.store.find_item(PRACTICE, KEY)
    assert done is not None and done.status is ItemStatus.POSTED


def test_a_key_on_two_payments_goes_to_review(od: OdContext, daemon: Daemon) -> None:
    """Two Open Dental payments carry the item's marker (written outside this run): the item
    goes to review ``duplicate_in_pms`` naming both, and nothing more is written."""
    api = OpenDentalApi(od.api.base_url, DEVELOPER_KEY, CUSTOMER_KEY, timeout=10)
    try:
        body = {"PayAmt": "10.00", "PatNum": int(Ids.ANA), "PayType": Ids.PAY_ONLINE,
                "PayDate": "2026-12-01", "PayNote": f"{marker_for(KEY)} by hand"}  # fmt: skip
        for _ in range(2):
            api.create_payment(body)
    finally:
        api.close()
    assert _payments(od, KEY) == 2
    posts = _posts(od)
    outcomes = daemon.run_once()
    assert (outcomes[-1].summary or {}).get("review") == 1
    item = daemon.store.find_item(PRACTICE, KEY)
    assert item is not None and item.status is ItemStatus.REVIEW
    (entry,) = daemon.store.list_reviews(PRACTICE)
    assert entry.reason == "duplicate_in_pms"
    assert "in the PMS 2 times" in entry.message and "PayNum" in entry.message
    assert _posts(od) == posts and _payments(od, KEY) == 2


def test_the_wait_must_outlast_the_api_timeout(
    od: OdContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``outcome_unknown_wait`` no longer than ``pms.api.timeout`` is refused with both named."""
    path = _config(od, tmp_path, monkeypatch, timeout="30s", wait="20s")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    text = "\n".join(refused.value.problems)
    assert "outcome_unknown_wait" in text and "pms.api.timeout" in text


def _hang(seconds: float) -> object:
    from workshop.sandbox.opendental_api import Fault

    return Fault(mode="hang", seconds=seconds, method="POST", path="^/payments$", count=1)
