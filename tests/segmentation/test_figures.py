"""Dashboard figures against values computed by hand from the book in conftest.py (to the cent)."""

import datetime
from decimal import Decimal

import pytest

from segmentation import exports, selectors
from segmentation.models import KpiTarget
from segmentation.selectors import DashboardFilters
from tests.segmentation.conftest import COMPARE, PERIOD, fix_complaint_deadlines

D = Decimal


def _scope(user, **filters):
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE, **filters)
    return selectors.dashboard_accounts(user=user, filters=chosen), chosen


def _by_grade(distribution):
    return {row["grade"]: row for row in distribution["grades"]}


def test_grade_distribution_for_the_director_of_east(book):
    accounts, filters = _scope(book.world.director)
    distribution = selectors.grade_distribution(accounts=accounts, filters=filters)
    grades = _by_grade(distribution)
    assert distribution["total_accounts"] == 4
    assert distribution["total_revenue"] == D("1623333.93")
    assert distribution["total_gross_profit"] == D("310333.59")
    assert [grades[g]["accounts"] for g in "ABC"] == [1, 1, 2]
    assert [grades[g]["revenue"] for g in "ABC"] == [D("500000.50"), D("1000000.00"), D("123333.43")]
    assert [grades[g]["revenue_share"] for g in "ABC"] == [D("30.80"), D("61.60"), D("7.60")]
    assert [grades[g]["accounts_share"] for g in "ABC"] == [D("25.00"), D("25.00"), D("50.00")]
    # Compared with 2026-09: A 1,650,000.00 (94.29 %), B 100,000.00 (5.71 %), C nothing.
    assert distribution["previous_total_revenue"] == D("1750000.00")
    assert [grades[g]["previous_revenue_share"] for g in "ABC"] == [D("94.29"), D("5.71"), D("0.00")]
    assert [grades[g]["revenue_share_change"] for g in "ABC"] == [D("-63.49"), D("55.89"), D("7.60")]
    assert [grades[g]["accounts_change"] for g in "ABC"] == [-1, 0, 2]


def test_administrator_sees_every_region_in_the_distribution(book):
    accounts, filters = _scope(book.world.admin)
    grades = _by_grade(selectors.grade_distribution(accounts=accounts, filters=filters))
    assert [grades[g]["accounts"] for g in "ABC"] == [2, 2, 2]
    assert grades["B"]["revenue"] == D("10999999.99")


def test_manager_sees_only_their_book(book):
    # manager owns own_account, east_slipping, east_new; teammate's account is not theirs.
    accounts, filters = _scope(book.world.manager)
    distribution = selectors.grade_distribution(accounts=accounts, filters=filters)
    assert distribution["total_revenue"] == D("1123333.43")


def _cell(migration, source, target):
    row = next(row for row in migration["rows"] if row["from"] == source)
    return next(cell for cell in row["cells"] if cell["to"] == target)


def test_migration_matrix_with_revenue_per_cell(book):
    accounts, filters = _scope(book.world.director)
    migration = selectors.grade_migration(accounts=accounts, filters=filters)
    assert _cell(migration, "A", "B")["accounts"] == 1
    assert _cell(migration, "A", "B")["revenue"] == D("1000000.00")
    assert _cell(migration, "A", "B")["previous_revenue"] == D("1200000.00")
    assert _cell(migration, "A", "A")["accounts"] == 1
    assert _cell(migration, "B", "C")["accounts"] == 1
    assert _cell(migration, "none", "C")["accounts"] == 1
    assert _cell(migration, "C", "A")["accounts"] == 0  # north_rising is not the director's
    assert (migration["up"], migration["down"], migration["same"]) == (0, 2, 1)
    assert sum(cell["accounts"] for row in migration["rows"] for cell in row["cells"]) == 4


def test_a_to_b_drilldown_answers_which_accounts_how_much_and_whose(book):
    accounts, filters = _scope(book.world.admin)
    listed = selectors.migration_accounts(accounts=accounts, filters=filters, from_grade="A", to_grade="B")
    rows = [(account.name, account.owner.username, account.revenue) for account in listed]
    assert rows == [
        ("北京华信建设集团有限公司", "other_manager", D("9999999.99")),
        ("上海宏远机械制造有限公司", "manager", D("1000000.00")),
    ]
    summary = selectors.migration_accounts_summary(accounts=listed, pairs=False)
    assert summary["accounts"] == 2
    assert summary["revenue"] == D("10999999.99")


def test_drilldown_of_a_foreign_region_is_empty_for_the_director(book):
    accounts, filters = _scope(book.world.director, region=book.world.north)
    listed = selectors.migration_accounts(accounts=accounts, filters=filters)
    assert list(listed) == []


