"""``ping_services``: the read-only probe the posting job uses to tell an Open Dental outage
from one request Open Dental refuses; it reaches the database *and* the API."""

from __future__ import annotations

import pytest

from adapters.base import ServicesPing
from connector.errors import TransientError
from tests.adapters.opendental.helpers import writes
from tests.support.opendental import OdContext
from workshop.sandbox.opendental_api import POISON

pytestmark = pytest.mark.external_service


def test_probe_reads_the_database_and_the_api(od: OdContext) -> None:
    """With both services up the probe answers with the version, after one API GET only."""
    ledger = od.ledger()
    try:
        assert isinstance(ledger, ServicesPing)
        info = ledger.ping_services()
    finally:
        ledger.close()
    assert info.vendor == "opendental" and info.version and info.detail["api"] == "answered"
    assert writes(od) == [("GET", "/preferences", 200)]
    assert od.api.requests[0].body == {"PrefName": "DataBaseVersion"}


def test_probe_fails_when_the_api_is_stopped(od: OdContext) -> None:
    """With the API service stopped (the database up) ``ping`` still answers but the probe
    raises the adapter's ``pms_api_unavailable``."""
    ledger = od.ledger()
    od.api.stop()
    try:
        assert ledger.ping().vendor == "opendental"
        with pytest.raises(TransientError) as caught:
            ledger.ping_services()
    finally:
        ledger.close()
        od.api.start()
    assert caught.value.code == "pms_api_unavailable"


def test_probe_fails_when_the_api_answers_5xx_to_everything(od: OdContext) -> None:
    """An API that answers 503 to every request is down for the probe too."""
    od.api.faults.fail(POISON, status=503)
    ledger = od.ledger()
    try:
        with pytest.raises(TransientError) as caught:
            ledger.ping_services()
    finally:
        ledger.close()
    assert caught.value.code == "pms_api_unavailable" and caught.value.context["status"] == 503
