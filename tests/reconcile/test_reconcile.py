"""Three-way reconciliation over a real SQLite store and bank statements we write (CSV, OFX,
BAI2), read with the kept parsers: payouts and EFTs matched by trace, payout id, or amount and
date; a lump-sum EFT; two payouts of the same amount on the same day flagged, never paired."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.reconcile.report import reconcile_report
from connector.reconcile.statement import StatementError, read_statement
from connector.store import SQLiteStore

D = Decimal


def payout(store: SQLiteStore, po: str, day: str, payments: list[str], fee: str) -> None:
    """A paid payout: its payments (each with ``fee``) and its own debit to the bank."""
    items, net = [], D("0.00")
    for n, amount in enumerate(payments):
        key = f"txn_{po}_{n}"
        net += D(amount) - D(fee)
        payload = {"txn": key, "payout": po, "payout_arrival_date": day, "type": "charge",
                   "amount": amount, "fee": fee, "net": str(D(amount) - D(fee))}  # fmt: skip
        items.append(NewItem(key, ItemKind.PATIENT_PAYMENT, payload, D(amount), group_key=po))
    debit = {"txn": f"txn_{po}_po", "payout": po, "payout_arrival_date": day, "type": "payout",
             "amount": str(-net), "fee": "0.00", "net": str(-net)}  # fmt: skip
    items.append(NewItem(f"txn_{po}_po", ItemKind.STRIPE_OTHER, debit, -net, ItemStatus.IGNORED,
                         group_key=po))  # fmt: skip
    store.record("p1", "stripe", items)
    for item in items[:-1]:
        found = store.find_item("p1", item.key)
        assert found is not None
        store.mark_posted(found.id, {"PayNum": 1}, {})


def eft(store: SQLiteStore, trace: str, amount: str, day: str, claims: list[str]) -> str:
    """A remittance (BPR02 = ``amount``, TRN02 = ``trace``) whose claims are all posted."""
    key = f"era:P1:{trace}:{amount}:{len(claims)}"
    rem = NewItem(key, ItemKind.ERA_REMITTANCE,
                  {"trace": trace, "payer_name": "DELTA", "payment_date": day, "plb": []},
                  D(amount))  # fmt: skip
    store.record("p1", "era", [rem] + [
        NewItem(f"{key}:{n}", ItemKind.ERA_CLAIM, {"remittance_key": key}, D(paid), group_key=key)
        for n, paid in enumerate(claims)
    ])  # fmt: skip
    for n in range(len(claims)):
        found = store.find_item("p1", f"{key}:{n}")
        assert found is not None
        store.mark_posted(found.id, {"claim_id": str(n)}, {})
    return key


@pytest.fixture
def books(store: SQLiteStore) -> SQLiteStore:
    """Two payouts of 96.80 arriving the same day, one of 290.40 the next day; a lump-sum EFT
    of one payer split over two remittances with one trace; an EFT of 15 claims."""
    payout(store, "po_A", "2026-11-18", ["100.00"], "3.20")
    payout(store, "po_B", "2026-11-18", ["100.00"], "3.20")
    payout(store, "po_C", "2026-11-19", ["100.00", "200.00"], "4.80")
    eft(store, "EFT777", "300.00", "2026-11-17", ["100.00", "200.00"])
    eft(store, "EFT777", "150.00", "2026-11-17", ["150.00"])
    eft(store, "CHK900", "1500.00", "2026-11-18", ["100.00"] * 15)
    return store


CSV = """Date,Description,Amount,Reference
2026-11-18,STRIPE TRANSFER,96.80,B1
2026-11-18,STRIPE TRANSFER,96.80,B2
2026-11-20,STRIPE TRANSFER,290.40,B3
2026-11-18,DELTA HCCLAIMPMT TRN*1*EFT777*1234567890\\,450.00,B4
2026-11-19,DELTA HCCLAIMPMT,1500.00,B5
2026-11-19,CHECK ORDER FEE,-25.00,B6
2026-11-19,MOBILE DEPOSIT,80.00,B7
"""


def rows_by_ref(store: SQLiteStore, path: Path) -> dict[str, tuple[str, bool]]:
    report = reconcile_report(store, ["p1"], bank=read_statement(path))
    return {r.ref: (r.bank, r.closed) for r in report.rows} | {
        f"bank:{b.line.line}": (b.why, False) for b in report.unmatched_bank
    }


def test_csv_statement_matches_flags_and_lists(books: SQLiteStore, tmp_path: Path) -> None:
    """The lump sum takes both remittances of its trace; the 15-claim EFT matches by amount and
    date; po_C by amount a day late; po_A/po_B (same amount, same day) are flagged on both
    sides, never paired; the mobile deposit is listed as unmatched; the debit is ignored."""
    path = tmp_path / "bank.csv"
    path.write_text(CSV)
    got = rows_by_ref(books, path)
    assert got["EFT777"] == ("line 5 2026-11-18 450.00 (lump sum)", True)
    assert got["CHK900"] == ("line 6 2026-11-19 1500.00", True)
    assert got["po_C"] == ("line 4 2026-11-20 290.40", True)
    for po in ("po_A", "po_B"):
        words, closed = got[po]
        assert words.startswith("ambiguous: bank line 2 2026-11-18 96.80, line 3") and not closed
    assert got["bank:2"][0] == got["bank:3"][0] == "ambiguous: fits po_A, po_B by amount and date"
    assert got["bank:8"] == ("no payout or EFT fits", False)
    assert not any(key == "bank:7" for key in got)  # the debit


def test_payout_ids_in_the_bank_text_tell_them_apart(books: SQLiteStore, tmp_path: Path) -> None:
    """When the bank shows the payout id, two payouts of the same amount and day are told apart."""
    path = tmp_path / "bank.csv"
    path.write_text(CSV.replace("STRIPE TRANSFER,96.80,B1", "STRIPE po_B,96.80,B1")
                       .replace("STRIPE TRANSFER,96.80,B2", "STRIPE po_A,96.80,B2"))  # fmt: skip
    got = rows_by_ref(books, path)
    assert got["po_B"] == ("line 2 2026-11-18 96.80", True)
    assert got["po_A"] == ("line 3 2026-11-18 96.80", True)


OFX = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20261120
<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0
<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>99
<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20261101<DTEND>20261120
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>450.00<FITID>F1<NAME>DELTA HCCLAIMPMT
<MEMO>TRN*1*EFT777*1234567890\\</STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261120<TRNAMT>290.40<FITID>F2<NAME>STRIPE</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261120<TRNAMT>-12.00<FITID>F3<NAME>FEE</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>0<DTASOF>20261120</LEDGERBAL></STMTRS></STMTTRNRS>
</BANKMSGSRSV1></OFX>
"""


