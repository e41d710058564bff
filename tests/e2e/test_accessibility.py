"""axe-core (vendored, tests/e2e/vendor/axe-core-4.10.3) on every signed-in page, in light and dark mode,
in both languages, at phone and desk width: no serious or critical violation (issue 15, items 24–28)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from service_tiers.models import AlertRun
from service_tiers.services import alerts_run
from tests.e2e.conftest import log_in, screenshot
from tests.factories import (
    AccountFactory,
    ComplaintFactory,
    ContactFactory,
    InteractionFactory,
    OrderFactory,
    RegionFactory,
    TeamFactory,
    UserFactory,
)

AXE = (Path(__file__).parent / "vendor" / "axe-core-4.10.3" / "axe.min.js").read_text()
SERIOUS = ("serious", "critical")


@pytest.fixture
def desk(transactional_db):
    from scoring.services import regrade_period

    east = RegionFactory(name="华东", code="east")
    manager = UserFactory(username="manager", first_name="芳", last_name="王", role=roles.ACCOUNT_MANAGER)
    director = UserFactory(username="director", role=roles.SALES_DIRECTOR)
    east.directors.add(director)
    team = TeamFactory(name="华东一组", region=east)
    team.members.add(manager)
    team.directors.add(director)
    account = AccountFactory(
        name="上海宏远机械制造有限公司", short_name="宏远机械", owner=manager, region=east
    )
    ContactFactory(account=account, name="王建国", title="采购总监", phone="13800138000")
    InteractionFactory(account=account, occurred_at=timezone.now() - timedelta(days=120))
    for days in range(12):
        OrderFactory(account=account, order_date=timezone.localdate() - timedelta(days=20 + days * 25))
    ComplaintFactory(account=account)
    AccountFactory(name="杭州天成物流有限公司", short_name="天成物流", owner=manager, region=east)
    regrade_period()
    alerts_run(trigger=AlertRun.Trigger.MANUAL, send_digests=False)
    return {"manager": manager, "director": director, "account": account}


def violations(page) -> list[str]:
    # The pages' Content Security Policy (script-src 'self') refuses an inline <script>: axe is run
    # through the DevTools protocol instead, which the policy does not govern.
    page.evaluate(AXE)
    return page.evaluate(
        """(serious) => axe.run(document, {resultTypes: ['violations']}).then(result => result.violations
            .filter(v => serious.includes(v.impact))
            .map(v => v.id + ' (' + v.impact + '): '
                      + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))""",
        list(SERIOUS),
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("width", [390, 1366])
def test_no_serious_axe_violation_on_any_page(browser, live_server, desk, scheme, language, width):
    context = browser.new_context(viewport={"width": width, "height": 844}, color_scheme=scheme)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = {}
    log_in(page, live_server, "manager")
    for path in [
        "/my-day/",
        "/accounts/",
        f"/accounts/{desk['account'].pk}/",
        "/alerts/",
        "/accounts/?q=wang",
    ]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        found[path] = violations(page)
    page.context.clear_cookies()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    log_in(page, live_server, "director")
    for path in ["/dashboard/"]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        page.mouse.wheel(0, 20_000)  # bring the lazily drawn charts in
        page.wait_for_timeout(500)
        found[path] = violations(page)
    if width == 390 and language == "zh-hans":
        screenshot(page, f"dashboard-{scheme}-{language}-{width}")
    context.close()
    assert {path: v for path, v in found.items() if v} == {}


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page, live_server, desk):
    log_in(page, live_server, "manager")
    page.wait_for_load_state("load")  # kam.js has run: nothing moves focus after the first Tab
    page.keyboard.press("Tab")
    skip = page.get_by_test_id("skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_focus_ring_contrasts_three_to_one_with_the_page(page, live_server, desk):
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/accounts/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; })()"
    )
    assert style[0] == "solid" and float(style[1].rstrip("px")) >= 2
    assert style[2] in ("rgb(11, 87, 208)", "rgb(138, 180, 248)")  # 6.6:1 on white, 8.4:1 on the dark page


def test_bell_name_includes_its_visible_count(page, live_server, desk):
    log_in(page, live_server, "manager")
    bell = page.get_by_test_id("alert-bell")
    count = page.locator("#kam-bell-count").inner_text()
    assert count and count in bell.get_attribute("aria-label")


def test_wide_tables_on_a_phone_can_be_reached_by_keyboard(page, live_server, desk):
    log_in(page, live_server, "director")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_load_state("networkidle")
    boxes = page.evaluate(
        """[...document.querySelectorAll('.overflow-auto')].filter(b => b.scrollWidth > b.clientWidth + 1)
            .map(b => [b.getAttribute('tabindex'), b.getAttribute('aria-label')])"""
    )
    assert boxes, "no table is wider than the phone: the test sees nothing"
    assert all(tabindex == "0" and label for tabindex, label in boxes), boxes
