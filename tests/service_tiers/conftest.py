"""Helpers for service-tier tests: frozen Shanghai time, grade snapshots, visits."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scoring.models import GradeSnapshot, ScoringModel
from service_tiers.alerts import alerts_sync
from service_tiers.models import Alert
from tests.factories import InteractionFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=10, minute=0):
    """An aware moment in Asia/Shanghai."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def freeze():
    """freeze(year, month, day[, hour]) travels there (time stands still) until the test ends."""
    travellers = []

    def travel(*args):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(at(*args), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield travel
    for traveller in travellers:
        traveller.stop()


def snapshot(account, period, grade, total="70.00", computed_grade=None):
    model = (
        ScoringModel.objects.filter(status=ScoringModel.Status.ACTIVE).first() or ScoringModel.objects.first()
    )
    return GradeSnapshot.objects.create(
        account=account,
        period=period,
        scoring_model=model,
        total=Decimal(total),
        computed_grade=computed_grade or grade,
        grade=grade,
        computed_at=at(period.year, period.month, period.day, 2),
    )


def visit(account, when, kind="visit"):
    return InteractionFactory(account=account, occurred_at=when, kind=kind)


def open_alerts(account=None, rule=None):
    alerts = Alert.objects.filter(status=Alert.Status.OPEN)
    if account is not None:
        alerts = alerts.filter(account=account)
    if rule is not None:
        alerts = alerts.filter(rule=rule)
    return alerts


def sync():
    return alerts_sync()
