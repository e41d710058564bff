"""Dashboard pages, drill-down lists and exports: what each role sees, query counts, downloads."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Account
from segmentation import exports as dashboard_exports
from segmentation.models import KpiTarget
from tests.factories import AccountFactory, OrderFactory
from tests.segmentation.conftest import COMPARE, PERIOD, snapshot

DASHBOARD = reverse("segmentation:dashboard")
DRILLDOWN = reverse("segmentation:accounts")
PERIODS = f"period={PERIOD:%Y-%m}&compare={COMPARE:%Y-%m}"
EAST_NAMES = ["上海宏远机械制造有限公司", "杭州嘉和置业有限公司", "苏州恒通精密有限公司"]
NORTH_NAMES = ["北京华信建设集团有限公司", "天津北辰物流有限公司"]


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def _export_rows(response) -> list[list[str]]:
    if response["Content-Type"].startswith("text/csv"):
        raw = b"".join(response.streaming_content).decode("utf-8")
        assert raw.startswith("\ufeff")
        return list(csv.reader(io.StringIO(raw[1:])))
    workbook = load_workbook(io.BytesIO(response.content))
    return [
        ["" if value is None else str(value) for value in row]
        for row in workbook.active.iter_rows(values_only=True)
    ]


def test_director_sees_east_figures_and_never_north(client, book):
    response = _get(client, book.world.director, f"{DASHBOARD}?{PERIODS}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "1,623,333.93" in text  # total revenue of East
    assert "30.80 %" in text
    for name in NORTH_NAMES:
        assert name not in text
    assert "9,999,999.99" not in text


def test_the_three_clicks_from_dashboard_to_whose_accounts_fell_from_a_to_b(client, book):
    client.force_login(book.world.director)
    page = client.get(f"{DASHBOARD}?{PERIODS}").content.decode()
    link = f"{DRILLDOWN}?{PERIODS}&from_grade=A&to_grade=B".replace("&", "&amp;")
    assert link in page
    listed = client.get(link.replace("&amp;", "&"))
    text = listed.content.decode()
    assert "上海宏远机械制造有限公司" in text
    assert "1,000,000.00" in text  # how much revenue
    assert ">manager<" in text  # whose account
    assert "北京华信建设集团有限公司" not in text


def test_foreign_region_drilldown_lists_nothing(client, book):
    response = _get(client, book.world.director, f"{DRILLDOWN}?{PERIODS}&region={book.world.north.pk}")
    assert response.status_code == 200
    assert response.context["summary"]["accounts"] == 0
    for name in NORTH_NAMES:
        assert name not in response.content.decode()


def test_foreign_owner_is_not_a_valid_filter(client, book):
    url = f"{DRILLDOWN}?{PERIODS}&owner={book.world.other_manager.pk}"
    response = _get(client, book.world.director, url)
    assert "owner" in response.context["form"].errors
    for name in NORTH_NAMES:
        assert name not in response.content.decode()


@pytest.mark.parametrize("table", sorted(name for name in dashboard_exports.TABLES))
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_every_export_respects_visibility(client, book, table, export_format):
    url = reverse("segmentation:export", args=[table, export_format]) + f"?{PERIODS}"
    response = _get(client, book.world.director, url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    content = "\n".join(",".join(row) for row in _export_rows(response))
    for name in NORTH_NAMES + ["other_manager", "华北", "9999999.99"]:
        assert name not in content, f"{table} leaks {name}"


def test_drilldown_export_has_revenue_owner_and_neutralised_names(client, book):
    url = reverse("segmentation:export", args=["accounts", "xlsx"]) + f"?{PERIODS}&to_grade=C"
    rows = _export_rows(_get(client, book.world.director, url))
    names = [row[0] for row in rows[1:]]
    assert names == ["苏州恒通精密有限公司", '\'=HYPERLINK("http://x")宁波新创']
    assert rows[1][2] == "manager"
    workbook = load_workbook(io.BytesIO(_get(client, book.world.director, url).content))
    assert workbook.active["A3"].data_type == "s"


def test_distribution_export_matches_the_page(client, book):
    url = reverse("segmentation:export", args=["distribution", "csv"]) + f"?{PERIODS}"
    rows = _export_rows(_get(client, book.world.director, url))
    assert rows[1][:5] == ["A", "1", "25.00", "500000.50", "30.80"]
    assert rows[3][:5] == ["C", "2", "50.00", "123333.43", "7.60"]


def test_admin_migration_export_covers_every_region(client, book):
    url = reverse("segmentation:export", args=["migration", "csv"]) + f"?{PERIODS}"
    rows = _export_rows(_get(client, book.world.admin, url))
    assert ["A", "B", "2", "10999999.99", "10200000.00"] in rows


def test_unknown_export_is_not_found(client, book):
    client.force_login(book.world.director)
    assert client.get(reverse("segmentation:export", args=["nope", "csv"])).status_code == 404
    assert client.get(reverse("segmentation:export", args=["risk", "pdf"])).status_code == 404


def test_filters_stay_in_the_url_and_htmx_gets_only_the_figures(client, book):
    client.force_login(book.world.director)
    response = client.get(
        f"{DASHBOARD}?{PERIODS}&industry=real_estate",
        headers={"HX-Request": "true", "HX-Target": "dashboard-figures"},
    )
    text = response.content.decode()
    assert "<html" not in text
    assert 'id="dashboard-figures"' in text
    assert "500,000.50" in text
    assert "industry=real_estate" in text  # export and drill-down links keep the filters


def test_invalid_filters_are_explained_and_ignored(client, book):
    response = _get(client, book.world.director, f"{DASHBOARD}?period=2026-13&region=999999")
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"period", "region"}


def _more_data(world, count):
    for index in range(count):
        account = AccountFactory(owner=world.manager, region=world.east)
        snapshot(account, PERIOD, "ABC"[index % 3], "70.00", "1000.00", previous="B")
        snapshot(account, COMPARE, "B", "70.00", "900.00")
        OrderFactory(account=account, order_date=datetime.date(2026, 5, 5))


@pytest.mark.parametrize("role", ["director", "admin", "manager"])
def test_dashboard_runs_a_constant_number_of_queries(client, book, role, django_assert_max_num_queries):
    user = getattr(book.world, role)
    client.force_login(user)
    client.get(f"{DASHBOARD}?{PERIODS}")  # warm the session
    with CaptureQueriesContext(connection) as before:
        client.get(f"{DASHBOARD}?{PERIODS}")
    _more_data(book.world, 12)
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(f"{DASHBOARD}?{PERIODS}")
    assert response.status_code == 200
    assert len(before.captured_queries) <= 30


def test_drilldown_runs_a_constant_number_of_queries(client, book, django_assert_max_num_queries):
    client.force_login(book.world.director)
    url = f"{DRILLDOWN}?{PERIODS}&to_grade=B"
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    _more_data(book.world, 12)
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(url).status_code == 200


def test_director_lands_on_the_dashboard_with_a_link_in_the_navigation(client, book):
    response = _get(client, book.world.director, reverse("home"))
    assert response["Location"] == DASHBOARD
    assert 'data-testid="nav-dashboard"' in client.get(DASHBOARD).content.decode()


def test_administrator_lands_on_the_dashboard(client, book):
    assert _get(client, book.world.admin, reverse("home"))["Location"] == DASHBOARD


def test_managers_have_a_dashboard_link_to_their_own_figures(client, book):
    response = _get(client, book.world.manager, reverse("accounts:list"))
    assert 'data-testid="nav-dashboard"' in response.content.decode()
    assert _get(client, book.world.manager, DASHBOARD).status_code == 200


def test_director_sets_a_monthly_target_for_a_manager_of_their_region(client, book):
    client.force_login(book.world.director)
    response = client.post(
        reverse("segmentation:targets"),
        {"manager": book.world.manager.pk, "metric": "visits", "monthly_target": 8, "valid_from": "2026-10"},
    )
    assert response.status_code == 302
    target = KpiTarget.objects.get()
    assert (target.manager, target.monthly_target, target.valid_from) == (
        book.world.manager,
        8,
        datetime.date(2026, 10, 1),
    )
    page = client.get(
        f"{DASHBOARD}?{PERIODS}&section=kpis", headers={"HX-Request": "true", "HX-Target": "kpis-figures"}
    ).content.decode()
    assert "2 / 8" in page  # two visits in October against a target of eight
    assert "<html" not in page
    assert "2 / 8" in client.get(f"{DASHBOARD}?{PERIODS}&section=kpis").content.decode()  # without JavaScript


def test_director_cannot_set_a_target_for_a_foreign_manager(client, book):
    client.force_login(book.world.director)
    response = client.post(
        reverse("segmentation:targets"),
        {
            "manager": book.world.other_manager.pk,
            "metric": "visits",
            "monthly_target": 8,
            "valid_from": "2026-10",
        },
    )
    assert response.status_code == 200
    assert "manager" in response.context["form"].errors
    assert not KpiTarget.objects.exists()


def test_manager_cannot_set_targets(client, book):
    client.force_login(book.world.manager)
    response = client.post(
        reverse("segmentation:targets"),
        {"manager": book.world.manager.pk, "metric": "visits", "monthly_target": 0, "valid_from": "2026-10"},
    )
    assert response.status_code == 404
    assert not KpiTarget.objects.exists()


def test_target_with_the_last_month_before_the_first_is_refused(client, book):
    client.force_login(book.world.director)
    response = client.post(
        reverse("segmentation:targets"),
        {
            "manager": book.world.manager.pk,
            "metric": "calls",
            "monthly_target": 3,
            "valid_from": "2026-10",
            "valid_until": "2026-09",
        },
    )
    assert "valid_until" in response.context["form"].errors
    assert not KpiTarget.objects.exists()


def test_account_list_names_are_all_visible(book):
    assert set(Account.objects.visible_to(book.world.director).values_list("name", flat=True)) >= set(
        EAST_NAMES
    )


def test_service_compliance_loads_after_the_page(client, book):
    client.force_login(book.world.director)
    page = client.get(f"{DASHBOARD}?{PERIODS}").content.decode()
    assert "section=compliance" in page
    fragment = client.get(
        f"{DASHBOARD}?{PERIODS}&section=compliance",
        headers={"HX-Request": "true", "HX-Target": "compliance-figures"},
    )
    text = fragment.content.decode()
    assert "<html" not in text
    assert 'id="compliance-figures"' in text
    assert "section=compliance" not in text  # the figures are in, not a loader
    full = client.get(f"{DASHBOARD}?{PERIODS}&section=compliance").content.decode()
    assert "<html" in full and 'hx-target="#compliance-figures"' not in full


def test_the_risk_list_loads_after_the_page_and_respects_visibility(client, book):
    client.force_login(book.world.director)
    page = client.get(f"{DASHBOARD}?{PERIODS}").content.decode()
    assert "section=risks" in page
    fragment = client.get(
        f"{DASHBOARD}?{PERIODS}&section=risks", headers={"HX-Request": "true", "HX-Target": "risks-figures"}
    ).content.decode()
    assert "<html" not in fragment
    assert "上海宏远机械制造有限公司" in fragment and "1,000,000.00" in fragment
    for name in NORTH_NAMES:
        assert name not in fragment
    full = client.get(f"{DASHBOARD}?{PERIODS}&section=risks").content.decode()
    assert 'data-testid="risk-list"' in full
