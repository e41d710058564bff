"""The account manager's My day in a real browser at phone width: act on an overdue revisit and see its
alert disappear; mark an alert read in place."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from service_tiers.alerts import alerts_sync
from service_tiers.models import Alert
from tests.e2e.conftest import log_in, screenshot
from tests.factories import AccountFactory, ContactFactory, InteractionFactory, RegionFactory, UserFactory


@pytest.fixture
def overdue_book(transactional_db):
    east = RegionFactory(name="华东", code="east")
    manager = UserFactory(username="manager", role=roles.ACCOUNT_MANAGER)
    overdue = AccountFactory(
        name="上海宏远机械制造有限公司", short_name="宏远机械", owner=manager, region=east
    )
    ContactFactory(account=overdue, name="王建国", title="采购总监")
    InteractionFactory(account=overdue, occurred_at=timezone.now() - timedelta(days=120))  # C: every 90 days
    lagging = AccountFactory(name="杭州天成物流有限公司", short_name="天成物流", owner=manager, region=east)
    InteractionFactory(account=lagging, occurred_at=timezone.now() - timedelta(days=200))
    alerts_sync()  # the daily run; the visit logged below closes its alert itself (no sync on a GET)
    return {"manager": manager, "overdue": overdue, "lagging": lagging}


def test_manager_logs_the_overdue_visit_from_my_day_and_the_alert_disappears(page, live_server, overdue_book):
    log_in(page, live_server, "manager")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    alerts = page.get_by_test_id("my-day-alerts")
    overdue_alert = alerts.locator("[data-rule=revisit_overdue]", has_text="宏远机械")
    expect(overdue_alert).to_have_count(1)
    screenshot(page, "my-day-phone")

    page.get_by_test_id("my-day-revisits").get_by_role("link", name="宏远机械").click()
    expect(page.get_by_test_id("account-name")).to_have_text("上海宏远机械制造有限公司")
    page.get_by_test_id("log-interaction").click()
    page.get_by_label("Kind").select_option("visit")
    page.get_by_label("Summary").fill("回访王总，确认交货计划")
    page.get_by_test_id("save-interaction").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("回访王总，确认交货计划")

    page.get_by_role("link", name="My day").click()
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    expect(overdue_alert).to_have_count(0)
    expect(page.get_by_test_id("my-day-alerts").locator("[data-rule=revisit_overdue]")).to_have_count(
        1
    )  # 天成
    assert not Alert.objects.filter(
        account=overdue_book["overdue"], rule="revisit_overdue", status="open"
    ).exists()
    assert Alert.objects.filter(
        account=overdue_book["overdue"], rule="revisit_overdue", status="closed"
    ).exists()


def test_marking_an_alert_read_updates_it_and_the_bell_in_place(page, live_server, overdue_book):
    log_in(page, live_server, "manager")
    bell = page.locator("#kam-bell-count")
    unread = int(bell.inner_text())
    # Alerts are grouped by cause, the most urgent group open: open this cause's group first.
    page.locator("[data-cause=no_contact] > summary").click()
    item = page.get_by_test_id("my-day-alerts").locator("[data-rule=no_contact]", has_text="天成物流")
    item.get_by_test_id("mark-read").click()
    expect(item.get_by_test_id("mark-read")).to_have_count(0)
    expect(bell).to_have_text(str(unread - 1) if unread > 1 else "")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
