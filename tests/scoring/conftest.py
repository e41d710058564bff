"""Helpers for scoring tests: accounts with orders placed around a frozen "today"."""

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Order
from scoring.models import ScoringModel

# Frozen today for grading tests: period 2026-11-01, window 2025-11-01 … 2026-10-31,
# prior window 2024-11-01 … 2025-10-31.
TODAY = datetime.datetime(2026, 11, 15, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
PERIOD = datetime.date(2026, 11, 1)
IN_WINDOW = datetime.date(2026, 3, 10)
IN_PRIOR_WINDOW = datetime.date(2025, 3, 10)

_numbers = itertools.count(1)


@pytest.fixture
def frozen_today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def add_order(account, *, on=IN_WINDOW, amount="100000", profit="20000", due_days=30, paid_days=None):
    """One order; paid ``paid_days`` after its due date (negative = early, None = unpaid)."""
    due = on + datetime.timedelta(days=due_days) if due_days is not None else None
    paid = due + datetime.timedelta(days=paid_days) if (due and paid_days is not None) else None
    return Order.objects.create(
        account=account,
        number=f"T-{next(_numbers):08d}",
        order_date=on,
        amount=Decimal(amount),
        gross_profit=Decimal(profit),
        invoice_date=on,
        due_date=due,
        paid_date=paid,
    )


@pytest.fixture
def default_model(db):
    return ScoringModel.objects.get(status=ScoringModel.Status.ACTIVE)


@pytest.fixture
def seed_model(db):
    return ScoringModel.objects.get(name="Real-estate services example (seed 003)")
