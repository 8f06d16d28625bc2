"""Remittances stored by an older release keep their keys, so an upgrade never re-posts them.

Until issue #14 a remittance key ended with BPR16 (``era:{TRN03}:{TRN02}:{BPR02}:{BPR16}``) and
its claims' keys started with it. Now the date is left out (a re-sent file with a changed date
is the same remittance). When a file is recorded, each remittance whose new key is unknown but
whose old key is in the store is recorded under the old key again — its items, claims and the
keys in their payloads — so the store finds every item already there instead of recording the
remittance a second time, and markers already in the PMS keep matching.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from connector.domain import ItemKind, NewItem
from connector.records.era import EraClaim
from connector.records.era_remittance import EraRemittance
from connector.store import StateStore


def adopt_stored_keys(
    items: Sequence[NewItem],
    legacy_keys: Mapping[str, str],
    store: StateStore,
    practice_id: str,
) -> list[NewItem]:
    """``items`` with every remittance that the store holds under its old key re-keyed to it."""
    renames: dict[str, str] = {}
    for new, old in legacy_keys.items():
        if new == old or store.find_item(practice_id, new) is not None:
            continue
        if store.find_item(practice_id, old) is not None:
            renames[new] = old
    if not renames:
        return list(items)
    return [_rekeyed(item, renames) for item in items]


def _rekeyed(item: NewItem, renames: Mapping[str, str]) -> NewItem:
    group = item.group_key
    if group is None or group not in renames:
        return item
    new, old = group, renames[group]

    def swap(key: str) -> str:
        if key == new:
            return old
        return old + key[len(new) :] if key.startswith(new + ":") else key

    payload = item.payload
    if item.kind is ItemKind.ERA_CLAIM:
        claim = EraClaim.from_json(payload)
        if claim.remittance_key is not None:
            claim = dataclasses.replace(claim, remittance_key=swap(claim.remittance_key))
        payload = claim.to_json()
    elif item.kind is ItemKind.ERA_REMITTANCE:
        remittance = EraRemittance.from_json(payload)
        keys = tuple(swap(k) for k in remittance.claim_keys)
        payload = dataclasses.replace(remittance, claim_keys=keys).to_json()
    return dataclasses.replace(item, key=swap(item.key), group_key=old, payload=payload)
