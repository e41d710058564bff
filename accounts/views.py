"""Account pages. Function views returning TemplateResponse; htmx requests get the named partial of
the same template, so every page also works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from kam import idempotency
from kam.conflicts import VERSION_FIELD, EditConflict
from kam.exports import Column, Table, export_filename, export_response, xlsx_response

from . import personal_data, selectors, services
from .forms import (
    AccountForm,
    ComplaintAssignForm,
    ComplaintForm,
    ComplaintTransitionForm,
    ContactForm,
    InteractionForm,
    SurveyForm,
)
from .models import Complaint, Contact
from .roles import is_account_manager, is_administrator, is_sales_director

PAGE_SIZE = 25
EXPORT_CHUNK = 2000


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
    figures = selectors.account_list_figures(account_ids=[account.pk for account in page.object_list])
    for account in page.object_list:
        account.figures = figures[account.pk]
    search = request.GET.get("q", "").strip()
    return TemplateResponse(
        request,
        template,
        {
            "filter": filterset,
            "page": page,
            "querystring": query.urlencode(),
            "search": search,
            "contact_hits": selectors.contact_hits(user=request.user, query=search),
            "today": timezone.localdate(),
        },
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
            Column(_("Grade"), lambda account: account.figures["grade"] or ""),
            Column(_("Revenue, 12 months"), lambda account: account.figures["revenue"], "money"),
            Column(_("Last visit"), lambda account: account.figures["last_visit_on"], "date"),
            Column(_("Next visit due"), lambda account: account.figures["revisit_due_on"], "date"),
            Column(_("Status"), lambda account: account.get_status_display()),
            Column(_("Region"), lambda account: account.region.name if account.region else ""),
            Column(_("Industry"), lambda account: account.get_industry_display()),
            Column(
                _("Account manager"),
                lambda account: account.owner.get_full_name() or account.owner.get_username(),
            ),
            Column(_("Updated"), "updated_at", "datetime"),
        ],
        selectors.with_list_figures(accounts.iterator(chunk_size=EXPORT_CHUNK), chunk=EXPORT_CHUNK),
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
        "now": timezone.now(),
        "can_edit": bool(services.account_editable_fields(actor=request.user, account=account)),
        "can_manage_personal_data": services.may_manage_personal_data(actor=request.user, account=account),
        "complaint_handlers": selectors.complaint_handlers(user=request.user, account=account),
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
                note=form.cleaned_data["note"],
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


# --- Editing the book: accounts, contacts, surveys ----------------------------------------------------


def _form_page(request, *, form, title, account=None, cancel_url, conflict=None, creating=False, status=200):
    context = {
        "form": form,
        "title": title,
        "account": account,
        "cancel_url": cancel_url,
        "conflict": conflict,
        "creating": creating,
    }
    return TemplateResponse(request, "accounts/form_page.html", context, status=status)


def _save_versioned(request, form, save):
    """Run the service; field errors land next to their field; a conflict keeps the user's input
    and lists both versions. Returns (saved record or None, conflict rows or None)."""
    try:
        return save(), None
    except EditConflict as conflict:
        return None, form.show_conflict(conflict)
    except ValidationError as error:
        _apply_service_errors(form, error)
        return None, None


def _claimed_create(request, *, form, save, success_url, success_message):
    """A create form's POST: once per one-time token (kam/idempotency.py)."""
    claim = idempotency.claim(request)
    if claim.replayed:
        messages.info(request, _("This was already saved."))
        return redirect(claim.result_url), None
    if form.is_valid():
        record, _conflict = _save_versioned(request, form, save)
        if record is not None:
            url = success_url(record)
            claim.complete(url)
            messages.success(request, success_message)
            return redirect(url), record
    claim.release()
    return None, None


@require_http_methods(["GET", "POST"])
@login_required
def account_create(request):
    if not services.account_editable_fields(actor=request.user):
        raise Http404
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST":
        response, _account = _claimed_create(
            request,
            form=form,
            save=lambda: services.account_create(actor=request.user, **form.service_fields()),
            success_url=lambda account: reverse("accounts:detail", args=[account.pk]),
            success_message=_("Account created."),
        )
        if response is not None:
            return response
    return _form_page(
        request, form=form, title=_("New account"), cancel_url=reverse("accounts:list"), creating=True
    )


