"""The manager's phone (issue 15, items 1, 2, 4, 5): results show where the user is looking, a form
opened from My day is ready to type, the header is one row, a new rating shows at once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from accounts.models import Interaction
from tests.e2e.conftest import log_in, screenshot
from tests.factories import (
    AccountFactory,
    ComplaintFactory,
    ContactFactory,
    InteractionFactory,
    OrderFactory,
    RegionFactory,
    UserFactory,
)


@pytest.fixture
def long_account(transactional_db):
    """An account whose page is several screens long: contacts, a history, twenty orders, a complaint."""
    east = RegionFactory(name="华东", code="east")
    manager = UserFactory(username="manager", first_name="芳", last_name="王", role=roles.ACCOUNT_MANAGER)
    account = AccountFactory(
        name="上海宏远机械制造有限公司", short_name="宏远机械", owner=manager, region=east
    )
    for name in ("王建国", "李丽", "张伟"):
        ContactFactory(account=account, name=name)
    for days in range(100, 130, 5):
        InteractionFactory(account=account, occurred_at=timezone.now() - timedelta(days=days))
    for days in range(20):
        OrderFactory(account=account, order_date=timezone.localdate() - timedelta(days=10 + days * 9))
    complaint = ComplaintFactory(account=account, description="交货延迟三天")
    return {"manager": manager, "account": account, "complaint": complaint}


def in_viewport(page, locator) -> bool:
    """The top of the element is on screen (rounded: a scroll may leave it a fraction of a pixel off)."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None, "not rendered"
    return box["y"] >= -1 and box["y"] + min(box["height"], 40) <= height


@pytest.mark.parametrize("width", [390, 1366])
def test_saved_visit_shows_its_message_and_entry_where_the_user_is_looking(
    page, live_server, long_account, width
):
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/{long_account['account'].pk}/")
    page.get_by_test_id("log-interaction").click()
    page.get_by_label("Summary").fill("拜访王总，确认明年框架协议")
    page.get_by_test_id("save-interaction").scroll_into_view_if_needed()
    page.get_by_test_id("save-interaction").click()

    message = page.locator("#activity .kam-message")
    expect(message).to_have_text("Interaction logged.")
    page.wait_for_timeout(100)
    assert in_viewport(page, message), f"the result is off screen: {message.bounding_box()}"
    newest = page.get_by_test_id("timeline").locator("li").first
    expect(newest).to_contain_text("拜访王总，确认明年框架协议")
    assert in_viewport(page, newest), "the new entry is off screen"
    # Focus is on the result (not the page body), and the live region says it once.
    assert page.evaluate("document.activeElement.closest('#activity .kam-messages') !== null")
    expect(page.get_by_test_id("live-region")).to_have_text("Interaction logged.")
    screenshot(page, f"visit-saved-{width}")


def test_visit_with_an_error_focuses_the_field_and_describes_it(page, live_server, long_account):
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/{long_account['account'].pk}/")
    page.get_by_test_id("log-interaction").click()
    page.get_by_label("Summary").fill("   ")
    page.get_by_test_id("save-interaction").click()
    error = page.locator("[data-field=summary]")
    expect(error).to_have_text("Write what happened, in a sentence or two.")
    expect(page.get_by_label("Summary")).to_be_focused()
    assert in_viewport(page, error)
    described_by = page.get_by_label("Summary").get_attribute("aria-describedby")
    assert described_by and page.locator(f"#{described_by}").count() == 1
    assert not Interaction.objects.filter(summary__contains="   ").exists()


def test_the_same_without_javascript_redirects_to_the_section_with_the_message_in_it(
    browser, live_server, long_account
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/{long_account['account'].pk}/interactions/new/")
    page.get_by_label("Summary").fill("电话回访")
    page.get_by_test_id("save-interaction").click()
    message = page.locator("#activity .kam-message")
    expect(message).to_have_text("Interaction logged.")
    assert page.locator("main > .kam-messages .kam-message").count() == 0  # not 1,500 px above
    page.wait_for_timeout(100)
    assert in_viewport(page, message)
    context.close()


def test_complaint_update_is_announced_in_its_section(page, live_server, long_account):
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/{long_account['account'].pk}/")
    page.get_by_test_id("complaint-list").get_by_role("button", name="Start handling").click()
    message = page.locator("#complaints .kam-message")
    expect(message).to_have_text("Complaint updated.")
    page.wait_for_timeout(100)
    assert in_viewport(page, message)
    expect(page.get_by_test_id("live-region")).to_have_text("Complaint updated.")


def test_log_visit_on_my_day_opens_the_form_ready_to_type(page, live_server, long_account):
    log_in(page, live_server, "manager")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    page.get_by_test_id("my-day-log-visit").first.click()
    expect(page.get_by_test_id("account-name")).to_have_text("上海宏远机械制造有限公司")
    expect(page.get_by_label("Summary")).to_be_focused()
    expect(page.get_by_label("Kind")).to_have_value("visit")
    page.keyboard.type("回访")
    page.get_by_test_id("save-interaction").click()
    expect(page.get_by_test_id("timeline").locator("li").first).to_contain_text("回访")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_header_is_one_row_on_a_phone_with_the_rest_in_the_menu(browser, live_server, long_account, language):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/")
    links = page.locator("header nav > ul > li:visible")
    tops = {round(box["y"]) for box in (item.bounding_box() for item in links.all())}
    assert max(tops) - min(tops) < 16, f"header items on several rows: {sorted(tops)}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"header-phone-{language}")
    page.get_by_test_id("user-menu").locator("summary").click()
    expect(page.get_by_test_id("logout")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("logout")).to_be_hidden()
    context.close()


def test_a_saved_rating_shows_at_once_with_the_day_the_score_counts_it(page, live_server, long_account):
    from scoring.services import regrade_period

    regrade_period()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/{long_account['account'].pk}/")
    page.get_by_test_id("rate-account").click()
    form = page.get_by_test_id("rating-form-relationship")
    form.get_by_label("Rating").select_option("4")
    form.get_by_role("button", name="Save rating").click()
    message = page.locator("#grade-panel .kam-message")
    expect(message).to_contain_text(
        "Relationship rated 4 / 5. The score counts it from the next monthly grading"
    )
    expect(page.get_by_test_id("pending-rating-relationship")).to_contain_text("now 4 / 5")
    page.wait_for_timeout(100)
    assert in_viewport(page, message)
    screenshot(page, "rating-saved-phone")
