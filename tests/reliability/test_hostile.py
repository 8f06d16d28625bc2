"""Hostile input: malformed 835s (the hand-made corpus plus a fuzzed set generated here from
valid files) and malformed Stripe objects. Only typed errors; every bad file in quarantine with
a reason; good files of the same poll still recorded and posted; an unreadable Stripe object is
recorded for review and never stops the poll."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from connector.clock import FixedClock
from connector.errors import ConnectorError
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.era.folder_inbox import FolderInbox
from connector.sources.era.source import EraSource
from connector.sources.stripe import StripeSource
from connector.sources.stripe.payouts import Cursor
from connector.store import SQLiteStore
from tests.reliability import eras
from tests.reliability.world import OD, World
from tests.sources.stripe.support import make_practice
from tests.support.logscan import describe, scan_files
from tests.support.paths import era_samples_dir
from workshop.sandbox.stripe_data import Builder, KeyGrant, StripeDataset
from workshop.sandbox.stripe_server import StripeSandbox

CORPUS = Path(__file__).with_name("corpus")
FUZZED = 400 if os.environ.get("SOAK") else 120
TODAY = dt.date(2026, 11, 20)
OUR_CODES = {"x12_invalid", "data_invalid"}


def corpus() -> list[tuple[str, bytes]]:
    """The hand-made files plus one generated here (a 100 000-character claim id)."""
    files = [(p.name, p.read_bytes()) for p in sorted(CORPUS.glob("*.835"))]
    base = eras.opendental_files(TODAY)[0][1]
    files.append(("huge-element.835", base.replace(b"CLP*4/4", b"CLP*" + b"9" * 100_000)))
    return files


def valid_bases() -> list[bytes]:
    """Valid 835s to mutate: ours, and the public samples when they are beside the checkout."""
    bases = [data for _, data in eras.opendental_files(TODAY) + eras.eaglesoft_files(TODAY)]
    samples = era_samples_dir()
    if samples is not None:
        bases += [p.read_bytes() for p in sorted(samples.iterdir()) if p.suffix != ".md"][:4]
    return bases


def _mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["truncate", "flip", "delimiters", "huge", "envelope", "non_utf8",
                       "empty", "drop_segment", "duplicate_segment"])  # fmt: skip
    if kind == "truncate":
        return kind, data[: rng.randrange(0, max(1, len(data)))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return kind, bytes(out)
    if kind == "delimiters":
        element, terminator = data[3:4], data[105:106]
        pairs = [(element, b"|"), (terminator, b"\n"), (element, terminator), (b":", element)]
        old, new = rng.choice(pairs)
        return kind, data.replace(old, new) if old else data
    if kind == "huge":
        at = data.find(b"*", rng.randrange(106, max(107, len(data))))
        at = at if at > 0 else len(data) // 2
        return kind, data[:at] + b"*" + b"Z" * rng.choice([10_000, 300_000]) + data[at:]
    if kind == "envelope":
        swaps = [(b"IEA*1*", b"IEA*2*"), (b"GE*1*", b"GE*3*"), (b"ST*835*", b"ST*999*"),
                 (b"SE*", b"SE*0"), (b"ISA*00*", b"ISB*00*")]  # fmt: skip
        old, new = rng.choice(swaps)
        return kind, data.replace(old, new, 1)
    if kind == "non_utf8":
        at = rng.randrange(len(data))
        return kind, data[:at] + b"\xff\xfe\xc3" + data[at:]
    if kind == "empty":
        return kind, b""
    separator = data[105:106] or b"~"
    segments = data.split(separator)
    index = rng.randrange(len(segments))
    if kind == "drop_segment":
        del segments[index]
    else:
        segments.insert(index, segments[index])
    return kind, separator.join(segments)


def fuzzed(count: int, seed: int = 835) -> list[tuple[str, bytes]]:
    """``count`` mutated files, the same ones every run (seeded)."""
    rng = random.Random(seed)
    bases = valid_bases()
    files = []
    for n in range(count):
        kind, data = _mutate(rng.choice(bases), rng)
        files.append((f"fuzz-{n:04d}-{kind}.835", data))
    return files


def _poll_era(tmp_path: Path, store: SQLiteStore, files: list[tuple[str, bytes]]) -> Any:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, data in files:
        (inbox / name).write_bytes(data)
    source = EraSource("hostile", FolderInbox(inbox, work_dir=tmp_path / "work",
                                              stable_for=dt.timedelta(0)))  # fmt: skip
    practice = make_practice("hostile")
    ctx = PollContext(practice=practice, store=store, redactor=Redactor(),
                      log=structlog.get_logger("test.era"))  # fmt: skip
    with capture_logs() as logs:
        counts = source.poll(ctx)
    return counts, logs, tmp_path / "work"


def _error_code(quarantine: Path, name: str) -> str:
    record = json.loads((quarantine / f"{name}.error.json").read_text())
    assert record["file"] == name and record["message"]
    return str(record["code"])


def test_every_malformed_835_is_quarantined_with_a_typed_reason(
    tmp_path: Path, store: SQLiteStore
) -> None:
    """One poll over the corpus, a fuzzed set and two good files: the poll ends normally,
    each corpus file is quarantined as invalid X12 with its .error.json, each fuzzed file is
    either recorded or quarantined with one of our codes (never a parser crash), and the good
    files' remittances and claims are all recorded."""
    good = eras.opendental_files(TODAY)
    bad = corpus()
    fuzz = fuzzed(FUZZED)
    counts, logs, work = _poll_era(tmp_path, store, good + bad + fuzz)
    quarantine, processed = work / "quarantine", work / "processed"
    assert not list((tmp_path / "inbox").iterdir()), "a file was left in the inbox"
    assert not [e for e in logs if e["event"] == "era.file.parser_crashed"]
    for name, _ in bad:
        assert _error_code(quarantine, name) == "x12_invalid", name
    for name, _ in fuzz:
        if (quarantine / name).exists():
            assert _error_code(quarantine, name) in OUR_CODES, name
        else:
            assert (processed / name).exists(), f"{name} neither processed nor quarantined"
    assert counts["quarantined"] >= len(bad)
    for _name, content in good:
        remittance_key = next(
            item.key for item in _items_of(content) if item.kind.value == "era_remittance"
        )
        recorded = store.find_item("hostile", remittance_key)
        assert recorded is not None
        claims = recorded.payload["claim_keys"]
        assert claims and all(store.find_item("hostile", key) for key in claims)


