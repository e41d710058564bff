"""In a real browser: a director opens "A accounts at risk of falling" from the dashboard, opens the one
closest to falling and reads what would make it fall; the manager sees on the account its segments, what
it would take to reach A, the cross-sell suggestion and the account plan."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from scoring.services import account_rating_set, regrade_period
from segmentation.crosssell import cross_sell_refresh
from tests.e2e.conftest import log_in, screenshot
from tests.factories import AccountFactory, OrderFactory, RegionFactory, TeamFactory, UserFactory


@pytest.fixture
def graded_book(transactional_db):
    east = RegionFactory(name="华东", code="east")
    director = UserFactory(username="director", role=roles.SALES_DIRECTOR)
    east.directors.add(director)
    wang = UserFactory(username="wang", first_name="王芳", role=roles.ACCOUNT_MANAGER)
    TeamFactory(name="华东一部", region=east).members.add(wang)
    today = timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=5)
    accounts = []
    for n in range(1, 11):
        account = AccountFactory(name=f"华东客户{n:02d}有限公司", owner=wang, region=east)
        amount = Decimal(n * 10000)
        OrderFactory(
            account=account,
            order_date=last_month,
            amount=amount,
            gross_profit=amount / 5,
            product_line="运维服务" if n < 9 else "工业设备",
            due_date=last_month + datetime.timedelta(days=60),
        )
        OrderFactory(
            account=account,
            order_date=last_month,
            product_line="工业设备",
            due_date=last_month + datetime.timedelta(days=60),
        )
        value = 5 if n >= 9 else 3
        account_rating_set(actor=director, account_id=account.pk, kind="strategic_fit", value=value)
        account_rating_set(actor=wang, account_id=account.pk, kind="relationship", value=value)
        accounts.append(account)
    regrade_period()
    cross_sell_refresh()
    return {"director": director, "wang": wang, "accounts": accounts}


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_director_finds_the_a_accounts_at_risk_and_sees_why(desk, live_server, graded_book):
    log_in(desk, live_server, "director")
    desk.goto(f"{live_server.url}/dashboard/")
    desk.get_by_test_id("a-at-risk").click()
    risk = desk.get_by_test_id("movers-down")
    expect(risk).to_contain_text("华东客户09有限公司")
    risk.get_by_role("link").first.click()
    outlook = desk.get_by_test_id("grade-outlook")
    expect(outlook).to_contain_text("Margin")
    expect(outlook.get_by_test_id("outlook-down-relationship")).to_be_visible()
    screenshot(desk, "director-a-at-risk")


def test_the_manager_sees_segments_outlook_cross_sell_and_plan_on_the_account(page, live_server, graded_book):
    account = graded_book["accounts"][9]  # 100,000: an A, buys no 运维服务 which 8 of 9 peers buy
    log_in(page, live_server, "wang")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    expect(page.get_by_test_id("value-segment")).to_be_visible()
    expect(page.get_by_test_id("rfm-segment")).to_be_visible()
    expect(page.get_by_test_id("cross-sell-1")).to_contain_text("运维服务")
    expect(page.get_by_test_id("grade-outlook")).to_contain_text("A is the highest grade.")
    page.get_by_test_id("start-plan").click()
    expect(page.get_by_test_id("account-plan")).to_contain_text("No objectives yet.")
    page.get_by_test_id("need-price_sensitive").check()
    page.get_by_test_id("save-needs").click()
    expect(page.get_by_test_id("need-price_sensitive")).to_be_checked()
    screenshot(page, "manager-account-segments")
