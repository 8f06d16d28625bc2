"""check-config: the configured PMS types must exist in the PMS."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.memory import MemoryLedger
from connector.commands import check_config
from connector.config import load_config
from connector.posting.checks import type_problems
from connector.redaction import Redactor
from tests.posting.helpers import PRACTICE, practice
from tests.support.configs import od_practice, write_config


def test_known_types_pass(led: MemoryLedger) -> None:
    """Names (any case) and ids of existing types raise no problem."""
    settings = practice(
        writeback={"payment_type": "online payment", "refund_adjustment_type": "90"},
        auto_post={"payment_types_by_method": {"CHK": "Insurance Check"}},
    )
    assert type_problems(settings, led) == []


def test_each_unknown_type_is_named_with_its_yaml_path(led: MemoryLedger) -> None:
    """Every missing (or hidden) type is one problem line with its path and what the PMS has."""
    settings = practice(
        writeback={"payment_type": "Old Online", "refund_payment_type": "Venmo"},
        auto_post={"payment_type": "EFT", "payment_types_by_method": {"ACH": "Insurance EFT"}},
    )
    problems = type_problems(settings, led)
    assert problems == [
        "practices[smile].payments.writeback.payment_type: the PMS has no payment type "
        "'Old Online' (it has: Card Refund, Online Payment)",
        "practices[smile].payments.writeback.refund_payment_type: the PMS has no payment type "
        "'Venmo' (it has: Card Refund, Online Payment)",
        "practices[smile].era.auto_post.payment_type: the PMS has no insurance payment type "
        "'EFT' (it has: Insurance Check, Insurance EFT)",
    ]


def test_check_config_reports_type_problems(
    tmp_path: Path, led: MemoryLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_practice adds one failed 'types' line per missing type after reaching the PMS."""
    extra = {
        "payments": {
            "stripe": {"api_key": {"env": "X_S"}},
            "writeback": {"payment_type": "Nope"},
        }
    }
    path = write_config(tmp_path, [od_practice(PRACTICE, **extra)])
    loaded = load_config(path, resolve_secrets=False)
    monkeypatch.setattr(check_config, "create_ledger", lambda *_a, **_k: led)
    results = check_config.check_practice(loaded.settings.practices[0], loaded, Redactor())
    assert results[0] == ("pms", "ok: memory 1")
    assert results[1][0] == "types" and "'Nope'" in results[1][1]
    assert results[1][1].startswith("FAILED: configuration problem")