def test_drilldown_of_new_accounts(book):
    accounts, filters = _scope(book.world.director)
    listed = selectors.migration_accounts(accounts=accounts, filters=filters, from_grade="none", to_grade="C")
    assert [account.pk for account in listed] == [book.east_new.pk]


def test_revenue_and_profit_by_owner_and_grade(book):
    accounts, filters = _scope(book.world.director)
    table = selectors.revenue_by_dimension(accounts=accounts, filters=filters, dimension="owner")
    rows = {row["label"]: row for row in table["rows"]}
    assert list(rows) == ["manager", "teammate"]  # ranked by revenue
    manager = rows["manager"]
    assert manager["grades"]["B"] == {
        "accounts": 1,
        "revenue": D("1000000.00"),
        "gross_profit": D("200000.00"),
    }
    assert manager["grades"]["C"]["revenue"] == D("123333.43")
    assert manager["grades"]["C"]["gross_profit"] == D("10333.34")
    assert manager["revenue"] == D("1123333.43")
    assert manager["revenue_share"] == D("69.20")
    assert rows["teammate"]["grades"]["A"]["revenue"] == D("500000.50")
    assert table["total_revenue"] == D("1623333.93")


def test_revenue_by_industry_and_region(book):
    accounts, filters = _scope(book.world.admin)
    industry = selectors.revenue_by_dimension(accounts=accounts, filters=filters, dimension="industry")
    labels = {row["label"]: row["revenue"] for row in industry["rows"]}
    assert labels == {"Manufacturing": D("11124111.19"), "Real estate": D("500000.50")}
    region = selectors.revenue_by_dimension(accounts=accounts, filters=filters, dimension="region")
    assert [(row["label"], row["revenue"]) for row in region["rows"]] == [
        ("华北", D("10000777.76")),
        ("华东", D("1623333.93")),
    ]


def test_filters_narrow_every_figure(book):
    accounts, filters = _scope(book.world.admin, industry="real_estate")
    distribution = selectors.grade_distribution(accounts=accounts, filters=filters)
    assert distribution["total_revenue"] == D("500000.50")
    accounts, filters = _scope(book.world.admin, grade="B")
    assert selectors.grade_distribution(accounts=accounts, filters=filters)["total_revenue"] == D(
        "10999999.99"
    )
    accounts, filters = _scope(book.world.admin, owner=book.world.teammate)
    assert selectors.grade_distribution(accounts=accounts, filters=filters)["total_accounts"] == 1


def test_team_filter_means_accounts_owned_by_its_members(book):
    from accounts.models import Team

    team = Team.objects.get(name="华北一组")
    accounts, filters = _scope(book.world.admin, team=team)
    assert set(accounts) == {book.world.foreign_account, book.north_rising}


def test_monthly_revenue_over_the_24_months_before_the_period(book):
    accounts, filters = _scope(book.world.director)
    monthly = selectors.revenue_trend(accounts=accounts, filters=filters)
    assert len(monthly) == 24
    assert monthly[0]["month"] == datetime.date(2024, 10, 1)
    assert monthly[-1]["month"] == datetime.date(2026, 9, 1)
    by_month = {row["month"]: row for row in monthly}
    assert by_month[datetime.date(2024, 10, 1)]["revenue"] == D("10.00")  # 2024-09-30 is outside
    assert by_month[datetime.date(2025, 1, 1)]["revenue"] == D("500.00")
    assert by_month[datetime.date(2026, 8, 1)]["revenue"] == D("3333.33")
    assert by_month[datetime.date(2026, 9, 1)]["revenue"] == D("3000.30")  # not the North order
    assert by_month[datetime.date(2026, 9, 1)]["gross_profit"] == D("300.03")
    assert by_month[datetime.date(2026, 9, 1)]["orders"] == 2
    assert sum(row["revenue"] for row in monthly) == D("6843.63")


def test_quarterly_revenue_sums_the_months(book):
    accounts, filters = _scope(book.world.director)
    quarters = selectors.quarterly_revenue(selectors.revenue_trend(accounts=accounts, filters=filters))
    by_label = {row["label"]: row for row in quarters}
    assert by_label["2024 Q4"]["partial"] is False  # Oct–Dec 2024 all inside
    assert by_label["2024 Q4"]["revenue"] == D("10.00")
    assert by_label["2026 Q3"]["revenue"] == D("6333.63")
    assert by_label["2025 Q1"]["revenue"] == D("500.00")
    assert len(quarters) == 8


