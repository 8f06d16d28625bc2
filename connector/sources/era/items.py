"""The store items of an ERA file (docs/payloads.md), built as its claims are read.

:class:`FileItems` takes a file's remittances either whole (:meth:`FileItems.add`, for
:func:`parse_stream`'s remittances) or as :func:`stream_claims` hands them out (start, each
claim, end), and gives the same items either way. Per remittance: the remittance item, then
one item per claim. Streaming keeps only the items, never the parsed claims, in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal
from typing import Final

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.errors import ParseError
from connector.records.era import EraClaim
from connector.sources.era.model import ClaimPayment, Remittance
from connector.sources.era.parser import RemittanceEnd, RemittanceStart, StreamEvent
from connector.sources.era.records import claim_record, remittance_record

TEST_FILE: Final = "test_file"
TEST_FILE_MESSAGE: Final = "test file (ISA15 = T): recorded, never posted"
TEST_KEY_PREFIX: Final = "test:"


class FileItems:
    """Collects the items of one file.

    Keys come from the model, payloads are the records of :mod:`connector.records`
    (:mod:`.records` builds them, docs/payloads.md), with these adjustments made here:

    * **Test files** (ISA15 = ``T``) get keys prefixed ``test:`` and status ``ignored``. A
      clearinghouse may send a test copy of a real remittance; without the prefix, the later
      production file would share its keys, be taken for a duplicate, and never post.
    * **Repeated claim keys.** Two claims with the same key in one remittance (same CLP01,
      CLP07 and CLP02 — e.g. a claim split by the payer) would collapse into one item and lose
      money; the second and later get ``:2``, ``:3`` … (deterministic, so a re-sent file gets
      the same keys). The remittance's ``claim_keys`` lists the keys actually used.
    * **Payment date.** A remittance without a valid BPR16 is refused (ParseError: the file
      is quarantined). Keys do not include it, but ``legacy_keys`` maps each remittance key
      to the key older releases used, so items stored under those are kept.
    """

    def __init__(self) -> None:
        self.items: list[NewItem] = []
        self.remittances = 0
        self.claims = 0
        self.test = False
        self.unbalanced = 0
        self._header: Remittance | None = None
        # the open remittance's claims: key, record, amount, related key
        self._claims: list[tuple[str, EraClaim, Decimal, str | None]] = []
        self._seen: Counter[str] = Counter()
        self.legacy_keys: dict[str, str] = {}
        """Remittance key → the key an older release stored it under (with BPR16)."""

    def add(self, remittance: Remittance) -> None:
        """A whole remittance with its claims."""
        self.start(remittance)
        for claim in remittance.claims:
            self.claim(claim)
        self.end(remittance)

    def event(self, event: StreamEvent) -> None:
        """One event of :func:`stream_claims`."""
        if isinstance(event, RemittanceStart):
            self.start(event.remittance)
        elif isinstance(event, RemittanceEnd):
            self.end(event.remittance)
        else:
            self.claim(event)

    def start(self, header: Remittance) -> None:
        """A remittance begins (its header is enough: claims and verdicts come later).

        Raises:
            ParseError: BPR16 (the payment date, required by the 835) is missing or not a
                date: the file is quarantined rather than recorded under a doubtful identity.
        """
        if header.payment_date is None:
            shown = repr(header.payment_date_raw[:12]) if header.payment_date_raw else "missing"
            raise ParseError(
                f"the payment date BPR16 is {shown}; the 835 requires a CCYYMMDD date",
                file=header.file,
                segment_id="BPR",
                element="BPR16",
            )
        prefix = TEST_KEY_PREFIX if header.test else ""
        self.legacy_keys[prefix + header.item_key] = prefix + header.legacy_item_key
        self._header = header
        self._claims = []
        self._seen = Counter()

    def claim(self, claim: ClaimPayment) -> None:
        """One claim of the open remittance."""
        header = self._header
        assert header is not None, "claim before its remittance"
        prefix = TEST_KEY_PREFIX if header.test else ""
        key = prefix + claim.item_key(header)
        self._seen[key] += 1
        if self._seen[key] > 1:
            key = f"{key}:{self._seen[key]}"
        record = claim_record(claim, header, remittance_key=prefix + header.item_key)
        self._claims.append((key, record, claim.paid, claim.payer_claim_control or None))

    def end(self, remittance: Remittance) -> None:
        """The open remittance ends: ``remittance`` has its verdicts (claims may be empty)."""
        test = remittance.test
        prefix = TEST_KEY_PREFIX if test else ""
        status = ItemStatus.IGNORED if test else ItemStatus.RECEIVED
        why = {"review_reason": TEST_FILE, "review_message": TEST_FILE_MESSAGE} if test else {}
        rem_key = prefix + remittance.item_key
        record = remittance_record(remittance, claim_keys=tuple(key for key, *_ in self._claims))
        payload = record.to_json()
        self.items.append(
            NewItem(key=rem_key, kind=ItemKind.ERA_REMITTANCE, payload=payload,
                    amount=remittance.signed_amount, status=status, group_key=rem_key, **why)
        )  # fmt: skip
        balanced = remittance.balanced
        for key, claim, paid, related in self._claims:
            claim_payload = replace(claim, remittance_balanced=balanced).to_json()
            self.items.append(
                NewItem(key=key, kind=ItemKind.ERA_CLAIM, payload=claim_payload, amount=paid,
                        status=status, group_key=rem_key, related_key=related, **why)
            )  # fmt: skip
        self.remittances += 1
        self.claims += len(self._claims)
        self.test = self.test or test
        self.unbalanced += 0 if balanced else 1
        self._header = None
        self._claims = []


def build_items(remittances: list[Remittance]) -> list[NewItem]:
    """The store items of a file's remittances (see :class:`FileItems`)."""
    return build_file_items(remittances).items


def build_file_items(remittances: list[Remittance]) -> FileItems:
    """A file's remittances collected (items and legacy keys, see :class:`FileItems`)."""
    collected = FileItems()
    for remittance in remittances:
        collected.add(remittance)
    return collected