def _items_of(content: bytes) -> list[Any]:
    import io

    from connector.sources.era.parser import parse_stream
    from connector.sources.era.source import build_items

    return build_items(list(parse_stream(io.BytesIO(content), "good.835")))


def test_bad_files_next_to_good_ones_do_not_stop_posting(
    world: World, reference: dict[str, Any]
) -> None:
    """The real daemon with the corpus dropped beside riverside's remittances: every bad file is
    quarantined with a reason, and every claim and payment ends as in a clean run."""
    bad = corpus()
    world.extra_od_files = bad
    world.reset()
    world.settle()
    quarantine = Path(world.env.work_dir) / "era" / OD / "work" / "quarantine"
    for name, _ in bad:
        assert _error_code(quarantine, name) == "x12_invalid", name
    assert world.open_items() == [] and world.duplicates() == []
    assert world.differences(reference) == [] and world.unbalanced_with_store() == []
    assert len(world.items()) == len(reference["items"])
    hits = scan_files(world.log_files(), world.needles())
    assert hits == [], describe(hits)


# -- Stripe ---------------------------------------------------------------------------------

KEY = "sk_test_hostileStripe0001"
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
DAY = 86_400


def _hostile_dataset() -> tuple[StripeDataset, dict[str, str], list[str]]:
    """One paid payout: three good payments and one of every kind of malformed object.

    Returns the data set, ``{txn id: what is wrong}`` and the good payments' txn ids.
    """
    data = StripeDataset()
    now = int(NOW.timestamp())
    b = Builder(data, now, tag="H")
    acct = data.account(b.new_id("acct"))
    data.keys[KEY] = KeyGrant(acct.id)
    good = []
    for n in range(3):
        _, charge = b.payment(acct, 5000 + n, created=now - 3 * DAY,
                              charge_metadata={"pms_patient_id": str(100 + n)})  # fmt: skip
        good.append(charge["balance_transaction"])
    broken: dict[str, str] = {}

    def bad_payment(why: str, change: Any) -> None:
        _, charge = b.payment(acct, 7000, created=now - 3 * DAY,
                              charge_metadata={"pms_patient_id": "555"})  # fmt: skip
        txn = acct.objects[charge["balance_transaction"]]
        change(txn, charge)
        broken[txn["id"]] = why

    bad_payment("missing amount", lambda t, c: t.pop("amount"))
    bad_payment("amount as text", lambda t, c: t.update(amount="70.00"))
    bad_payment("fee as a fraction", lambda t, c: t.update(fee=2.5))
    bad_payment(
        "unknown type and category",
        lambda t, c: t.update(type="mystery_type", reporting_category="mystery"),
    )
    bad_payment("null source", lambda t, c: t.update(source=None))
    bad_payment("source of the wrong type", lambda t, c: t.update(source=42))
    bad_payment(
        "huge metadata value", lambda t, c: c["metadata"].update(pms_patient_id="9" * 200_000)
    )
    bad_payment("metadata not an object", lambda t, c: c.update(metadata="oops"))
    bad_payment("type of the wrong type", lambda t, c: t.update(type=["charge"]))
    b.payout(acct, [t for t in acct.transactions if t["type"] != "payout"],
             arrival=now - DAY)  # fmt: skip
    return data, broken, good


