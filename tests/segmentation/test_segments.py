"""Value (Pareto) and behaviour (RFM) segments, written with the monthly re-grade, against figures
computed by hand.

Period P = 2026-10 (window 2025-10-01 … 2026-09-30), today frozen at 2026-10-15.

account  orders in window (amount / GP each)   GP      ahead  value   last order  R F M  segment
a1       5 × 50,000 / 10,000                   50,000   0 %   high    2026-09-20  5 5 5  champions
a2       4 × 40,000 /  7,500                   30,000  50 %   high    2026-09-10  5 5 5  champions
a3       3 × 30,000 / 4,000 + 3,000 + 3,000    10,000  80 %   medium  2026-08-01  4 3 4  loyal
a4       3 × 10,000 /  2,000                    6,000  90 %   medium  2026-06-01  3 3 3  loyal
a5       1 × 20,000 /  4,000                    4,000  96 %   low     2026-03-01  2 2 2  hibernating
a6       none (one on 2024-12-01, prior year)       0   —     low     2024-12-01  1 1 1  hibernating

Six accounts: score = min(5, rank) with ascending ranks; a3 and a4 tie on frequency (3 orders: rank 3).
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from scoring.services import regrade_period
from segmentation.models import AccountSegment, RfmSegment, SegmentationSettings
from segmentation.segments import account_segments_write
from tests.factories import AccountFactory, OrderFactory

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
PERIOD = datetime.date(2026, 10, 1)


def orders(account, last, count, amount, profits):
    for index in range(count):
        day = last - datetime.timedelta(days=10 * index)
        OrderFactory(
            account=account, order_date=day, amount=Decimal(amount), gross_profit=Decimal(profits[index])
        )


@pytest.fixture
def accounts(db):
    with time_machine.travel(datetime.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        a1, a2, a3, a4, a5, a6 = (AccountFactory(name=f"账户{n}") for n in range(1, 7))
        orders(a1, datetime.date(2026, 9, 20), 5, "50000", ["10000"] * 5)
        orders(a2, datetime.date(2026, 9, 10), 4, "40000", ["7500"] * 4)
        orders(a3, datetime.date(2026, 8, 1), 3, "30000", ["4000", "3000", "3000"])
        orders(a4, datetime.date(2026, 6, 1), 3, "10000", ["2000"] * 3)
        orders(a5, datetime.date(2026, 3, 1), 1, "20000", ["4000"])
        orders(a6, datetime.date(2024, 12, 1), 1, "5000", ["1000"])
        yield [a1, a2, a3, a4, a5, a6]


def segments(period=PERIOD):
    return {
        row.account_id: row
        for row in AccountSegment.objects.filter(period=period).select_related("rfm_segment")
    }


def test_the_regrade_writes_value_and_rfm_segments_for_the_month(accounts):
    with time_machine.travel(datetime.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        regrade_period(period=PERIOD)
    rows = segments()
    ids = [account.pk for account in accounts]
    assert [rows[pk].value_segment for pk in ids] == ["high", "high", "medium", "medium", "low", "low"]
    assert [rows[pk].profit_share_before for pk in ids] == [
        Decimal("0.0000"),
        Decimal("50.0000"),
        Decimal("80.0000"),
        Decimal("90.0000"),
        Decimal("96.0000"),
        None,
    ]
    scores = [(rows[pk].recency_score, rows[pk].frequency_score, rows[pk].monetary_score) for pk in ids]
    assert scores == [(5, 5, 5), (5, 5, 5), (4, 3, 4), (3, 3, 3), (2, 2, 2), (1, 1, 1)]
    assert [rows[pk].rfm_segment.code for pk in ids] == [
        "champions",
        "champions",
        "loyal",
        "loyal",
        "hibernating",
        "hibernating",
    ]
    assert [rows[pk].orders for pk in ids] == [5, 4, 3, 3, 1, 0]
    assert rows[ids[0]].last_order_on == datetime.date(2026, 9, 20)
    assert rows[ids[5]].last_order_on == datetime.date(2024, 12, 1)


def test_a_rerun_replaces_the_months_segments_and_keeps_other_months(accounts):
    with time_machine.travel(datetime.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        regrade_period(period=PERIOD)
        regrade_period(period=datetime.date(2026, 9, 1))
        regrade_period(period=PERIOD)
    assert AccountSegment.objects.filter(period=PERIOD).count() == 6
    # In September's window (2025-09 … 2026-08) a1 and a2 had no order yet after 2026-08-31.
    september = segments(datetime.date(2026, 9, 1))
    assert september[accounts[0].pk].orders == 3


def test_editable_thresholds_and_rules_apply_at_the_next_computation(accounts):
    SegmentationSettings(high_share=Decimal("50.00"), medium_share=Decimal("90.00")).save()
    RfmSegment.objects.filter(code="champions").update(recency_min=5, frequency_min=5, monetary_min=5)
    RfmSegment.objects.create(
        code="fading",
        label_en="Fading",
        label_zh_hans="渐冷",
        position=0,
        recency_min=1,
        recency_max=2,
        frequency_min=2,
        frequency_max=2,
    )
    with time_machine.travel(datetime.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        written = account_segments_write(period=PERIOD)
    assert written == 6
    rows = segments()
    ids = [account.pk for account in accounts]
    # a2 has 50 % ahead of it: no longer below the high share; a4 has 90 %: no longer medium.
    assert [rows[pk].value_segment for pk in ids] == ["high", "medium", "medium", "low", "low", "low"]
    assert [rows[pk].rfm_segment.code for pk in ids] == [
        "champions",
        "champions",
        "loyal",
        "loyal",
        "fading",
        "hibernating",
    ]


def test_segments_take_a_fixed_number_of_statements_whatever_the_number_of_accounts(
    accounts, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        account_segments_write(period=PERIOD)
