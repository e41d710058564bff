"""Account pages. Function views returning TemplateResponse; htmx requests get the named partial of
the same template, so every page also works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from kam import idempotency
from kam.exports import Column, Table, export_filename, export_response

from . import selectors, services
from .forms import ComplaintForm, ComplaintTransitionForm, InteractionForm
from .models import Complaint
from .roles import is_account_manager, is_administrator, is_sales_director

PAGE_SIZE = 25


@login_required
def home(request):
    # An account manager starts the day with what is due; directors and admins with the dashboard.
    user = request.user
    if is_account_manager(user) and not (is_sales_director(user) or is_administrator(user)):
        return redirect("service_tiers:my_day")
    if is_sales_director(user) or is_administrator(user):
        return redirect("segmentation:dashboard")
    return redirect("accounts:list")


@require_GET
@login_required
@vary_on_headers("HX-Request")
def account_list(request):
    filterset, accounts = selectors.account_list(user=request.user, data=request.GET)
    page = selectors.account_list_page(
        user=request.user,
        filterset=filterset,
        accounts=accounts,
        number=request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    template = "accounts/account_list.html"
    if request.htmx and request.htmx.target == "account-results":
        template += "#results"
    return TemplateResponse(
        request, template, {"filter": filterset, "page": page, "querystring": query.urlencode()}
    )


@require_GET
@login_required
def account_list_export(request, export_format):
    """The account list with the current filters, as CSV or XLSX (visibility applied by the selector)."""
    _filterset, accounts = selectors.account_list(user=request.user, data=request.GET)
    table = Table(
        _("Accounts"),
        [
            Column(_("Account"), "name"),
            Column(_("Short name"), "short_name"),
            Column(_("Credit code"), "credit_code"),
            Column(_("Status"), lambda account: account.get_status_display()),
            Column(_("Region"), lambda account: account.region.name if account.region else ""),
            Column(_("Industry"), lambda account: account.get_industry_display()),
            Column(
                _("Account manager"),
                lambda account: account.owner.get_full_name() or account.owner.get_username(),
            ),
            Column(_("Updated"), "updated_at", "datetime"),
        ],
        accounts.iterator(chunk_size=2000),
    )
    return export_response(table, export_format=export_format, filename=export_filename("accounts"))


# The field a form opened from a link ("Log visit" on My day) is ready to type into.
FIRST_FIELD_TO_TYPE = {
    "activity": ("interaction_form", "summary"),
    "complaints": ("complaint_form", "description"),
}


def _account_page_context(request, account, *, interaction_form=None, complaint_form=None, open_panel=None):
    forms = {
        "interaction_form": interaction_form or InteractionForm(account=account),
        "complaint_form": complaint_form or ComplaintForm(account=account),
    }
    if open_panel in FIRST_FIELD_TO_TYPE:
        form_name, field_name = FIRST_FIELD_TO_TYPE[open_panel]
        if not forms[form_name].is_bound:
            forms[form_name].fields[field_name].widget.attrs["autofocus"] = True
    for form in forms.values():
        # A form sent back with errors puts the cursor in its first wrong field (with or without htmx).
        first_invalid = next((name for name in form.fields if name in form.errors), None)
        if first_invalid is not None:
            form.fields[first_invalid].widget.attrs["autofocus"] = True
    return {
        "account": account,
        "open_panel": open_panel,
        **selectors.account_page(user=request.user, account=account),
        **forms,
        "transition_form": ComplaintTransitionForm(),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def account_history(request, pk):
    """The History tab: every recorded change to the account and what belongs to it. Visible to
    exactly those who may see the account (``account_get`` applies the visibility rule)."""
    from audit.selectors import account_history as history_of

    account = selectors.account_get(user=request.user, pk=pk)
    template = "audit/account_history.html" + ("#history" if request.htmx else "")
    return TemplateResponse(request, template, {"account": account, "history": history_of(account=account)})


@require_GET
@login_required
def account_detail(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    return TemplateResponse(request, "accounts/account_detail.html", _account_page_context(request, account))


def _apply_service_errors(form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


def _account_section(request, account, partial, **forms):
    """htmx gets the refreshed section, a plain browser the whole page (with the form open on GET)."""
    template = "accounts/account_detail.html"
    if request.htmx:
        template += f"#{partial}"
    if request.method == "GET":
        forms["open_panel"] = partial
    return TemplateResponse(request, template, _account_page_context(request, account, **forms))


def _inline_create(request, pk, *, form_class, form_name, partial, service, success_message):
    """GET opens the form on the account page; POST binds it and hands the cleaned fields to the
    service (whose keyword arguments they are). Errors from either land next to their field; on
    success htmx gets the refreshed section and a plain browser a redirect to it."""
    account = selectors.account_get(user=request.user, pk=pk)
    if request.method == "GET":
        return _account_section(request, account, partial)
    section_url = reverse("accounts:detail", args=[account.pk]) + f"#{partial}"
    claim = idempotency.claim(request)
    if claim.replayed:
        # The same form was sent twice (a double tap, a retry): it saved once; show what it saved.
        messages.info(request, _("This was already saved."), extra_tags=partial)
        return redirect(claim.result_url) if not request.htmx else _account_section(request, account, partial)
    form = form_class(request.POST, account=account)
    if form.is_valid():
        try:
            service(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            claim.complete(section_url)
            # Tagged with its section, so the message shows where the user is looking (the section).
            messages.success(request, success_message, extra_tags=partial)
            if not request.htmx:
                return redirect(section_url)
            return _account_section(request, account, partial)
    claim.release()
    return _account_section(request, account, partial, **{form_name: form})


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def interaction_create(request, pk):
    return _inline_create(
        request,
        pk,
        form_class=InteractionForm,
        form_name="interaction_form",
        partial="activity",
        service=services.interaction_log,
        success_message=_("Interaction logged."),
    )


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def complaint_create(request, pk):
    return _inline_create(
        request,
        pk,
        form_class=ComplaintForm,
        form_name="complaint_form",
        partial="complaints",
        service=services.complaint_open,
        success_message=_("Complaint opened."),
    )


@require_POST
@login_required
@vary_on_headers("HX-Request")
def complaint_transition(request, pk):
    complaint = get_object_or_404(Complaint.objects.visible_to(request.user).select_related("account"), pk=pk)
    form = ComplaintTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_transition(
                actor=request.user,
                complaint=complaint,
                to_status=form.cleaned_data["status"],
                resolution=form.cleaned_data["resolution"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message, extra_tags="complaints")
        else:
            messages.success(request, _("Complaint updated."), extra_tags="complaints")
    else:
        messages.error(request, _("Choose a valid status."), extra_tags="complaints")
    if not request.htmx:
        return redirect(reverse("accounts:detail", args=[complaint.account_id]) + "#complaints")
    account = selectors.account_get(user=request.user, pk=complaint.account_id)
    return _account_section(request, account, "complaints")
