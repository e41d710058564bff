"""The account manager's first journey in a real browser, in English and in 简体中文."""

import re

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.models import Interaction
from tests.e2e.conftest import log_in, screenshot
from tests.factories import AccountFactory, ContactFactory, RegionFactory, UserFactory


@pytest.fixture
def book(transactional_db):
    """A manager with a small book, and a colleague's account they must not see."""
    east = RegionFactory(name="华东", code="east")
    manager = UserFactory(username="manager", role=roles.ACCOUNT_MANAGER)
    colleague = UserFactory(username="colleague", role=roles.ACCOUNT_MANAGER)
    account = AccountFactory(
        name="上海宏远机械制造有限公司", short_name="宏远机械", owner=manager, region=east
    )
    ContactFactory(account=account, name="王建国", title="采购总监")
    AccountFactory(name="杭州天成物流有限公司", short_name="天成物流", owner=manager, region=east)
    foreign = AccountFactory(
        name="北京华信建设集团有限公司", short_name="华信建设", owner=colleague, region=east
    )
    return {"manager": manager, "account": account, "foreign": foreign}


def test_manager_logs_a_visit_and_sees_it_in_the_timeline(page, live_server, book):
    log_in(page, live_server, "manager")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()  # a manager's home page
    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()

    page.get_by_test_id("account-search").fill("宏远")
    expect(page.get_by_test_id("account-count")).to_have_text(re.compile(r"^1 account"))
    expect(page).to_have_url(re.compile(r"q=%E5%AE%8F%E8%BF%9C"))  # the search is kept in the URL
    page.get_by_role("link", name="上海宏远机械制造有限公司").click()
    expect(page.get_by_test_id("account-name")).to_have_text("上海宏远机械制造有限公司")

    page.get_by_test_id("log-interaction").click()
    page.get_by_label("Kind").select_option("visit")
    page.get_by_label("王建国 (采购总监)").check()
    page.get_by_label("Summary").fill("拜访王总，确认明年框架协议")
    screenshot(page, "manager-log-visit-en")
    page.get_by_test_id("save-interaction").click()

    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("拜访王总，确认明年框架协议")
    expect(timeline).to_contain_text("王建国")
    expect(page.locator(".kam-message", has_text="Interaction logged.")).to_be_visible()
    screenshot(page, "manager-timeline-en")
    assert Interaction.objects.filter(account=book["account"], author=book["manager"]).count() == 1


def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(page, live_server, book):
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/{book['account'].pk}/")
    page.get_by_test_id("log-interaction").click()
    page.get_by_label("Summary").fill("   ")
    page.get_by_test_id("save-interaction").click()
    expect(page.locator("[data-field=summary]")).to_have_text("Write what happened, in a sentence or two.")
    assert not Interaction.objects.exists()


def test_manager_opening_another_managers_account_gets_404(page, live_server, book):
    log_in(page, live_server, "manager")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()  # a manager's home page
    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    expect(page.get_by_text("北京华信建设集团有限公司")).to_have_count(0)
    response = page.goto(f"{live_server.url}/accounts/{book['foreign'].pk}/")
    assert response.status == 404
    expect(page.get_by_text("北京华信建设集团有限公司")).to_have_count(0)


def test_the_same_journey_in_simplified_chinese(page, live_server, book):
    log_in(page, live_server, "manager")
    page.get_by_role("button", name="简体中文").click()
    page.get_by_role("link", name="客户", exact=True).click()
    expect(page.get_by_role("heading", name="客户")).to_be_visible()

    page.get_by_test_id("account-search").fill("宏远")
    expect(page.get_by_test_id("account-count")).to_contain_text("1")
    page.get_by_role("link", name="上海宏远机械制造有限公司").click()
    page.get_by_test_id("log-interaction").click()
    expect(page.get_by_test_id("log-interaction")).to_have_text("记录拜访或电话")
    page.get_by_label("类型").select_option("call")
    page.get_by_label("摘要").fill("电话沟通交货时间")
    page.get_by_test_id("save-interaction").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("电话沟通交货时间")
    expect(page.get_by_test_id("timeline")).to_contain_text("电话")
    expect(page.locator(".kam-message", has_text="互动已记录。")).to_be_visible()
    screenshot(page, "manager-timeline-zh-hans")
