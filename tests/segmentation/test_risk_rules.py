"""The alerts and the dashboard's risk list apply the same rules (service_tiers/rules.py): for every
role, the accounts and causes of the open alerts equal those of the risk list."""

import datetime

import pytest

from accounts.models import Account
from segmentation import cube, selectors
from segmentation.selectors import DashboardFilters
from service_tiers import rules
from service_tiers.alerts import alerts_sync
from service_tiers.models import Alert
from tests.factories import AccountFactory, ComplaintFactory, OrderFactory
from tests.segmentation.conftest import COMPARE, PERIOD, SHANGHAI, fix_complaint_deadlines, snapshot


def _causes(row) -> set[str]:
    causes = set()
    if row.risk_reasons and rules.grade_fell(latest=row.grade_now, previous=row.grade_before):
        causes.add("grade_fell")
    if row.risk_reasons and rules.score_dropped(latest=row.total_now, previous=row.total_before):
        causes.add("score_dropped")
    if row.overdue_amount:
        causes.add("invoice_overdue")
    if row.late_complaints:
        causes.add("complaint_overdue")
    return causes


@pytest.fixture
def every_cause(book):
    """Beyond the book: a lost account whose grade fell (no alert, not on the list), a complaint past
    its response deadline only, and an invoice due yesterday."""
    w = book.world
    fix_complaint_deadlines()
    lost = AccountFactory(owner=w.manager, region=w.east, status=Account.Status.LOST)
    snapshot(lost, COMPARE, "A", "90.00", "5000.00")
    snapshot(lost, PERIOD, "C", "40.00", "4000.00", previous="A")
    from service_tiers.services import complaint_deadline_fix

    fresh = ComplaintFactory(  # an A account answers within hours: past its response deadline only
        account=book.east_estate, received_at=datetime.datetime(2026, 11, 14, 9, 0, tzinfo=SHANGHAI)
    )
    complaint_deadline_fix(complaint=fresh)
    OrderFactory(
        account=book.north_rising,
        order_date=datetime.date(2026, 10, 14),
        due_date=datetime.date(2026, 11, 14),
    )
    return book


@pytest.mark.parametrize("pairs", [False, True], ids=["snapshots", "aggregates"])
@pytest.mark.parametrize("role", ["manager", "teammate", "director", "other_director", "admin"])
def test_alerts_and_the_risk_list_name_the_same_accounts_and_causes(every_cause, role, pairs):
    alerts_sync()
    if pairs:
        cube.cube_refresh()
    user = getattr(every_cause.world, role)
    filters = DashboardFilters(period=PERIOD, compare=COMPARE)
    accounts = selectors.dashboard_accounts(user=user, filters=filters)
    risks = selectors.risk_list(accounts=accounts, filters=filters, limit=None, pairs=pairs)
    on_the_list = {(row.pk, cause) for row in risks for cause in _causes(row)}
    alerted = set(
        Alert.objects.visible_to(user)
        .open()
        .filter(rule__in=rules.RISK_LIST_RULES)
        .values_list("account_id", "rule")
    )
    assert on_the_list == alerted
    assert {cause for _pk, cause in alerted} <= set(rules.RISK_LIST_RULES)
    if role == "admin":
        assert {cause for _pk, cause in alerted} == set(rules.RISK_LIST_RULES)  # every cause is there
        assert (every_cause.east_estate.pk, "complaint_overdue") in alerted  # the response deadline
