"""Every date a person enters lies in a sensible window (kam/limits.py ``DateWindowValidator``), with a
message; months go through kam/periods.py (tests/test_periods.py)."""

import datetime

import pytest
import time_machine
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Interaction
from kam.limits import BIRTHDAY, PLANNED, DateWindowValidator
from segmentation.forms import MonthField
from tests.test_limits import PROJECT_APPS, _project_form_classes

# Written by KAM itself (runs, snapshots, alerts, caches, audit bookkeeping), never typed by a person.
SYSTEM_DATES = {
    "accounts.Contact.erased_at",
    "segmentation.KpiTarget.set_at",
    "segmentation.GradeCube.period",
    "segmentation.MonthCube.month",
    "segmentation.AccountCube.period",
    "segmentation.CubeRefresh.refreshed_at",
    "segmentation.CubeRefresh.accounts_updated_until",
    "segmentation.AccountSegment.period",
    "segmentation.AccountSegment.last_order_on",
    "segmentation.AccountNeed.set_at",
    "segmentation.SavedSegment.created_at",
    "segmentation.CrossSellRefresh.refreshed_at",
    "account_plans.AccountPlan.created_at",
    "account_plans.PlanReview.created_at",
    "scoring.ScoringModel.activated_at",
    "scoring.ScoringModel.retired_at",
    "scoring.AccountRatingChange.rated_on",
    "scoring.AccountRatingChange.changed_at",
    "scoring.GradeOverride.created_at",
    "scoring.GradeOverride.revoked_at",
    "scoring.RegradeRun.period",
    "scoring.RegradeRun.created_at",
    "scoring.RegradeRun.started_at",
    "scoring.RegradeRun.finished_at",
    "scoring.GradeSnapshot.period",
    "scoring.GradeSnapshot.computed_at",
    "service_tiers.ComplaintDeadline.respond_by",
    "service_tiers.ComplaintDeadline.resolve_by",
    "service_tiers.ComplaintDeadline.fixed_at",
    "service_tiers.Alert.due_on",
    "service_tiers.Alert.opened_at",
    "service_tiers.Alert.closed_at",
    "service_tiers.AlertRead.read_at",
    "service_tiers.AlertRun.started_at",
    "service_tiers.AlertRun.finished_at",
    "service_tiers.AlertDigest.day",
    "service_tiers.AlertDigest.sent_at",
    "service_tiers.ComplianceFigure.month",
    "service_tiers.ComplianceRefresh.month",
    "service_tiers.ComplianceRefresh.built_at",
    "service_tiers.ComplianceRefresh.built_on",
}


def _has_window(field) -> bool:
    return any(isinstance(validator, DateWindowValidator) for validator in field.validators)


def test_every_date_a_person_enters_has_a_window():
    unbounded = [
        label
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS - {"audit"}  # audit events copy their source's fields
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateField)
        and not (field.auto_now or field.auto_now_add)
        and (label := f"{model._meta.label}.{field.name}") not in SYSTEM_DATES
        and not _has_window(field)
    ]
    assert not unbounded, (
        f"Give these a kam.limits DateWindowValidator (or list them as system dates): {unbounded}"
    )


# The window is applied in clean_<field>, after the precise future limit (validate_occurred_at).
# ContactForm.birthday: the future in clean_birthday, the window by the model's full_clean in the service.
WINDOW_IN_CLEAN = {
    "accounts.forms.InteractionForm.occurred_at",
    "accounts.forms.ComplaintForm.received_at",
    "accounts.forms.ContactForm.birthday",
}


def test_every_date_field_of_every_form_has_a_window():
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _project_form_classes()
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
        and not isinstance(field, MonthField)  # months: kam.periods
        and not _has_window(field)
        and f"{cls.__module__}.{cls.__name__}.{name}" not in WINDOW_IN_CLEAN
    ]
    assert not unbounded


def _interaction(**overrides):
    payload = {
        "kind": "call",
        "occurred_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "summary": "电话确认交货时间",
        "next_step": "寄送样品",
    }
    payload.update(overrides)
    return payload


def test_a_next_step_due_in_the_year_9999_is_refused_through_the_api(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("api:interaction-list"),
        {"account": world.own_account.pk, **_interaction(next_step_due="9999-12-31")},
        content_type="application/json",
    )
    assert response.status_code == 400
    earliest, latest = PLANNED.window()
    assert latest.isoformat() in response.json()["next_step_due"][0]
    assert not Interaction.objects.exists()


def test_a_next_step_due_in_the_year_9999_is_a_message_on_the_page(client, world):
    client.force_login(world.manager)
    data = _interaction(
        next_step_due="9999-12-31", occurred_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    )
    response = client.post(reverse("accounts:interaction_create", args=[world.own_account.pk]), data)
    assert "next_step_due" in response.context["interaction_form"].errors
    assert not Interaction.objects.exists()


def test_a_visit_in_the_year_1_is_a_message_on_the_page(client, world):
    client.force_login(world.manager)
    data = _interaction(occurred_at="0001-01-02T10:00", next_step="")
    response = client.post(reverse("accounts:interaction_create", args=[world.own_account.pk]), data)
    assert "Choose a date between" in str(response.context["interaction_form"].errors["occurred_at"])
    assert not Interaction.objects.exists()


def test_a_visit_in_the_year_1_is_refused(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("api:interaction-list"),
        {"account": world.own_account.pk, **_interaction(occurred_at="0001-01-02T10:00:00+08:00")},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()


def test_a_next_step_within_the_window_is_taken(client, world):
    client.force_login(world.manager)
    due = timezone.localdate() + datetime.timedelta(days=365 * 4)
    response = client.post(
        reverse("api:interaction-list"),
        {"account": world.own_account.pk, **_interaction(next_step_due=due.isoformat())},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("window", "today", "value", "ok"),
    [
        (PLANNED, "2028-02-29", "2033-02-28", True),  # five years after a 29 February
        (PLANNED, "2028-02-29", "2033-03-01", False),
        (BIRTHDAY, "2026-12-02", "2026-12-02", True),
        (BIRTHDAY, "2026-12-02", "2026-12-03", False),  # a birthday is not in the future
        (BIRTHDAY, "2026-12-02", "1906-12-01", False),
    ],
)
def test_the_window_follows_today_also_on_29_february(window, today, value, ok):
    with time_machine.travel(datetime.datetime.fromisoformat(f"{today}T12:00:00+08:00"), tick=False):
        if ok:
            window(datetime.date.fromisoformat(value))
        else:
            with pytest.raises(ValidationError) as error:
                window(datetime.date.fromisoformat(value))
            assert error.value.code == "date_out_of_window"
