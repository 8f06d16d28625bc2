"""Upgrading from keys with BPR16 (issue #14): remittances stored under the old key keep it,
so the same file read again after the upgrade records nothing new and posts nothing twice."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from connector.domain import ItemKind
from connector.sources.era.items import build_file_items
from connector.sources.era.parser import parse_file
from connector.store import SQLiteStore
from tests.sources.era.helpers import FILES
from tests.sources.era.test_era_source import PRACTICE, context, folder_source

NAME = "plb_multiple.835"


def _as_stored_by_an_older_release(store: SQLiteStore) -> list[str]:
    """Record the file's items the way releases before #14 keyed them (BPR16 appended)."""
    collected = build_file_items(parse_file(FILES / NAME))
    [(new, old)] = collected.legacy_keys.items()
    assert old == new + ":20261118"

    def old_key(key: str) -> str:
        return old + key[len(new) :] if key == new or key.startswith(new + ":") else key

    items = []
    for item in collected.items:
        payload = dict(item.payload)
        if "remittance_key" in payload:
            payload["remittance_key"] = old_key(payload["remittance_key"])
        if "claim_keys" in payload:
            payload["claim_keys"] = [old_key(k) for k in payload["claim_keys"]]
        items.append(dataclasses.replace(item, key=old_key(item.key), group_key=old,
                                         payload=payload))  # fmt: skip
    store.record(PRACTICE, "era", items)
    return [i.key for i in items]


def test_the_same_file_after_an_upgrade_records_nothing_new(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """The stored remittance keeps its old key; reading the file again finds every item."""
    old_keys = _as_stored_by_an_older_release(store)
    source = folder_source(tmp_path / "in")
    shutil.copyfile(FILES / NAME, source.inbox.path / NAME)
    summary = source.poll(context(store))
    assert summary["remittances"] == 0 and summary["claims"] == 0
    assert summary["duplicates"] == len(old_keys)
    kinds = [ItemKind.ERA_REMITTANCE.value, ItemKind.ERA_CLAIM.value]
    assert sorted(i.key for i in store.items_of_kind(PRACTICE, kinds)) == sorted(old_keys)


def test_a_new_remittance_gets_the_key_without_the_date(store: SQLiteStore, tmp_path: Path) -> None:
    """Without an old item, the remittance and its claims are keyed payer:trace:amount."""
    source = folder_source(tmp_path / "in")
    shutil.copyfile(FILES / NAME, source.inbox.path / NAME)
    summary = source.poll(context(store))
    assert summary["remittances"] == 1
    rem = store.find_item(PRACTICE, "era:1999999999:EFT0002:68.50")
    assert rem is not None
    assert rem.payload["claim_keys"] == ["era:1999999999:EFT0002:68.50:2001:P2001:1"]
