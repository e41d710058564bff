"""A small graded book on top of the ``world`` cast, with figures that can be checked by hand.

Periods: P = 2026-10 (grades now), Q = 2026-09 (compared with). Today is frozen at 2026-11-15.

East (directed by ``director``)            grade Q → P   score Q → P   revenue P (Q)
  own_account      manager, manufacturing     A → B         80.00 → 70.00  1,000,000.00 (1,200,000.00)
  east_estate      teammate, real estate      A → A         90.00 → 88.00    500,000.50   (450,000.00)
  east_slipping    manager, manufacturing     B → C         65.00 → 55.00    120,000.10   (100,000.00)
  east_new         manager, manufacturing     — → C             — → 40.00      3,333.33
North (directed by ``other_director``)
  foreign_account  other_manager              A → B         85.00 → 72.00  9,999,999.99 (9,000,000.00)
  north_rising     other_manager              C → A         50.00 → 80.00        777.77       (700.00)
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Account, Complaint, Interaction, Order
from scoring.models import GradeSnapshot, ScoringModel
from tests.factories import AccountFactory

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.datetime(2026, 11, 15, 10, 0, tzinfo=SHANGHAI)
PERIOD = datetime.date(2026, 10, 1)
COMPARE = datetime.date(2026, 9, 1)


@dataclass
class Book:
    world: object
    east_estate: Account
    east_slipping: Account
    east_new: Account
    north_rising: Account


def snapshot(account, period, grade, total, revenue, profit=None, previous=""):
    # The data migration's active model; a transactional test (the browser tests) flushed it away.
    model = ScoringModel.objects.filter(status=ScoringModel.Status.ACTIVE).first()
    if model is None:
        model = ScoringModel.objects.create(
            name="Dashboard tests", status=ScoringModel.Status.ACTIVE, activated_at=timezone.now()
        )
    revenue = Decimal(revenue)
    return GradeSnapshot.objects.create(
        account=account,
        period=period,
        scoring_model=model,
        total=Decimal(total),
        computed_grade=grade,
        grade=grade,
        previous_grade=previous,
        order_volume=revenue,
        gross_profit=Decimal(profit) if profit is not None else (revenue / 5).quantize(Decimal("0.01")),
        computed_at=timezone.now(),
    )


_order_numbers = iter(range(1, 10_000))


def order(account, on, amount, profit="0.00", due=None, paid=None):
    return Order.objects.create(
        account=account,
        number=f"D-{next(_order_numbers):06d}",
        order_date=on,
        amount=Decimal(amount),
        gross_profit=Decimal(profit),
        invoice_date=on,
        due_date=due,
        paid_date=paid,
    )


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def book(world, frozen):
    w = world
    east_estate = AccountFactory(
        name="杭州嘉和置业有限公司", owner=w.teammate, region=w.east, industry=Account.Industry.REAL_ESTATE
    )
    east_slipping = AccountFactory(name="苏州恒通精密有限公司", owner=w.manager, region=w.east)
    east_new = AccountFactory(name='=HYPERLINK("http://x")宁波新创', owner=w.manager, region=w.east)
    north_rising = AccountFactory(name="天津北辰物流有限公司", owner=w.other_manager, region=w.north)

    snapshot(w.own_account, COMPARE, "A", "80.00", "1200000.00")
    snapshot(w.own_account, PERIOD, "B", "70.00", "1000000.00", "200000.00", previous="A")
    snapshot(east_estate, COMPARE, "A", "90.00", "450000.00")
    snapshot(east_estate, PERIOD, "A", "88.00", "500000.50", "100000.25", previous="A")
    snapshot(east_slipping, COMPARE, "B", "65.00", "100000.00")
    snapshot(east_slipping, PERIOD, "C", "55.00", "120000.10", "10000.01", previous="B")
    snapshot(east_new, PERIOD, "C", "40.00", "3333.33", "333.33")
    snapshot(w.foreign_account, COMPARE, "A", "85.00", "9000000.00")
    snapshot(w.foreign_account, PERIOD, "B", "72.00", "9999999.99", "1000000.00", previous="A")
    snapshot(north_rising, COMPARE, "C", "50.00", "700.00")
    snapshot(north_rising, PERIOD, "A", "80.00", "777.77", "77.77", previous="C")

    # Orders for the monthly trend (24 months before P: 2024-10-01 … 2026-09-30).
    order(east_estate, datetime.date(2024, 9, 30), "7.00")  # before the window
    order(
        east_estate,
        datetime.date(2024, 10, 1),
        "10.00",
        "1.00",
        due=datetime.date(2024, 10, 31),
        paid=datetime.date(2024, 10, 30),
    )
    order(east_estate, datetime.date(2025, 1, 10), "500.00", "50.00")
    order(east_new, datetime.date(2026, 8, 1), "3333.33", "333.33", due=datetime.date(2026, 8, 31))  # overdue
    order(w.own_account, datetime.date(2026, 9, 15), "1000.10", "100.01")
    order(w.own_account, datetime.date(2026, 9, 30), "2000.20", "200.02")
    order(w.own_account, datetime.date(2026, 10, 1), "99.00")  # in P itself: not in the window
    order(
        w.foreign_account, datetime.date(2026, 9, 15), "99999.99", "9999.99", due=datetime.date(2026, 10, 1)
    )

    # Activity in October 2026, Asia/Shanghai.
    def log(account, author, kind, when):
        Interaction.objects.create(
            account=account, author=author, kind=kind, occurred_at=when, summary="拜访"
        )

    log(w.own_account, w.manager, "visit", datetime.datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI))
    log(east_slipping, w.manager, "visit", datetime.datetime(2026, 10, 31, 23, 30, tzinfo=SHANGHAI))
    log(east_slipping, w.manager, "visit", datetime.datetime(2026, 11, 1, 0, 10, tzinfo=SHANGHAI))  # November
    log(
        east_slipping, w.manager, "visit", datetime.datetime(2026, 9, 30, 23, 59, tzinfo=SHANGHAI)
    )  # September
    log(w.own_account, w.manager, "call", datetime.datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
    log(w.own_account, w.teammate, "meeting", datetime.datetime(2026, 10, 20, 14, 0, tzinfo=SHANGHAI))
    log(w.foreign_account, w.other_manager, "visit", datetime.datetime(2026, 10, 5, 9, 0, tzinfo=SHANGHAI))

    received = datetime.datetime(2026, 10, 2, 9, 0, tzinfo=SHANGHAI)
    common = {"channel": "phone", "category": "delivery", "description": "交货延迟"}
    Complaint.objects.create(
        account=w.own_account,
        received_at=received,
        created_by=w.manager,
        handler=w.manager,
        status="resolved",
        resolved_at=received + datetime.timedelta(days=2),
        **common,
    )
    Complaint.objects.create(  # open for weeks: past any deadline
        account=east_slipping, received_at=received, created_by=w.manager, status="open", **common
    )
    Complaint.objects.create(
        account=w.foreign_account,
        received_at=received,
        created_by=w.other_manager,
        handler=w.other_manager,
        status="resolved",
        resolved_at=received + datetime.timedelta(days=1),
        **common,
    )
    return Book(
        world=w,
        east_estate=east_estate,
        east_slipping=east_slipping,
        east_new=east_new,
        north_rising=north_rising,
    )


def fix_complaint_deadlines() -> None:
    """As complaint_open (or the daily run, for complaints entered elsewhere) does: each complaint gets
    its deadlines from its account's tier."""
    from service_tiers.services import complaint_deadline_fix

    for complaint in Complaint.objects.filter(deadline__isnull=True):
        complaint_deadline_fix(complaint=complaint)
