"""When alerts go out: called by the daemon every minute (``AlertWatcher.tick``).

* **Digest**: once the practice-local time passes ``alerts.digest.at``, the day's digest is
  *claimed* in ``alerts_sent`` (practice, ``digest``, local date) before it is sent, so a
  restart, a crash after sending, or a second instance never sends it twice; a failed send
  gives the claim back and the next tick tries again. It lists the open reviews opened
  since the previous digest (the first digest lists every open one), by review id, so clock
  differences between instances cannot drop or repeat an item; a day with none sends nothing.
* **Outage**: a job (``stripe``, ``era``, ``posting``: the PMS) failing is remembered as an
  episode (``failing``, job) starting at its last success (or when first seen failing). Once
  the episode is older than ``alerts.outage.after`` one ``outage`` e-mail is sent for it; when
  the job succeeds again, one ``recovery`` e-mail (only if the outage one went out) and the
  episode ends.

Times come from the injected clock; every failure is logged and retried at the next tick.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import structlog

from connector.alerts import messages
from connector.alerts.mailer import Mailer, SmtpMailer
from connector.clock import SYSTEM, Clock, local_now
from connector.config import ConnectorSettings, PracticeSettings
from connector.config.console import AlertsSettings
from connector.errors import ConnectorError
from connector.store.base import PollState
from connector.store.console_base import ConsoleStore

log = structlog.get_logger("connector.alerts")


class AlertWatcher:
    """Decides and sends the alerts of every enabled practice."""

    def __init__(
        self,
        settings: ConnectorSettings,
        store: ConsoleStore,
        *,
        mailer: Mailer | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        assert settings.alerts is not None
        self.settings = settings
        self.alerts: AlertsSettings = settings.alerts
        self.store = store
        self.mailer = mailer or SmtpMailer(self.alerts.smtp)
        self.clock = clock
        self.base_url = settings.console.base_url()

    def tick(self) -> None:
        """Check every practice once; one practice's failure never stops the others."""
        if not self.alerts.enabled:
            return
        for practice in self.settings.practices:
            if not practice.enabled:
                continue
            try:
                if self.alerts.digest.enabled:
                    self.digest(practice)
                if self.alerts.outage.enabled:
                    self.outages(practice)
            except ConnectorError as exc:
                log.warning(
                    "alerts.failed", practice_id=practice.id, error_code=exc.code, error=exc.message
                )

    # -- digest ---------------------------------------------------------------------------
    def digest(self, practice: PracticeSettings) -> bool:
        """Send today's digest if its time has come and it was not sent; True when sent."""
        now = self.clock.now()
        local = local_now(self.clock, practice.timezone)
        if local.time() < self.alerts.digest.local_time():
            return False
        day = local.date().isoformat()
        if self.store.alert_sent(practice.id, "digest", day):
            return False
        previous = self.store.last_alert(practice.id, "digest")
        after = int(previous.detail.get("last_review_id", 0)) if previous else 0
        reviews = self.store.new_reviews(practice.id, after)
        last = reviews[-1].id if reviews else after
        claimed = self.store.mark_alert_sent(
            practice.id, "digest", day, now, {"items": len(reviews), "last_review_id": last}
        )
        if not claimed:
            return False  # another instance claimed it a moment ago
        if not reviews:
            log.info("alerts.digest.empty", practice_id=practice.id, day=day)
            return False
        message = messages.digest(
            practice,
            reviews,
            local.date(),
            self.base_url,
            self.alerts.smtp.sender,
            self.alerts.recipients(practice.id),
        )
        self._send(practice, message, ("digest", day), items=len(reviews))
        return True

    # -- outages --------------------------------------------------------------------------
    def outages(self, practice: PracticeSettings) -> None:
        """Start, report and end outage episodes of the practice's jobs."""
        now = self.clock.now()
        episodes = dict(self.store.alert_markers(practice.id, "failing"))
        for poll in self.store.poll_states(practice.id):
            start = episodes.get(poll.source)
            if poll.consecutive_failures > 0:
                if start is None:
                    start = poll.last_ok_at or now
                    self.store.mark_alert_sent(practice.id, "failing", poll.source, start, {})
                self._maybe_outage(practice, poll, start, now)
            elif start is not None:
                self._recovered(practice, poll, start, now)

    def _maybe_outage(
        self, practice: PracticeSettings, poll: PollState, start: dt.datetime, now: dt.datetime
    ) -> None:
        if now - start < self.alerts.outage.after:
            return
        period = f"{poll.source}@{start.isoformat()}"
        if not self.store.mark_alert_sent(
            practice.id, "outage", period, now, {"code": poll.last_error_code}
        ):
            return
        message = messages.outage(
            practice,
            poll,
            start,
            self.base_url,
            self.alerts.smtp.sender,
            self.alerts.recipients(practice.id),
        )
        self._send(practice, message, ("outage", period), job=poll.source)

    def _recovered(
        self, practice: PracticeSettings, poll: PollState, start: dt.datetime, now: dt.datetime
    ) -> None:
        period = f"{poll.source}@{start.isoformat()}"
        if self.store.alert_sent(practice.id, "outage", period) and self.store.mark_alert_sent(
            practice.id, "recovery", period, now, {}
        ):
            message = messages.recovery(
                practice,
                poll,
                start,
                now,
                self.base_url,
                self.alerts.smtp.sender,
                self.alerts.recipients(practice.id),
            )
            self._send(practice, message, ("recovery", period), job=poll.source)
        self.store.release_alert(practice.id, "failing", poll.source)

    # -- sending --------------------------------------------------------------------------
    def _send(
        self,
        practice: PracticeSettings,
        message: EmailMessage,
        claim: tuple[str, str],
        **fields: object,
    ) -> None:
        """Send; on failure give the claim back (the next tick tries again) and re-raise."""
        try:
            self.mailer.send(message)
        except ConnectorError:
            self.store.release_alert(practice.id, *claim)
            raise
        log.info("alerts.sent", practice_id=practice.id, kind=claim[0], **fields)


def watcher_for(
    settings: ConnectorSettings, store: object, *, clock: Clock = SYSTEM
) -> AlertWatcher | None:
    """The daemon's watcher, or None when ``alerts:`` is absent or disabled."""
    if settings.alerts is None or not settings.alerts.enabled:
        return None
    from connector.store.console_tables import as_console_store  # noqa: PLC0415 - no cycle

    return AlertWatcher(settings, as_console_store(store), clock=clock)
