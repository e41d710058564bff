"""The grade panel's forms: ratings and director overrides. htmx gets the refreshed panel, a plain
browser a redirect to the account page (or the panel page with the errors)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.models import Account

from . import selectors, services
from .forms import OverrideForm, RatingForm
from .models import AccountRating


def panel_context(request, account, *, rating_form=None, override_form=None) -> dict:
    """The grade panel's template context; used by the inclusion tag and by the views below."""
    panel = selectors.account_grade_panel(user=request.user, account=account)
    rating_forms = {
        kind: rating_form
        if rating_form is not None and rating_form.rating_kind == kind
        else RatingForm(kind=kind)
        for kind in AccountRating.Kind.values
    }
    return {
        "panel": panel,
        "account": account,
        "request": request,
        "relationship_form": rating_forms[AccountRating.Kind.RELATIONSHIP],
        "strategic_fit_form": rating_forms[AccountRating.Kind.STRATEGIC_FIT],
        "override_form": override_form or OverrideForm(),
    }


def _visible_account(request, pk) -> Account:
    return get_object_or_404(Account.objects.visible_to(request.user), pk=pk)


def _respond(request, account, **forms):
    """Render the panel: alone for htmx, inside a page for a plain browser (GET, or a form with errors)."""
    context = panel_context(request, account, **forms)
    template = "scoring/panel.html" if request.htmx else "scoring/account_grade.html"
    return TemplateResponse(request, template, context)


def _add_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def rating(request, pk):
    account = _visible_account(request, pk)
    if request.method == "GET":
        return _respond(request, account)
    form = RatingForm(request.POST, kind=request.POST.get("kind", AccountRating.Kind.RELATIONSHIP))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.account_rating_set(
                actor=request.user,
                account_id=account.pk,
                kind=data["kind"],
                value=data["value"],
                rated_on=data["rated_on"],
                note=data["note"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "%(rating)s rated %(value)s / 5. The score counts it from the next monthly "
                    "grading, on %(day)s."
                )
                % {
                    "rating": AccountRating.Kind(data["kind"]).label,
                    "value": data["value"],
                    "day": date_format(selectors.next_grading_on(timezone.localdate()), "Y-m-d"),
                },
                extra_tags="grade",
            )
            if request.htmx:
                return _respond(request, account)
            return redirect(reverse("accounts:detail", args=[account.pk]) + "#grade-panel")
    return _respond(request, account, rating_form=form)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def override(request, pk):
    account = _visible_account(request, pk)
    if request.method == "GET":
        return _respond(request, account)
    if "revoke" in request.POST:
        services.grade_override_revoke(actor=request.user, account_id=account.pk)
        messages.success(request, _("Override ended; the computed grade applies again."), extra_tags="grade")
        return _respond(request, account) if request.htmx else redirect("accounts:detail", account.pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.grade_override_set(actor=request.user, account_id=account.pk, **form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Grade overridden."), extra_tags="grade")
            return _respond(request, account) if request.htmx else redirect("accounts:detail", account.pk)
    return _respond(request, account, override_form=form)
