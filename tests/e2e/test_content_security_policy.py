"""Every kind of page works under the strict Content-Security-Policy (issue 14 item 7): the dashboard
draws its charts, htmx swaps fragments, the admin's scripts run, and the browser reports no violation."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_director_dashboard import directed_regions  # noqa: F401 - a fixture
from tests.factories import UserFactory


@pytest.fixture
def watched(browser):
    """A desktop page that records every CSP violation: console reports and DOM events."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    yield page, console
    context.close()


def violations(page, console):
    reported = [text for text in console if "Content Security Policy" in text or "page error" in text]
    return reported + page.evaluate("window.__csp")


def test_pages_charts_htmx_and_admin_work_under_the_policy(watched, live_server, directed_regions):  # noqa: F811
    page, console = watched
    UserFactory(username="root", is_staff=True, is_superuser=True)
    response = page.goto(f"{live_server.url}/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    # Dashboard: ECharts draws, htmx filters.
    log_in(page, live_server, "director")
    expect(page.locator("[data-chart=distribution] svg")).to_have_count(1)
    expect(page.get_by_test_id("risk-list")).to_contain_text("广州南方电气有限公司")  # an htmx load
    page.get_by_label("Region").select_option(label="华东")
    expect(page).to_have_url(re.compile(rf"region={directed_regions['east'].pk}"))
    expect(page.get_by_test_id("migration-A-B")).to_have_text("1")

    # Account list: the htmx search swaps the results.
    page.goto(f"{live_server.url}/accounts/")
    page.get_by_role("searchbox").fill("嘉和")
    expect(page.locator("#account-results")).to_contain_text("杭州嘉和置业有限公司")
    expect(page.locator("#account-results")).not_to_contain_text("上海宏远机械制造有限公司")
    page.get_by_text("杭州嘉和置业有限公司").first.click()
    expect(page.get_by_role("heading", name=re.compile("杭州嘉和置业有限公司"))).to_be_visible()
    page.goto(f"{live_server.url}/my-day/")
    assert violations(page, console) == []

    # Admin: its own scripts (the action bar's select-all, the change form's inlines) run.
    page.context.clear_cookies()
    log_in(page, live_server, "root")
    page.goto(f"{live_server.url}/admin/accounts/account/")
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("4 of 4 selected")
    page.goto(f"{live_server.url}/admin/scoring/scoringmodel/")
    page.get_by_role("link", name=re.compile("Default model")).first.click()
    expect(page.locator(".inline-group").first).to_be_visible()
    assert violations(page, console) == []