def test_ofx_statement(books: SQLiteStore, tmp_path: Path) -> None:
    """OFX through ofxparse: the trace in the memo takes the lump sum; po_C by amount and date;
    payouts and EFTs the statement lacks are said to be missing."""
    path = tmp_path / "bank.ofx"
    path.write_text(OFX)
    got = rows_by_ref(books, path)
    assert got["EFT777"] == ("line 1 2026-11-18 450.00 (lump sum)", True)
    assert got["po_C"] == ("line 2 2026-11-20 290.40", True)
    assert got["CHK900"] == ("not in the statement", False)


BAI2 = """01,121000248,CLINIC,261120,0800,1,,,2/
02,CLINIC,121000248,1,261118,,USD,2/
03,99,USD,010,0,,/
16,165,45000,Z,BR1,,DELTA HCCLAIMPMT/
88,TRN*1*EFT777*1234567890\\/
16,165,150000,Z,BR2,,DELTA HCCLAIMPMT/
16,165,9680,Z,BR3,,STRIPE po_A/
16,475,2500,Z,BR4,,CHECK ORDER/
49,207180,7/
98,207180,1,9/
99,207180,1,11/
"""


def test_bai2_statement(books: SQLiteStore, tmp_path: Path) -> None:
    """BAI2 through bai2: credits dated by the group's as-of date, the 88 continuation carries
    the trace; the debit (type 475) is dropped; po_A is named, po_B is not in the file."""
    path = tmp_path / "bank.bai"
    path.write_text(BAI2)
    got = rows_by_ref(books, path)
    assert got["EFT777"] == ("line 4 2026-11-18 450.00 (lump sum)", True)
    assert got["CHK900"] == ("line 6 2026-11-18 1500.00", True)
    assert got["po_A"] == ("line 7 2026-11-18 96.80", True)
    assert got["po_B"][1] is False


