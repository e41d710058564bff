"""The directors' dashboard, its drill-down lists, exports and KPI targets.

Function views returning TemplateResponse; filters live in the query string (a GET form), so a view can
be bookmarked and shared, and htmx swaps the figures in place while a plain link works the same.
Every figure goes through ``selectors.dashboard_accounts``, i.e. the visibility rule.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.roles import is_administrator, is_sales_director
from accounts.selectors import account_owners
from kam.exports import export_filename, export_response
from kam.replica import replica_reads

from . import cube, exports, selectors, services
from .forms import CellForm, DashboardFilterForm, KpiTargetForm
from .models import KpiTarget

DRILLDOWN_PAGE_SIZE = 50


def _scope(request):
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    accounts = selectors.dashboard_accounts(user=request.user, filters=filters)
    return form, filters, accounts


def _querystring(request, *drop) -> str:
    query = request.GET.copy()
    for name in ("page", *drop):
        query.pop(name, None)
    return query.urlencode()


# Sections computed after the page has loaded (htmx, or a plain link without JavaScript): each walks
# live data of the month (complaints, visits, unpaid invoices) that no aggregate table can hold.
LAZY_SECTIONS = ("kpis", "risks", "compliance")


def _lazy_section(request, section, accounts, filters):
    if section == "risks":
        return selectors.risk_list(accounts=accounts, filters=filters)
    if section == "kpis":
        return selectors.manager_kpis(accounts=accounts, filters=filters)
    return selectors.service_compliance(accounts=accounts, filters=filters)


@require_GET
@login_required
@vary_on_headers("HX-Request")
@replica_reads
def dashboard(request):
    form, filters, accounts = _scope(request)
    section = request.GET.get("section")
    if section in LAZY_SECTIONS and request.htmx:
        context = {
            "filters": filters,
            "querystring": _querystring(request, "section"),
            "section_querystring": _querystring(request, "section"),
            section: _lazy_section(request, section, accounts, filters),
            "can_set_targets": is_sales_director(request.user) or is_administrator(request.user),
        }
        return TemplateResponse(request, f"segmentation/dashboard.html#{section}", context)
    cells = selectors.aggregate_cells(accounts=accounts, filters=filters)
    monthly = selectors.revenue_trend(accounts=accounts, filters=filters, cells=cells)
    context = {
        "form": form,
        "filters": filters,
        "querystring": _querystring(request, "section"),
        "filter_querystring": _querystring(request, "from_grade", "to_grade", "section"),
        "distribution": selectors.grade_distribution(accounts=accounts, filters=filters, cells=cells),
        "migration": selectors.grade_migration(accounts=accounts, filters=filters, cells=cells),
        "by_dimension": [
            selectors.revenue_by_dimension(
                accounts=accounts, filters=filters, dimension=dimension, cells=cells
            )
            for dimension in selectors.DIMENSIONS
        ],
        "grade_trend": selectors.grade_trend(accounts=accounts, filters=filters, cells=cells),
        "from_aggregates": cells is not None,
        # The cube answers as of its build; the page says so (what it does not cover is computed live).
        "aggregates_built_at": cube.built_at() if cells is not None else None,
        "monthly": monthly,
        "quarterly": selectors.quarterly_revenue(monthly),
        "risks": _lazy_section(request, "risks", accounts, filters) if section == "risks" else "later",
        "kpis": _lazy_section(request, "kpis", accounts, filters) if section == "kpis" else "later",
        "section_querystring": _querystring(request, "section"),
        "compliance": (
            _lazy_section(request, "compliance", accounts, filters) if section == "compliance" else "later"
        ),
        "can_set_targets": is_sales_director(request.user) or is_administrator(request.user),
    }
    context["charts"] = exports.chart_data(context)
    template = "segmentation/dashboard.html"
    if request.htmx and request.htmx.target == "dashboard-figures":
        template += "#figures"
    return TemplateResponse(request, template, context)


def _drilldown(request, filters, accounts):
    cell = CellForm(request.GET)
    cell.is_valid()
    from_grade = cell.cleaned_data.get("from_grade", "") if not cell.errors.get("from_grade") else ""
    to_grade = cell.cleaned_data.get("to_grade", "") if not cell.errors.get("to_grade") else ""
    pairs = selectors.pairs_answer(filters)
    listed = selectors.migration_accounts(
        accounts=accounts, filters=filters, from_grade=from_grade, to_grade=to_grade, pairs=pairs
    )
    return from_grade, to_grade, listed, pairs


class _Counted:
    """A list whose length is already known (the summary counted it): the paginator does not count it
    again, and slices it for the page."""

    def __init__(self, queryset, count: int):
        self.queryset, self.total = queryset, count

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        return self.queryset[key]


@require_GET
@login_required
@vary_on_headers("HX-Request")
@replica_reads
def drilldown(request):
    """The accounts behind a figure: a migration cell (from → to), a grade, or a dimension row."""
    form, filters, accounts = _scope(request)
    from_grade, to_grade, listed, pairs = _drilldown(request, filters, accounts)
    summary = selectors.migration_accounts_summary(accounts=listed, pairs=pairs)
    page = Paginator(_Counted(listed, summary["accounts"]), DRILLDOWN_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "filters": filters,
        "from_grade": from_grade,
        "to_grade": to_grade,
        "page": page,
        "summary": summary,
        "querystring": _querystring(request),
        "dashboard_querystring": _querystring(request, "from_grade", "to_grade"),
    }
    return TemplateResponse(request, "segmentation/drilldown.html", context)


@require_GET
@login_required
@replica_reads
def export(request, table, export_format):
    """Any dashboard table or drill-down list as CSV or XLSX, with the filters of the page applied."""
    if table not in exports.TABLES or export_format not in ("csv", "xlsx"):
        raise Http404
    _form, filters, accounts = _scope(request)
    if table == "accounts":
        from_grade, to_grade, listed, _pairs = _drilldown(request, filters, accounts)
        data = exports.drilldown_table(listed, filters=filters, from_grade=from_grade, to_grade=to_grade)
    else:
        data = exports.TABLES[table](user=request.user, accounts=accounts, filters=filters)
    return export_response(
        data,
        export_format=export_format,
        filename=export_filename("dashboard", table, f"{filters.period:%Y-%m}"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def targets(request):
    """KPI targets: a sales director sets monthly targets for the managers they can see; a manager
    sees their own."""
    can_set = is_sales_director(request.user) or is_administrator(request.user)
    managers = account_owners(user=request.user)
    form = KpiTargetForm(request.POST or None, managers=managers)
    if request.method == "POST":
        if not can_set:
            raise Http404
        if form.is_valid():
            try:
                services.kpi_target_set(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Target saved."))
                return redirect("segmentation:targets")
    visible_targets = (
        KpiTarget.objects.filter(manager__in=managers.values("pk"))
        .select_related("manager", "set_by")
        .order_by("manager__username", "metric", "-valid_from")
    )
    if not can_set:
        visible_targets = visible_targets.filter(manager=request.user)
    return TemplateResponse(
        request,
        "segmentation/targets.html",
        {"form": form if can_set else None, "targets": visible_targets},
    )
