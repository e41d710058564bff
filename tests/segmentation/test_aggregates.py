"""The aggregate tables give the same figures as the exact path, and are used only when they may be."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from scoring.models import RegradeRun
from segmentation import cube, selectors
from segmentation.selectors import DashboardFilters
from tests.factories import AccountFactory
from tests.segmentation.conftest import COMPARE, PERIOD, fix_complaint_deadlines

DASHBOARD = reverse("segmentation:dashboard")


def _figures(user, cells_wanted: bool, **filters):
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE, **filters)
    accounts = selectors.dashboard_accounts(user=user, filters=chosen)
    cells = selectors.aggregate_cells(accounts=accounts, filters=chosen) if cells_wanted else None
    return cells, {
        "distribution": selectors.grade_distribution(accounts=accounts, filters=chosen, cells=cells),
        "migration": selectors.grade_migration(accounts=accounts, filters=chosen, cells=cells),
        "dimensions": [
            selectors.revenue_by_dimension(
                accounts=accounts, filters=chosen, dimension=dimension, cells=cells
            )
            for dimension in selectors.DIMENSIONS
        ],
        "grade_trend": selectors.grade_trend(accounts=accounts, filters=chosen, cells=cells),
        "monthly": selectors.revenue_trend(accounts=accounts, filters=chosen, cells=cells),
    }


@pytest.mark.parametrize("role", ["director", "other_director", "admin"])
def test_aggregates_answer_exactly_like_the_snapshots(book, role):
    cube.cube_refresh()
    user = getattr(book.world, role)
    cells, from_cube = _figures(user, True)
    assert cells is not None  # whole regions: the cube answers
    _none, exact = _figures(user, False)
    assert from_cube == exact


def test_aggregates_answer_with_region_and_industry_filters(book):
    cube.cube_refresh()
    cells, from_cube = _figures(book.world.admin, True, region=book.world.east, industry="manufacturing")
    assert cells is not None
    assert from_cube == _figures(book.world.admin, False, region=book.world.east, industry="manufacturing")[1]


def test_a_manager_on_a_colleagues_account_team_gets_the_exact_path(book):
    cube.cube_refresh()
    # teammate sees own_account through its account team, not the rest of manager's cell.
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE)
    accounts = selectors.dashboard_accounts(user=book.world.teammate, filters=chosen)
    assert selectors.aggregate_cells(accounts=accounts, filters=chosen) is None


def test_a_re_grade_after_the_refresh_makes_the_aggregates_stale(book):
    cube.cube_refresh()
    assert cube.cube_fresh()
    RegradeRun.objects.create(
        period=datetime.date(2026, 11, 1),
        trigger="manual",
        status="succeeded",
        finished_at=timezone.now() + datetime.timedelta(seconds=1),
    )
    assert not cube.cube_fresh()


def test_a_new_account_in_a_cell_makes_the_cell_partial(book):
    cube.cube_refresh()
    AccountFactory(owner=book.world.manager, region=book.world.east)
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE)
    accounts = selectors.dashboard_accounts(user=book.world.director, filters=chosen)
    assert selectors.aggregate_cells(accounts=accounts, filters=chosen) is None


def test_the_dashboard_page_is_the_same_with_and_without_aggregates(client, book):
    client.force_login(book.world.director)
    url = f"{DASHBOARD}?period=2026-10&compare=2026-09"
    exact = client.get(url)
    assert exact.context["from_aggregates"] is False
    cube.cube_refresh()
    from_cube = client.get(url)
    assert from_cube.context["from_aggregates"] is True
    for key in ("distribution", "migration", "by_dimension", "grade_trend", "monthly", "quarterly"):
        assert from_cube.context[key] == exact.context[key], key


def test_refresh_command_and_task(book):
    from django.core.management import call_command

    from segmentation.tasks import dashboard_cube_refresh

    call_command("refresh_dashboard")
    assert dashboard_cube_refresh()["seconds"] >= 0
    assert cube.cube_fresh()


def _drilldown_rows(user, pairs, **filters):
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE, **filters)
    accounts = selectors.dashboard_accounts(user=user, filters=chosen)
    result = {}
    for from_grade in ["", "A", "B", "C", "none"]:
        for to_grade in ["", "A", "B", "C", "none"]:
            listed = selectors.migration_accounts(
                accounts=accounts, filters=chosen, from_grade=from_grade, to_grade=to_grade, pairs=pairs
            )
            result[from_grade, to_grade] = (
                [
                    (
                        account.pk,
                        account.owner.username,
                        account.region.name,
                        account.grade_before,
                        account.grade_now,
                        account.total_before,
                        account.total_now,
                        account.revenue,
                        account.previous_revenue,
                        account.gross_profit,
                    )
                    for account in listed
                ],
                selectors.migration_accounts_summary(accounts=listed, pairs=pairs),
            )
    return result


def _risk_rows(user, pairs, **filters):
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE, **filters)
    accounts = selectors.dashboard_accounts(user=user, filters=chosen)
    return [
        (row.pk, row.owner, row.region, row.grade_before, row.grade_now, row.total_before, row.total_now)
        + (row.revenue, row.overdue_amount, row.late_complaints, row.risk_reasons)
        for row in selectors.risk_list(accounts=accounts, filters=chosen, limit=None, pairs=pairs)
    ]


@pytest.mark.parametrize("role", ["director", "other_director", "admin", "manager", "teammate"])
def test_drilldown_and_risk_lists_from_the_aggregates_equal_the_snapshots(book, role):
    cube.cube_refresh()
    user = getattr(book.world, role)
    assert selectors.pairs_answer(DashboardFilters(period=PERIOD, compare=COMPARE))
    assert _drilldown_rows(user, True) == _drilldown_rows(user, False)
    assert _risk_rows(user, True) == _risk_rows(user, False)
    filtered = {"region": book.world.east, "industry": "manufacturing", "grade": "C"}
    assert _drilldown_rows(user, True, **filtered) == _drilldown_rows(user, False, **filtered)
    assert _risk_rows(user, True, **filtered) == _risk_rows(user, False, **filtered)


def test_risk_list_from_the_aggregates_by_hand(book):
    fix_complaint_deadlines()
    cube.cube_refresh()
    rows = _risk_rows(book.world.director, True)
    assert [row[0] for row in rows] == [book.world.own_account.pk, book.east_slipping.pk, book.east_new.pk]
    assert rows[0][7] == Decimal("1000000.00") and len(rows[0][10]) == 2
    assert (rows[1][9], rows[2][8]) == (1, Decimal("3333.33"))


def test_the_lists_use_the_aggregates_only_when_they_can_answer(book):
    month_before = DashboardFilters(period=PERIOD, compare=COMPARE)
    assert not selectors.pairs_answer(month_before)  # never refreshed
    cube.cube_refresh()
    assert selectors.pairs_answer(month_before)
    # Compared with another month than the one before: the aggregates pair each month with the one before.
    assert not selectors.pairs_answer(DashboardFilters(period=PERIOD, compare=datetime.date(2026, 7, 1)))


def test_an_override_expired_by_the_nightly_job_makes_the_aggregates_stale(book):
    from scoring.models import GradeOverride, GradeSnapshot
    from scoring.services import grade_overrides_expire

    w = book.world
    override = GradeOverride.objects.create(
        account=w.own_account,
        grade="A",
        reason="战略客户",
        expires_on=datetime.date(2026, 11, 14),
        author=w.director,
    )
    GradeSnapshot.objects.filter(account=w.own_account, period=PERIOD).update(grade="A", override=override)
    cube.cube_refresh()
    assert cube.cube_fresh()
    assert grade_overrides_expire() == 1  # the override ended yesterday: back to the computed grade B
    assert not cube.cube_fresh()
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE)
    accounts = selectors.dashboard_accounts(user=w.director, filters=chosen)
    fell = selectors.migration_accounts(accounts=accounts, filters=chosen, from_grade="A", to_grade="B")
    assert [account.pk for account in fell] == [w.own_account.pk]


def test_the_drilldown_page_is_the_same_with_and_without_aggregates(client, book):
    client.force_login(book.world.director)
    url = f"{reverse('segmentation:accounts')}?period=2026-10&compare=2026-09&to_grade=B"
    exact = client.get(url)
    cube.cube_refresh()
    from_cube = client.get(url)
    assert from_cube.context["summary"] == exact.context["summary"]

    def page(response):  # the page without its per-request tokens
        return re.sub(r"[A-Za-z0-9]{64}", "<csrf token>", response.content.decode())

    assert page(from_cube) == page(exact)


def test_two_accounts_swapping_cells_make_the_aggregates_stale(book):
    """Equal counts per cell do not prove the same accounts: the build time decides."""
    w = book.world
    cube.cube_refresh()
    assert cube.cube_fresh()
    manufacturing, estate = w.own_account, book.east_estate
    manufacturing.owner, manufacturing.industry, estate.owner, estate.industry = (
        estate.owner,
        estate.industry,
        manufacturing.owner,
        manufacturing.industry,
    )
    later = cube.CubeRefresh.objects.get().accounts_updated_until + datetime.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        manufacturing.save()
        estate.save()
    assert not cube.cube_fresh()
    filters = DashboardFilters(period=PERIOD, compare=COMPARE)
    assert (
        selectors.aggregate_cells(
            accounts=selectors.dashboard_accounts(user=w.director, filters=filters), filters=filters
        )
        is None
    )


def test_the_dashboard_says_how_fresh_the_aggregates_are(book, client):
    cube.cube_refresh()
    client.force_login(book.world.director)
    page = client.get(reverse("segmentation:dashboard") + f"?period={PERIOD:%Y-%m}&compare={COMPARE:%Y-%m}")
    assert 'data-testid="figures-as-of"' in page.text
    assert f"{timezone.localtime(cube.built_at()):%Y-%m-%d %H:%M}" in page.text