def test_open_rows_without_a_statement(books: SQLiteStore) -> None:
    """Ledger only: a payout with a payment in review is open by its amount."""
    item = books.find_item("p1", "txn_po_C_1")
    assert item is not None
    books.mark_review(item.id, "patient_not_found", "no patient id")
    report = reconcile_report(books, ["p1"])
    row = next(r for r in report.rows if r.ref == "po_C")
    assert (row.posted, row.waiting, row.difference, row.closed) == (
        D("100.00"), D("200.00"), D("200.00"), False)  # fmt: skip
    assert row.waiting_items == ["txn_po_C_1 patient_payment 200.00 review"]
    assert row.bank == "" and row.bank_matched is None


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("bank.csv", "Date,Description,Amount\n2026-11-18,X,12.3.4\n", "line 2: amount '12.3.4'"),
        ("bank.csv", "Date,Description,Amount\n18th Nov,X,12.00\n", "line 2: date '18th Nov'"),
        ("bank.csv", "Date,What\n2026-11-18,X\n", "line 1: no amount column"),
        ("bank.bai", BAI2.replace("16,165,9680", "17,165,9680"), "line 7: '17' is not a BAI2"),
        ("bank.bai", BAI2.replace("49,207180", "49,1"), "not a valid BAI2 file (Invalid account"),
        ("bank.ofx", "OFXHEADER:100\n<OFX><BROKEN", "not a readable OFX file"),
    ],
)
def test_bad_statement_is_a_clear_error(
    tmp_path: Path, name: str, content: str, words: str
) -> None:
    """A malformed statement names the file and, where the format allows, the line."""
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(StatementError, match="bank statement") as caught:
        read_statement(path)
    assert words in caught.value.message and name in caught.value.message


def test_reconcile_command_prints_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connector report reconcile --since … --csv --bank FILE` prints the rows and the
    unmatched credits; a bad statement is an error naming the line (exit 2)."""
    from connector.cli import main
    from tests.support.configs import od_practice, write_config

    for key in ("TEST_OD_DEV", "TEST_OD_CUST", "TEST_OD_ODBC"):
        monkeypatch.setenv(key, "x-secret")
    path = write_config(tmp_path, [od_practice("p1")])
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    payout(db, "po_C", "2026-11-19", ["100.00", "200.00"], "4.80")
    db.close()
    bank = tmp_path / "bank.csv"
    bank.write_text(CSV)
    args = ["--config", str(path), "report", "reconcile", "--since", "2000-01-01", "--csv"]
    assert main([*args, "--bank", str(bank)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("practice,source,reference,from,date,bank amount,deposit")
    assert out[1].startswith("p1,stripe,po_C,Stripe,2026-11-19,290.40,,,300.00,0.00,0.00,closed")
    assert sum(1 for line in out if ",bank," in line and "unmatched" in line) == 5
    bank.write_text("Date,Description,Amount\n2026-11-18,X,abc\n")
    assert main([*args, "--bank", str(bank)]) == 2
    assert "line 2: amount 'abc' is not a number" in capsys.readouterr().err


def test_deposits_command_prints_the_slip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connector report deposits --csv`: the total (bank amount), each posting, the fees."""
    from connector.cli import main
    from tests.support.configs import od_practice, write_config

    for key in ("TEST_OD_DEV", "TEST_OD_CUST", "TEST_OD_ODBC"):
        monkeypatch.setenv(key, "x-secret")
    path = write_config(tmp_path, [od_practice("p1")])
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    payout(db, "po_C", "2026-11-19", ["100.00", "200.00"], "4.80")
    payload = {"payout": "po_C", "source": "stripe", "payout_arrival_date": "2026-11-19",
               "bank_amount": "290.40"}  # fmt: skip
    db.record("p1", "stripe", [NewItem("deposit:po_C", ItemKind.DEPOSIT, payload, D("290.40"),
                                       ItemStatus.IGNORED, group_key="po_C")])  # fmt: skip
    db.close()
    assert main(["--config", str(path), "report", "deposits", "--csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "practice,payout,date,line,amount,state,pms ids",
        "p1,po_C,2026-11-19,total (bank amount),290.40,enter by hand (deposit slip),",
        "p1,po_C,2026-11-19,txn_po_C_0 patient_payment,100.00,,PayNum=1",
        "p1,po_C,2026-11-19,txn_po_C_1 patient_payment,200.00,,PayNum=1",
        "p1,po_C,2026-11-19,processor fees,-9.60,,",
    ]