@require_http_methods(["GET", "POST"])
@login_required
def account_edit(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    if not services.account_editable_fields(actor=request.user, account=account):
        raise Http404  # may see it, may not edit it: the page does not exist for them
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = _save_versioned(
            request,
            form,
            lambda: services.account_update(
                actor=request.user,
                account=account,
                expected_version=form.cleaned_data.get(VERSION_FIELD) or None,
                **form.service_fields(),
            ),
        )
        if saved is not None:
            messages.success(request, _("Account saved."))
            return redirect("accounts:detail", pk=account.pk)
    return _form_page(
        request,
        form=form,
        title=_("Edit account"),
        account=account,
        cancel_url=reverse("accounts:detail", args=[account.pk]),
        conflict=conflict,
    )


@require_http_methods(["GET", "POST"])
@login_required
def contact_create(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    form = ContactForm(request.POST or None, account=account)
    if request.method == "POST":
        response, _contact = _claimed_create(
            request,
            form=form,
            save=lambda: services.contact_create(
                actor=request.user, account=account, **form.service_fields()
            ),
            success_url=lambda contact: reverse("accounts:detail", args=[account.pk]) + "#contacts",
            success_message=_("Contact added."),
        )
        if response is not None:
            return response
    return _form_page(
        request,
        form=form,
        title=_("New contact"),
        account=account,
        cancel_url=reverse("accounts:detail", args=[account.pk]) + "#contacts",
        creating=True,
    )


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit(request, pk):
    contact = get_object_or_404(
        Contact.objects.visible_to(request.user).select_related("account"), pk=pk, erased_at__isnull=True
    )
    account = contact.account
    form = ContactForm(request.POST or None, instance=contact, account=account)
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = _save_versioned(
            request,
            form,
            lambda: services.contact_update(
                actor=request.user,
                contact=contact,
                expected_version=form.cleaned_data.get(VERSION_FIELD) or None,
                **form.service_fields(),
            ),
        )
        if saved is not None:
            messages.success(request, _("Contact saved."))
            return redirect(reverse("accounts:detail", args=[account.pk]) + "#contacts")
    return _form_page(
        request,
        form=form,
        title=_("Edit contact"),
        account=account,
        cancel_url=reverse("accounts:detail", args=[account.pk]) + "#contacts",
        conflict=conflict,
    )


@require_POST
@login_required
def contact_set_active(request, pk):
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    services.contact_set_active(actor=request.user, contact=contact, active=active)
    messages.success(request, _("Contact reactivated.") if active else _("Contact deactivated."))
    return redirect(reverse("accounts:detail", args=[contact.account_id]) + "#contacts")


@require_http_methods(["GET", "POST"])
@login_required
def survey_create(request, pk):
    account = selectors.account_get(user=request.user, pk=pk)
    form = SurveyForm(request.POST or None, account=account)
    back = request.GET.get("next") or ""
    back = back if url_has_allowed_host_and_scheme(back, allowed_hosts=None) and back.startswith("/") else ""
    if request.method == "POST":
        response, _survey = _claimed_create(
            request,
            form=form,
            save=lambda: services.survey_record(actor=request.user, account=account, **form.cleaned_data),
            success_url=lambda survey: back or reverse("accounts:detail", args=[account.pk]) + "#surveys",
            success_message=_("Survey result recorded."),
        )
        if response is not None:
            return response
    return _form_page(
        request,
        form=form,
        title=_("Record a survey result"),
        account=account,
        cancel_url=back or reverse("accounts:detail", args=[account.pk]) + "#surveys",
        creating=True,
    )


@require_POST
@login_required
def complaint_assign(request, pk):
    complaint = get_object_or_404(Complaint.objects.visible_to(request.user).select_related("account"), pk=pk)
    form = ComplaintAssignForm(request.POST, complaint=complaint, user=request.user)
    if form.is_valid():
        try:
            services.complaint_assign(
                actor=request.user, complaint=complaint, handler=form.cleaned_data["handler"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Handler assigned."))
    else:
        messages.error(request, _("Choose someone who works on this account."))
    return redirect(reverse("accounts:detail", args=[complaint.account_id]) + "#complaints")


@require_GET
@login_required
def account_orders(request, pk):
    """All of an account's orders, newest first, a page at a time (they come from the ERP: import,
    API or admin)."""
    account = selectors.account_get(user=request.user, pk=pk)
    paginator = Paginator(selectors.account_orders(account=account), selectors.ORDERS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return TemplateResponse(request, "accounts/account_orders.html", {"account": account, "page": page})


@require_GET
@login_required
def account_group(request, pk):
    """A parent account's group: its visible subsidiaries with their grade, 12-month revenue and gross
    profit, open complaints and alerts, and the group's totals."""
    account = selectors.account_get(user=request.user, pk=pk)
    group = selectors.account_group(user=request.user, account=account)
    return TemplateResponse(request, "accounts/account_group.html", {"account": account, **group})


@require_http_methods(["GET", "POST"])
@login_required
def contact_personal_data(request, pk):
    """PIPL: export (JSON or XLSX) or erase a contact's personal data, each confirmed by a POST.
    Administrators and the account's owner; anyone else who sees the contact gets 404."""
    contact = get_object_or_404(Contact.objects.visible_to(request.user).select_related("account"), pk=pk)
    account = contact.account
    if not services.may_manage_personal_data(actor=request.user, account=account):
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("export_json", "export_xlsx"):
            data = personal_data.contact_personal_data(actor=request.user, contact=contact)
            filename = export_filename("contact", str(contact.pk), "personal-data")
            if action == "export_json":
                response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
                response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
                return response
            tables = [
                Table(_("Contact"), [Column(_("Field"), "field"), Column(_("Value"), "value")],
                      [{"field": key, "value": value} for key, value in data["contact"].items()]),
                *(
                    Table(title, [Column(key, key) for key in (rows[0] if rows else {"none": None})], rows)
                    for title, rows in (
                        (_("History"), data["history"]),
                        (_("Interactions"), data["interactions"]),
                        (_("Complaints"), data["complaints"]),
                        (_("Surveys"), data["surveys"]),
                    )
                ),
            ]  # fmt: skip
            return xlsx_response(tables, filename=filename)
        if action == "erase" and request.POST.get("confirm") == "erase":
            personal_data.contact_erase(actor=request.user, contact=contact)
            messages.success(request, _("The contact's personal data was erased."))
            return redirect(reverse("accounts:detail", args=[account.pk]) + "#contacts")
        messages.error(request, _("Tick the box to confirm the erasure."))
    return TemplateResponse(
        request, "accounts/contact_personal_data.html", {"contact": contact, "account": account}
    )