@pytest.fixture
def hostile_stripe() -> Iterator[tuple[StripeSandbox, dict[str, str], list[str]]]:
    """The Stripe sandbox server serving :func:`_hostile_dataset`."""
    data, broken, good = _hostile_dataset()
    with StripeSandbox(data) as sandbox:
        yield sandbox, broken, good


def test_malformed_stripe_objects_are_reviewed_and_never_stop_the_poll(
    hostile_stripe: tuple[StripeSandbox, dict[str, str], list[str]], store: SQLiteStore
) -> None:
    """Through the real stripe-python client and HTTP: the poll finishes, the payout is
    recorded whole (cursor advanced), the good payments are received, and each malformed
    object is recorded for review (unreadable → stripe_object_invalid; no usable patient id
    → patient_not_found; unknown type → stripe_transaction_unrecognised) with its reason."""
    sandbox, broken, good = hostile_stripe
    practice = make_practice("hostile", key=KEY, api_base=sandbox.url)
    ctx = PollContext(practice=practice, store=store, redactor=Redactor(),
                      log=structlog.get_logger("test.stripe"), clock=FixedClock(NOW),
                      stop=threading.Event())  # fmt: skip
    source = StripeSource(practice, sleep=lambda _s: None, buckets=[])
    try:
        counts = source.poll(ctx)
    except ConnectorError as exc:  # pragma: no cover - the assertion below explains
        pytest.fail(f"the poll failed: {exc.code}")
    assert counts["payouts_recorded"] == 1
    cursor = Cursor.load(store.get_cursor("hostile", "stripe"), NOW)
    assert len(cursor.done) == 1
    for txn in good:
        item = store.find_item("hostile", txn)
        assert item is not None and item.status.value == "received"
    reviews = {r.item_key: r for r in store.list_reviews("hostile")}
    expected = {
        "missing amount": "stripe_object_invalid", "amount as text": "stripe_object_invalid",
        "fee as a fraction": "stripe_object_invalid",
        "source of the wrong type": "stripe_object_invalid",
        "metadata not an object": "stripe_object_invalid",
        "type of the wrong type": "stripe_object_invalid",
        "null source": "patient_not_found", "huge metadata value": "patient_not_found",
        "unknown type and category": "stripe_transaction_unrecognised",
    }  # fmt: skip
    for txn_id, why in broken.items():
        item = store.find_item("hostile", txn_id)
        assert item is not None, f"{why}: not recorded"
        assert item.status.value == "review", why
        assert reviews[txn_id].reason == expected[why], (why, reviews[txn_id].reason)
        assert len(reviews[txn_id].message) < 500 and "9999999999" not in reviews[txn_id].message
    again = source.poll(ctx)
    assert again.get("items_new", 0) == 0
