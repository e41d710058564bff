"""Writes of account plans. Anyone who sees an account may plan it (its manager, its account team, the
directors of its region or team, administrators); a plan is for an A or B account (the effective grade
of its latest month), one per year."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from scoring.models import GradeSnapshot
from scoring.selectors import effective_grades

from .models import AccountPlan, PlanAction, PlanObjective, PlanReview
from .selectors import PLANNED_GRADES, objectives_with_progress, progress_of


def _visible_plan(actor, plan_id) -> AccountPlan:
    return AccountPlan.objects.visible_to(actor).select_related("account").get(pk=plan_id)


def plan_action_owners(*, account: Account):
    """Who may own an action of the account's plan: its manager and its account team."""
    from django.contrib.auth import get_user_model

    ids = {account.owner_id, *account.account_team.values_list("pk", flat=True)}
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("username")


@transaction.atomic
def account_plan_create(*, actor, account_id: int, year: int, summary: str = "") -> AccountPlan:
    account = Account.objects.visible_to(actor).get(pk=account_id)
    latest = GradeSnapshot.objects.order_by("-period").values_list("period", flat=True).first()
    graded = effective_grades(user=actor, period=latest).filter(account=account).first()
    if graded is None or graded.effective_grade not in PLANNED_GRADES:
        raise ValidationError(_("Account plans are for A and B accounts."))
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Choose a year.")})
    if AccountPlan.objects.filter(account=account, year=year).exists():
        raise ValidationError({"year": _("This account already has a plan for %(year)s.") % {"year": year}})
    plan = AccountPlan(account=account, year=year, summary=(summary or "").strip(), created_by=actor)
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def plan_objective_add(
    *,
    actor,
    plan_id: int,
    kind: str,
    target,
    due_on: datetime.date,
    description: str = "",
    recorded_value=None,
) -> PlanObjective:
    plan = _visible_plan(actor, plan_id)
    errors = {}
    if due_on is not None and due_on.year != plan.year:
        errors["due_on"] = _("The due date falls in the plan's year, %(year)s.") % {"year": plan.year}
    if kind in PlanObjective.MEASURED and recorded_value is not None:
        errors["recorded_value"] = _("This objective is measured from orders and ratings; record nothing.")
    if errors:
        raise ValidationError(errors)
    objective = PlanObjective(
        plan=plan,
        kind=kind,
        target=target,
        due_on=due_on,
        description=(description or "").strip(),
        recorded_value=recorded_value,
    )
    objective.full_clean()
    objective.save()
    return objective


@transaction.atomic
def plan_action_add(*, actor, plan_id: int, description: str, owner, due_on: datetime.date) -> PlanAction:
    plan = _visible_plan(actor, plan_id)
    if owner is None or not plan_action_owners(account=plan.account).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("Choose the account manager or someone of the account team.")})
    action = PlanAction(plan=plan, description=(description or "").strip(), owner=owner, due_on=due_on)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def plan_action_set_status(*, actor, action_id: int, status: str) -> PlanAction:
    action = PlanAction.objects.visible_to(actor).select_for_update().get(pk=action_id)
    if status not in PlanAction.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    action.status = status
    action.save(update_fields=["status", "updated_at"])
    return action


@transaction.atomic
def plan_review_record(*, actor, plan_id: int, reviewed_on: datetime.date, notes: str) -> PlanReview:
    """A quarterly review, keeping the objectives' progress as it was computed that day."""
    plan = _visible_plan(actor, plan_id)
    today = timezone.localdate()
    if reviewed_on is None or reviewed_on > today:
        raise ValidationError({"reviewed_on": _("A review cannot be dated in the future.")})
    objectives = objectives_with_progress(PlanObjective.objects.filter(plan=plan), today=reviewed_on)
    progress = {}
    for objective in objectives:
        figures = progress_of(objective, year=plan.year, today=reviewed_on)
        progress[str(objective.pk)] = {
            "value": None if figures.value is None else str(figures.value),
            "percent": None if figures.percent is None else str(figures.percent),
            "on_track": figures.on_track,
        }
    review = PlanReview(
        plan=plan, reviewed_on=reviewed_on, notes=(notes or "").strip(), reviewer=actor, progress=progress
    )
    review.full_clean()
    review.save()
    return review
