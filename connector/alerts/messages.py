"""What the alert e-mails say (pure functions: records in, :class:`EmailMessage` out).

Only ids, amounts, item kinds, reason titles, job names, error codes and console links: a
digest is e-mail, not a secure channel, so no patient names or birth dates ever go into it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from connector.config import PracticeSettings
from connector.posting.reasons import describe
from connector.store.base import PollState, Review

JOBS = {
    "stripe": "card payments (Stripe)",
    "era": "insurance ERAs",
    "posting": "posting to the PMS",
}


def money(value: str) -> str:
    """``$1,234.56`` from a stored amount string."""
    amount = Decimal(value)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def _message(sender: str, to: Sequence[str], subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


def _name(practice: PracticeSettings) -> str:
    return practice.name or practice.id


def digest(
    practice: PracticeSettings,
    reviews: Sequence[Review],
    day: dt.date,
    base_url: str,
    sender: str,
    to: Sequence[str],
) -> EmailMessage:
    """The daily digest: the new items waiting for a person, each with its console link."""
    count = len(reviews)
    subject = (
        f"[Connector] {_name(practice)}: {count} new item{'s' if count != 1 else ''} "
        f"waiting for a person ({day.isoformat()})"
    )
    lines = [
        f"{_name(practice)}: {count} new item{'s' if count != 1 else ''} the connector did not "
        "post by itself since the last digest. Open each one to resolve, retry or post it.",
        "",
    ]
    for review in reviews:
        kind = review.item_kind.replace("_", " ")
        lines.append(f"- {money(review.amount)} {kind}: {describe(review.reason).title}")
        lines.append(f"  {base_url}/items/{review.item_id}")
    lines += ["", f"Everything waiting: {base_url}/queue?tab=waiting&practice={practice.id}"]
    return _message(sender, to, subject, "\n".join(lines) + "\n")


def outage(
    practice: PracticeSettings,
    poll: PollState,
    since: dt.datetime,
    base_url: str,
    sender: str,
    to: Sequence[str],
) -> EmailMessage:
    """A job has been failing longer than ``alerts.outage.after``."""
    job = JOBS.get(poll.source, poll.source)
    subject = f"[Connector] {_name(practice)}: {job} failing since {since:%Y-%m-%d %H:%M} UTC"
    body = (
        (
            f"{_name(practice)}: {job} has failed {poll.consecutive_failures} time(s) in a row "
            f"since {since:%Y-%m-%d %H:%M} UTC.\n\n"
            f"Error: {poll.last_error_code or 'unknown'}\n"
            f"Last attempt: {poll.last_error_at:%Y-%m-%d %H:%M} UTC\n\n"
            "Nothing is lost: the connector keeps trying and catches up once it works again.\n"
            "`connector status` and `connector check-config` show more; another e-mail follows "
            "when it recovers.\n\n"
            f"Console: {base_url}/today\n"
        )
        if poll.last_error_at
        else f"{_name(practice)}: {job} is failing.\n"
    )
    return _message(sender, to, subject, body)


def recovery(
    practice: PracticeSettings,
    poll: PollState,
    since: dt.datetime,
    now: dt.datetime,
    base_url: str,
    sender: str,
    to: Sequence[str],
) -> EmailMessage:
    """A job that was reported failing works again."""
    job = JOBS.get(poll.source, poll.source)
    minutes = int((now - since).total_seconds() // 60)
    subject = f"[Connector] {_name(practice)}: {job} works again"
    body = (
        f"{_name(practice)}: {job} works again (failing from {since:%Y-%m-%d %H:%M} UTC, "
        f"about {minutes} minutes). The connector is catching up by itself.\n\n"
        f"Console: {base_url}/today\n"
    )
    return _message(sender, to, subject, body)
