"""Account plan pages: the plan's section of the account page (forms post here and come back to it), and
the director's summary. Every view starts from the visibility rule; a foreign id is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Account
from segmentation.forms import DashboardFilterForm
from segmentation.selectors import dashboard_accounts

from . import selectors, services
from .forms import ActionForm, ActionStatusForm, ObjectiveForm, PlanForm, ReviewForm
from .models import AccountPlan, PlanAction


def plan_context(request, account, **forms) -> dict:
    data = selectors.account_plan(account=account)
    return {
        **data,
        "account": account,
        "request": request,
        "plan_form": forms.get("plan_form") or PlanForm(initial={"year": data["year"]}),
        "objective_form": forms.get("objective_form") or ObjectiveForm(),
        "action_form": forms.get("action_form")
        or ActionForm(owners=services.plan_action_owners(account=account)),
        "review_form": forms.get("review_form") or ReviewForm(initial={"reviewed_on": timezone.localdate()}),
        "status_choices": PlanAction.Status.choices,
    }


def _back(account) -> str:
    return reverse("accounts:detail", args=[account.pk]) + "#account-plan"


def _errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _respond(request, account, saved: str | None, **forms):
    if saved:
        messages.success(request, saved)
        return redirect(_back(account))
    return TemplateResponse(request, "account_plans/plan_page.html", plan_context(request, account, **forms))


@require_POST
@login_required
def plan_create(request, pk):
    account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            services.account_plan_create(actor=request.user, account_id=account.pk, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        else:
            return _respond(request, account, _("Plan started."))
    return _respond(request, account, None, plan_form=form)


def _plan(request, plan_id) -> AccountPlan:
    return get_object_or_404(
        AccountPlan.objects.visible_to(request.user).select_related("account"), pk=plan_id
    )


@require_POST
@login_required
def objective_add(request, plan_id):
    plan = _plan(request, plan_id)
    form = ObjectiveForm(request.POST)
    if form.is_valid():
        try:
            services.plan_objective_add(actor=request.user, plan_id=plan.pk, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        else:
            return _respond(request, plan.account, _("Objective added."))
    return _respond(request, plan.account, None, objective_form=form)


@require_POST
@login_required
def action_add(request, plan_id):
    plan = _plan(request, plan_id)
    form = ActionForm(request.POST, owners=services.plan_action_owners(account=plan.account))
    if form.is_valid():
        try:
            services.plan_action_add(actor=request.user, plan_id=plan.pk, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        else:
            return _respond(request, plan.account, _("Action added."))
    return _respond(request, plan.account, None, action_form=form)


@require_POST
@login_required
def action_status(request, action_id):
    try:
        action = PlanAction.objects.visible_to(request.user).select_related("plan__account").get(pk=action_id)
    except ObjectDoesNotExist as missing:
        raise Http404 from missing
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.plan_action_set_status(
            actor=request.user, action_id=action.pk, status=form.cleaned_data["status"]
        )
        messages.success(request, _("Action updated."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect(_back(action.plan.account))


@require_POST
@login_required
def review_record(request, plan_id):
    plan = _plan(request, plan_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.plan_review_record(actor=request.user, plan_id=plan.pk, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        else:
            return _respond(request, plan.account, _("Review recorded."))
    return _respond(request, plan.account, None, review_form=form)


@require_GET
@login_required
def summary(request):
    """For a director's scope (with the dashboard's filters): plans missing, actions overdue, objectives
    off track."""
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    accounts = dashboard_accounts(user=request.user, filters=filters)
    context = {
        "form": form,
        **selectors.plans_summary(user=request.user, accounts=accounts, period=filters.period),
    }
    return TemplateResponse(request, "account_plans/summary.html", context)
