"""The aggregate tables give the same figures as the exact path, and are used only when they may be."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.models import RegradeRun
from segmentation import cube, selectors
from segmentation.selectors import DashboardFilters
from tests.factories import AccountFactory
from tests.segmentation.conftest import COMPARE, PERIOD

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
