"""Account plans: for A and B accounts, objectives with progress computed from orders, actions, quarterly
reviews, and the director's summary. Today is frozen at 2026-07-02, 182 days after 1 January."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from account_plans.models import AccountPlan, PlanAction, PlanObjective, PlanReview
from account_plans.selectors import account_plan, plans_summary
from account_plans.services import (
    account_plan_create,
    plan_action_add,
    plan_action_set_status,
    plan_objective_add,
    plan_review_record,
)
from scoring.services import account_rating_set
from tests.factories import AccountFactory, OrderFactory
from tests.segmentation.conftest import snapshot

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 7, 2, 10, 0, tzinfo=SHANGHAI)
PERIOD = datetime.date(2026, 7, 1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def planned(world, frozen):
    snapshot(world.own_account, PERIOD, "A", "80.00", "1000.00")
    snapshot(world.foreign_account, PERIOD, "B", "70.00", "1000.00")
    for day, amount, profit in (
        (datetime.date(2025, 12, 31), "999999", "0"),  # last year: not counted
        (datetime.date(2026, 2, 1), "300000", "60000"),
        (datetime.date(2026, 6, 30), "200000", "30000"),
        (datetime.date(2026, 7, 2), "50000", "5000"),
    ):  # today: counted
        OrderFactory(
            account=world.own_account, order_date=day, amount=Decimal(amount), gross_profit=Decimal(profit)
        )
    return account_plan_create(
        actor=world.manager, account_id=world.own_account.pk, year=2026, summary="扩大维保合作"
    )


def test_progress_is_computed_from_the_years_orders_and_the_rating(world, planned):
    revenue = plan_objective_add(
        actor=world.manager,
        plan_id=planned.pk,
        kind="revenue",
        target=Decimal("1000000"),
        due_on=datetime.date(2026, 12, 31),
    )
    profit = plan_objective_add(
        actor=world.manager,
        plan_id=planned.pk,
        kind="gross_profit",
        target=Decimal("150000"),
        due_on=datetime.date(2026, 6, 30),
    )
    relationship = plan_objective_add(
        actor=world.manager,
        plan_id=planned.pk,
        kind="relationship",
        target=Decimal("4"),
        due_on=datetime.date(2026, 6, 30),
    )
    account_rating_set(actor=world.manager, account_id=world.own_account.pk, kind="relationship", value=3)
    rows = dict(account_plan(account=world.own_account)["objectives"])
    progress = {objective.pk: value for objective, value in rows.items()}
    # 550,000 of 1,000,000 = 55.0 %; 182 of 364 days since 1 January → 50.0 % expected: on track.
    assert progress[revenue.pk].value == Decimal("550000.00")
    assert progress[revenue.pk].percent == Decimal("55.0")
    assert progress[revenue.pk].expected_percent == Decimal("50.0")
    assert progress[revenue.pk].on_track
    # Profit counts until its due date (30 June): 90,000 of 150,000, due already: off track.
    assert progress[profit.pk].value == Decimal("90000.00")
    assert not progress[profit.pk].on_track
    # Relationship 3 of 4, past due: off track.
    assert progress[relationship.pk].value == Decimal("3")
    assert not progress[relationship.pk].on_track


def test_plans_are_for_a_and_b_accounts_once_a_year(world, frozen):
    snapshot(world.own_account, PERIOD, "C", "40.00", "10.00")
    with pytest.raises(ValidationError):
        account_plan_create(actor=world.manager, account_id=world.own_account.pk, year=2026)
    snapshot(world.foreign_account, PERIOD, "A", "90.00", "10.00")
    account_plan_create(actor=world.other_manager, account_id=world.foreign_account.pk, year=2026)
    with pytest.raises(ValidationError) as error:
        account_plan_create(actor=world.other_manager, account_id=world.foreign_account.pk, year=2026)
    assert "year" in error.value.message_dict


def test_an_invisible_plan_cannot_be_changed(world, planned, client):
    with pytest.raises(AccountPlan.DoesNotExist):
        plan_objective_add(
            actor=world.other_manager,
            plan_id=planned.pk,
            kind="revenue",
            target=1,
            due_on=datetime.date(2026, 9, 1),
        )
    client.force_login(world.other_manager)
    response = client.post(
        reverse("account_plans:objective_add", args=[planned.pk]),
        {"objective-kind": "revenue", "objective-target": "1", "objective-due_on": "2026-09-01"},
    )
    assert response.status_code == 404
    assert not PlanObjective.objects.exists()


def test_actions_have_an_owner_of_the_account_and_a_status(world, planned):
    with pytest.raises(ValidationError):
        plan_action_add(
            actor=world.manager,
            plan_id=planned.pk,
            description="拜访总经理",
            owner=world.other_manager,
            due_on=datetime.date(2026, 7, 1),
        )
    action = plan_action_add(
        actor=world.manager,
        plan_id=planned.pk,
        description="拜访总经理",
        owner=world.teammate,
        due_on=datetime.date(2026, 7, 1),
    )
    assert plans_summary(user=world.director)["overdue_count"] == 1
    plan_action_set_status(actor=world.teammate, action_id=action.pk, status="done")
    assert plans_summary(user=world.director)["overdue_count"] == 0


def test_a_review_keeps_the_progress_of_its_day(world, planned):
    revenue = plan_objective_add(
        actor=world.manager,
        plan_id=planned.pk,
        kind="revenue",
        target=Decimal("1000000"),
        due_on=datetime.date(2026, 12, 31),
    )
    review = plan_review_record(
        actor=world.director, plan_id=planned.pk, reviewed_on=datetime.date(2026, 3, 31), notes="一季度回顾"
    )
    assert review.quarter == 1
    assert review.progress[str(revenue.pk)]["value"] == "300000.00"
    with pytest.raises(ValidationError):
        plan_review_record(
            actor=world.director, plan_id=planned.pk, reviewed_on=datetime.date(2026, 7, 3), notes="未来"
        )
    assert PlanReview.objects.count() == 1


def test_the_directors_summary_names_missing_plans_within_their_scope(world, planned, client):
    east_b = AccountFactory(name="华东乙", owner=world.manager, region=world.east)
    snapshot(east_b, PERIOD, "B", "65.00", "10.00")
    summary = plans_summary(user=world.director)
    assert [s.account_id for s in summary["missing"]] == [east_b.pk]
    assert plans_summary(user=world.other_director)["missing_count"] == 1  # foreign_account (B)
    client.force_login(world.director)
    text = client.get(reverse("account_plans:summary")).content.decode()
    assert "华东乙" in text and world.foreign_account.name not in text


def test_the_account_page_shows_the_plan_and_its_forms_work(world, planned, client):
    client.force_login(world.manager)
    response = client.post(
        reverse("account_plans:objective_add", args=[planned.pk]),
        {
            "objective-kind": "revenue",
            "objective-target": "1000000",
            "objective-due_on": "2026-12-31",
            "objective-description": "全年收入",
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("account_plans:action_add", args=[planned.pk]),
        {
            "action-description": "安排技术交流",
            "action-owner": world.manager.pk,
            "action-due_on": "2026-08-01",
        },
    )
    text = client.get(reverse("accounts:detail", args=[world.own_account.pk])).content.decode()
    assert "Account plan 2026" in text and "全年收入" in text and "55.0 %" in text and "安排技术交流" in text
    response = client.post(
        reverse("account_plans:objective_add", args=[planned.pk]),
        {"objective-kind": "revenue", "objective-target": "5", "objective-due_on": "2027-01-31"},
    )
    assert response.status_code == 200
    assert "The due date falls in the plan&#x27;s year, 2026." in response.content.decode()
    assert PlanAction.objects.count() == 1 and PlanObjective.objects.count() == 1
