"""A sales director's journey in a real browser: which A accounts fell to B, how much revenue, whose."""

import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts import roles
from scoring.computation import add_months
from tests.e2e.conftest import ARTIFACTS, log_in, screenshot
from tests.factories import AccountFactory, RegionFactory, TeamFactory, UserFactory
from tests.segmentation.conftest import snapshot


@pytest.fixture
def directed_regions(transactional_db):
    """A director of East and South; two accounts fell from A to B last month, one in each region."""
    period = timezone.localdate().replace(day=1)
    compare = add_months(period, -1)
    east = RegionFactory(name="华东", code="east")
    south = RegionFactory(name="华南", code="south")
    director = UserFactory(username="director", first_name="", role=roles.SALES_DIRECTOR)
    east.directors.add(director)
    south.directors.add(director)
    wang = UserFactory(username="wang", first_name="王芳", role=roles.ACCOUNT_MANAGER)
    li = UserFactory(username="li", first_name="李强", role=roles.ACCOUNT_MANAGER)
    TeamFactory(name="华东一部", region=east).members.add(wang)
    TeamFactory(name="华南一部", region=south).members.add(li)
    fell_east = AccountFactory(name="上海宏远机械制造有限公司", owner=wang, region=east)
    fell_south = AccountFactory(name="广州南方电气有限公司", owner=li, region=south)
    steady = AccountFactory(name="杭州嘉和置业有限公司", owner=wang, region=east)
    rising = AccountFactory(name="苏州恒通精密有限公司", owner=wang, region=east)
    for account, before, now, revenue in [
        (fell_east, "A", "B", "1234567.89"),
        (fell_south, "A", "B", "7654321.00"),
        (steady, "A", "A", "500000.50"),
        (rising, "C", "B", "80000.00"),
    ]:
        snapshot(account, compare, before, "80.00" if before == "A" else "50.00", revenue)
        snapshot(account, period, now, "88.00" if now == "A" else "70.00", revenue, previous=before)
    return {"period": period, "compare": compare, "east": east}


@pytest.fixture
def desk(browser):
    """A desktop-sized page: directors read dashboards at their desk."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_director_finds_which_a_accounts_fell_to_b_in_three_clicks(desk, live_server, directed_regions):
    page = desk
    log_in(page, live_server, "director")
    # Landing page: the dashboard.
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_test_id("migration-A-B")).to_have_text("2")
    expect(page.locator("[data-chart=distribution] svg")).to_have_count(1)  # ECharts drew the chart
    expect(page.get_by_test_id("risk-list")).to_contain_text("广州南方电气有限公司")  # loaded after the page
    expect(page.get_by_test_id("kpi-table")).to_contain_text("王芳")
    screenshot(page, "director-dashboard-en")

    # Click 1: filter by region (htmx swaps the figures, the URL keeps the filter).
    page.get_by_label("Region").select_option(label="华东")
    expect(page).to_have_url(re.compile(rf"region={directed_regions['east'].pk}"))
    expect(page.get_by_test_id("migration-A-B")).to_have_text("1")

    # Click 2: the A → B cell lists those accounts, their revenue and their manager.
    page.get_by_test_id("migration-A-B").click()
    expect(page.get_by_test_id("drilldown-count")).to_have_text("1 account")
    expect(page.get_by_test_id("drilldown-revenue")).to_have_text("1,234,567.89")
    table = page.get_by_test_id("drilldown-table")
    expect(table).to_contain_text("上海宏远机械制造有限公司")
    expect(table).to_contain_text("王芳")
    expect(table).not_to_contain_text("广州南方电气有限公司")
    screenshot(page, "director-drilldown-en")

    # Click 3: the same list as XLSX.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-accounts-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = ARTIFACTS / "director-a-to-b.xlsx"
    download.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "上海宏远机械制造有限公司"
    assert rows[1][2] == "王芳"
    assert Decimal(str(rows[1][9])) == Decimal("1234567.89")
    assert len(rows) == 2


def test_director_dashboard_in_simplified_chinese(desk, live_server, directed_regions):
    page = desk
    log_in(page, live_server, "director")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("migration-A-B")).to_have_text("2")
    expect(page.locator("[data-chart=distribution] svg")).to_have_count(1)
    expect(page.get_by_test_id("risk-list")).to_be_visible()
    expect(page.get_by_test_id("kpi-table")).to_be_visible()
    screenshot(page, "director-dashboard-zh-hans")
    page.get_by_test_id("migration-A-B").click()
    expect(page.get_by_test_id("drilldown-table")).to_contain_text("广州南方电气有限公司")
    screenshot(page, "director-drilldown-zh-hans")
