"""The log scanner itself: it finds seeded names, member ids, birth dates, secrets and card
numbers, and does not cry wolf over ordinary log words."""

from __future__ import annotations

from tests.support.logscan import Needles, luhn_ok, scan_text, seeded_needles


def test_finds_every_kind_of_forbidden_value() -> None:
    """A seeded name, birth date, member id, a secret and a card number are each reported."""
    needles = seeded_needles()
    needles.add_secrets("DRIVER={MariaDB};UID=u;PWD=s3cretPassw0rd;")
    lines = [
        '{"event": "x", "patient": "Smith"}',
        '{"event": "x", "dob": "19800402"}',
        '{"event": "x", "member": "DX111"}',
        '{"event": "x", "error": "login s3cretPassw0rd refused"}',
        '{"event": "x", "pan": "4242 4242 4242 4242"}',
    ]
    hits = scan_text("\n".join(lines), needles)
    assert sorted(h.line for h in hits) == [1, 2, 3, 4, 5]


def test_ordinary_log_lines_are_clean() -> None:
    """Words that contain a name (event, planned), ids, ISO timestamps and Stripe ids pass."""
    line = (
        '{"event": "posting.planned", "item_id": 12, "amount": "125.00", "key": '
        '"txn_1D051e07ebf8a000004", "timestamp": "2026-11-22T09:21:59.619360Z", '
        '"duration_ms": 1732000000123}'
    )
    assert scan_text(line, seeded_needles()) == []


def test_names_match_whole_words_only() -> None:
    """`Eve` is found as a word, not inside `event` or `Everest`."""
    needles = Needles()
    needles.add_names("Eve")
    assert [h.line for h in scan_text("event Everest\nfor Eve.", needles)] == [2]


def test_luhn() -> None:
    """The Luhn check accepts a test card number and rejects a changed digit."""
    assert luhn_ok("4242424242424242") and not luhn_ok("4242424242424243")
