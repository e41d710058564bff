"""An administrator's journey in a real browser, with a real Celery worker on Redis: edit a draft's
weights in Django admin, preview what it would do, activate it, re-grade, and see the account page change.
"""

import datetime
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from kam.celery import app as celery_app
from scoring.models import GradeSnapshot, RegradeRun, ScoringModel
from scoring.services import account_rating_set, active_scoring_model, current_period, regrade_period
from tests.e2e.conftest import screenshot
from tests.factories import AccountFactory, OrderFactory, UserFactory


@pytest.fixture
def close_friend(transactional_db):
    """One account the manager knows very well (relationship 5) but of little strategic fit (1).

    Default model (credit 15, volume 15, profit 15, growth 15, relationship 20, strategic fit 20): credit
    100, volume and profit 0 (the only account ranks lowest), growth flat 50, relationship 100, strategic
    fit 0 → (1500 + 750 + 2000) / 100 = 42.50, C. Moving strategic fit's 20 points to relationship:
    (1500 + 750 + 4000) / 100 = 62.50, B.
    """
    admin = UserFactory(username="admin", role=roles.ADMINISTRATOR)
    admin.is_superuser = True  # the flush of an earlier browser test removed the group's permissions
    admin.save(update_fields=["is_superuser"])
    account = AccountFactory(name="深圳老朋友贸易有限公司")
    today = timezone.localdate()
    for days_ago in (200, 560):  # one order this year, the same one a year before: flat growth
        day = today - datetime.timedelta(days=days_ago)
        due = day + datetime.timedelta(days=30)
        OrderFactory(
            account=account,
            order_date=day,
            amount=Decimal("80000.00"),
            gross_profit=Decimal("16000.00"),
            invoice_date=day,
            due_date=due,
            paid_date=due,
        )
    account_rating_set(actor=admin, account_id=account.pk, kind="relationship", value=5)
    account_rating_set(actor=admin, account_id=account.pk, kind="strategic_fit", value=1)
    regrade_period()
    assert GradeSnapshot.objects.get(account=account).computed_grade == "C"
    return account


@pytest.fixture
def admin_page(browser):
    """A desktop-sized page: administrators tune the model in Django admin at their desk."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def tasks_to_the_test_worker(celery_worker_queue):
    """Tasks queued by the live server ("Re-grade now" uses delay_on_commit) go to the test's worker."""
    default = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = celery_worker_queue
    yield
    celery_app.conf.task_default_queue = default


def _weight_field(page, key):
    """The weight input of the criterion row whose key is ``key`` in the draft's inline."""
    rows = page.locator("select[name^='criteria-'][name$='-key']")
    for index in range(rows.count()):
        if rows.nth(index).input_value() == key:
            name = rows.nth(index).get_attribute("name").replace("-key", "-weight")
            return page.locator(f"input[name='{name}']")
    raise AssertionError(f"no criterion {key} in the form")


def test_admin_tunes_previews_activates_and_regrades(
    admin_page, live_server, close_friend, tasks_to_the_test_worker
):
    page = admin_page
    active = active_scoring_model()

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "correct horse battery staple")
    page.locator("input[type=submit]").click()
    page.goto(f"{live_server.url}{reverse('admin:scoring_scoringmodel_change', args=[active.pk])}")

    # The active model cannot be edited: copy it to a draft, then move strategic fit's weight.
    page.get_by_test_id("copy-name").fill("2027 model, relationship first")
    page.get_by_role("button", name="Copy to a new draft").click()
    expect(page.locator(".messagelist")).to_contain_text("Copied to the new draft")
    _weight_field(page, "relationship").fill("40")
    _weight_field(page, "strategic_fit").fill("0")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    draft = ScoringModel.objects.filter(status=ScoringModel.Status.DRAFT).latest("pk")  # the copy
    assert draft.criteria.get(key="relationship").weight == Decimal("40")

    # What-if: the account would move from C to B.
    page.get_by_test_id("preview").click()
    changed = page.get_by_test_id("preview-changed")
    expect(changed).to_contain_text("深圳老朋友贸易有限公司")
    expect(changed.locator("tr", has_text="深圳老朋友贸易有限公司").locator("td")).to_have_text(
        ["深圳老朋友贸易有限公司", "C", "42.50", "B", "62.50"]
    )
    screenshot(page, "scoring-admin-preview-en")

    page.get_by_role("button", name="Activate this model").click()
    expect(page.locator(".messagelist")).to_contain_text("is now the active model")
    page.get_by_test_id("regrade-now").click()

    # The worker runs the re-grade; the run's status shows on the runs list.
    deadline = time.monotonic() + 90
    while not RegradeRun.objects.filter(trigger="manual", status="succeeded").exists():
        assert time.monotonic() < deadline, list(RegradeRun.objects.values("trigger", "status", "error"))
        time.sleep(0.5)
    page.reload()
    expect(page.locator("#result_list")).to_contain_text("Succeeded")

    page.goto(f"{live_server.url}{reverse('accounts:detail', args=[close_friend.pk])}")
    expect(page.get_by_test_id("effective-grade")).to_have_text("B")
    breakdown = page.get_by_test_id("grade-breakdown")
    expect(breakdown).to_contain_text("62.50")
    expect(breakdown.locator("tr", has_text="Relationship")).to_contain_text("40")
    screenshot(page, "scoring-account-after-regrade-en")
    snapshot = GradeSnapshot.objects.get(account=close_friend, period=current_period())
    assert (snapshot.scoring_model_id, snapshot.total, snapshot.grade) == (draft.pk, Decimal("62.50"), "B")