def test_grade_trend_counts_per_period(book):
    accounts, filters = _scope(book.world.director)
    trend = selectors.grade_trend(accounts=accounts, filters=filters)
    assert len(trend) == 24
    assert trend[-1]["period"] == PERIOD
    assert [cell["accounts"] for cell in trend[-1]["grades"]] == [1, 1, 2]
    assert [cell["accounts"] for cell in trend[-2]["grades"]] == [2, 1, 0]
    assert trend[-2]["grades"][0]["revenue"] == D("1650000.00")


def test_grade_trend_has_no_value_before_the_first_graded_month(book):
    accounts, filters = _scope(book.world.director)
    trend = selectors.grade_trend(accounts=accounts, filters=filters)
    assert [row["graded"] for row in trend[-3:]] == [False, True, True]
    assert [cell["accounts"] for cell in trend[0]["grades"]] == [None, None, None]  # not zero
    assert exports.chart_data({**_chart_context(trend)})["gradeTrend"]["accounts"][0][0] is None


def _chart_context(trend):
    empty = {"grades": []}
    return {"distribution": empty, "grade_trend": trend, "monthly": [], "quarterly": []}


def test_risk_list_ranked_by_revenue_at_risk(book):
    fix_complaint_deadlines()
    accounts, filters = _scope(book.world.director)
    risks = selectors.risk_list(accounts=accounts, filters=filters)
    assert [account.pk for account in risks] == [
        book.world.own_account.pk,  # A → B and −10 points, 1,000,000.00
        book.east_slipping.pk,  # B → C, a complaint open for weeks, 120,000.10
        book.east_new.pk,  # an unpaid invoice due 2026-08-31, 3,333.33
    ]
    own, slipping, new = risks
    assert own.revenue == D("1000000.00")
    assert len(own.risk_reasons) == 2
    assert slipping.late_complaints == 1
    assert new.overdue_amount == D("3333.33")


def test_risk_list_for_the_other_director(book):
    accounts, filters = _scope(book.world.other_director)
    risks = selectors.risk_list(accounts=accounts, filters=filters)
    # foreign_account fell A → B (and has an overdue invoice); north_rising climbed: not at risk.
    assert [account.pk for account in risks] == [book.world.foreign_account.pk]
    assert risks[0].overdue_amount == D("99999.99")


def test_kpis_count_the_month_in_shanghai_time_against_targets(book):
    w = book.world
    KpiTarget.objects.create(
        manager=w.manager,
        metric="visits",
        monthly_target=4,
        valid_from=datetime.date(2026, 1, 1),
        set_by=w.director,
    )
    KpiTarget.objects.create(  # superseded from October on
        manager=w.manager,
        metric="calls",
        monthly_target=10,
        valid_from=datetime.date(2026, 1, 1),
        set_by=w.director,
    )
    KpiTarget.objects.create(
        manager=w.manager,
        metric="calls",
        monthly_target=1,
        valid_from=datetime.date(2026, 10, 1),
        set_by=w.director,
    )
    KpiTarget.objects.create(  # ended before October
        manager=w.teammate,
        metric="meetings",
        monthly_target=9,
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 9, 1),
        set_by=w.director,
    )
    accounts, filters = _scope(w.director)
    lines = {
        line["manager"].username: line for line in selectors.manager_kpis(accounts=accounts, filters=filters)
    }
    assert list(lines) == ["manager", "teammate"]
    manager = {metric["metric"]: metric for metric in lines["manager"]["metrics"]}
    assert (manager["visits"]["actual"], manager["visits"]["target"]) == (2, 4)
    assert manager["visits"]["attainment"] == D("50.00")
    assert (manager["calls"]["actual"], manager["calls"]["target"], manager["calls"]["met"]) == (1, 1, True)
    assert manager["complaints_handled"]["actual"] == 1
    teammate = {metric["metric"]: metric for metric in lines["teammate"]["metrics"]}
    assert (teammate["meetings"]["actual"], teammate["meetings"]["target"]) == (1, None)


@pytest.mark.parametrize("role", ["manager", "director", "other_director", "admin"])
def test_no_figure_counts_an_account_the_user_cannot_see(book, role):
    from accounts.models import Account

    user = getattr(book.world, role)
    visible = set(Account.objects.visible_to(user).values_list("pk", flat=True))
    accounts, filters = _scope(user)
    listed = selectors.migration_accounts(accounts=accounts, filters=filters)
    assert {account.pk for account in listed} <= visible
    assert {account.pk for account in selectors.risk_list(accounts=accounts, filters=filters)} <= visible
    distribution = selectors.grade_distribution(accounts=accounts, filters=filters)
    assert distribution["total_accounts"] == len(visible & {account.pk for account in listed})
