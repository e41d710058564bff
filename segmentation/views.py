"""The directors' dashboard, its drill-down lists, exports and KPI targets.

Function views returning TemplateResponse; filters live in the query string (a GET form), so a view can
be bookmarked and shared, and htmx swaps the figures in place while a plain link works the same.
Every figure goes through ``selectors.dashboard_accounts``, i.e. the visibility rule.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Account
from accounts.roles import is_administrator, is_sales_director
from accounts.selectors import account_owners
from kam.exports import Column, Table, export_filename, export_response
from kam.replica import replica_reads

from . import cube, exports, selectors, services
from .forms import CellForm, CrossForm, DashboardFilterForm, KpiTargetForm, SavedSegmentForm
from .models import AccountSegment, KpiTarget

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


# --- The account page's segments panel ----------------------------------------------------------------


def account_segments_context(request, account, *, needs_errors=()) -> dict:
    return {
        **selectors.account_segments(account=account),
        "cross_sell": selectors.account_cross_sell(account=account),
        "account": account,
        "request": request,
        "needs_errors": list(needs_errors),
    }


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def account_needs(request, pk):
    """Tick the needs of an account: htmx gets the refreshed panel, a plain browser the account page."""
    account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
    errors = []
    if request.method == "POST":
        try:
            services.account_needs_set(
                actor=request.user, account_id=account.pk, tag_ids=request.POST.getlist("tags")
            )
        except (ValidationError, ValueError) as error:
            errors = getattr(error, "messages", [_("Choose needs from the list.")])
        else:
            messages.success(request, _("Needs saved."))
            if not request.htmx:
                return redirect(reverse("accounts:detail", args=[account.pk]) + "#segments-panel")
    template = "segmentation/_account_segments.html" if request.htmx else "segmentation/account_segments.html"
    return TemplateResponse(
        request, template, account_segments_context(request, account, needs_errors=errors)
    )


# --- Saved segments -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def saved_segments(request):
    """The saved segments the user may open, with how many of their accounts each holds; POST saves the
    account list's current filters under a name."""
    form = SavedSegmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            segment = services.saved_segment_create(
                actor=request.user,
                name=data["name"],
                query=QueryDict(data["query"]),
                sharing=data["sharing"],
                team=data["team"],
                region=data["region"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect("segmentation:saved_segments")
    segments = list(selectors.saved_segments_for(user=request.user))
    counts = selectors.saved_segment_counts(user=request.user, segments=segments)
    rows = [
        {
            "segment": segment,
            "accounts": counts[segment.pk],
            "querystring": selectors.saved_segment_querystring(segment),
            "can_delete": segment.owner_id == request.user.pk or is_administrator(request.user),
        }
        for segment in segments
    ]
    return TemplateResponse(request, "segmentation/saved_segments.html", {"rows": rows, "form": form})


@require_GET
@login_required
def saved_segment_open(request, pk):
    """A saved segment opens as the account list (or its export) with the saved filters."""
    segment = selectors.saved_segment_get(user=request.user, pk=pk)
    export_format = request.GET.get("export")
    query = selectors.saved_segment_querystring(segment)
    if export_format in ("csv", "xlsx"):
        return redirect(reverse("accounts:list_export", args=[export_format]) + f"?{query}")
    return redirect(reverse("accounts:list") + f"?{query}")


@require_POST
@login_required
def saved_segment_delete(request, pk):
    segment = selectors.saved_segment_get(user=request.user, pk=pk)
    try:
        services.saved_segment_delete(actor=request.user, segment=segment)
    except PermissionDenied:
        messages.error(request, _("Only the person who saved a segment can delete it."))
    else:
        messages.success(request, _("Segment deleted."))
    return redirect("segmentation:saved_segments")


# --- Classification × grading × segments ----------------------------------------------------------------


@require_GET
@login_required
def cross(request):
    """Two dimensions against each other (grade × value segment, behaviour × region…) with counts and
    revenue, for the dashboard's scope and filters; each cell drills down to the account list."""
    form, filters, accounts = _scope(request)
    cross_form = CrossForm(request.GET or None)
    rows, columns = cross_form.dimensions()
    table = selectors.segment_cross(accounts=accounts, filters=filters, rows=rows, columns=columns)
    # The account list filters by the latest month; a drill-down from an older month would mislead.
    latest_segments = AccountSegment.objects.order_by("-period").values_list("period", flat=True).first()
    drill = filters.period == selectors.latest_period() and latest_segments in (None, filters.period)
    scope = {
        name: value
        for name, value in (
            ("region", filters.region.pk if filters.region else ""),
            ("industry", filters.industry),
            ("owner", filters.owner.pk if filters.owner else ""),
        )
        if value
    }
    context = {
        "form": form,
        "cross_form": cross_form,
        "filters": filters,
        "table": table,
        "rows_label": selectors.CROSS_DIMENSIONS[rows].label,
        "columns_label": selectors.CROSS_DIMENSIONS[columns].label,
        "drill": drill,
        "scope_querystring": _encode(scope) if scope else "",
        "team_filtered": filters.team is not None,
    }
    return TemplateResponse(request, "segmentation/cross.html", context)


def _encode(values: dict) -> str:
    query = QueryDict(mutable=True)
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


# --- Cross-sell -------------------------------------------------------------------------------------------

CROSS_SELL_PAGE_SIZE = 50


def cross_sell_table(suggestions) -> Table:
    return Table(
        _("Cross-sell"),
        [
            Column(_("Account"), lambda row: row.account.name),
            Column(
                _("Account manager"),
                lambda row: row.account.owner.get_full_name() or row.account.owner.get_username(),
            ),
            Column(_("Industry"), lambda row: row.account.get_industry_display()),
            Column(_("Product line"), "product_line"),
            Column(_("Similar accounts buying it"), "peers_buying", "integer"),
            Column(_("Similar accounts"), "peers", "integer"),
            Column(_("Lift"), "lift"),
        ],
        suggestions.iterator(chunk_size=2000),
    )


@require_GET
@login_required
def cross_sell(request):
    """Cross-sell suggestions for every account in the user's scope (a manager's book, a director's
    regions and teams), with the dashboard's filters; exportable."""
    form, filters, accounts = _scope(request)
    suggestions = selectors.cross_sell_list(accounts=accounts)
    export_format = request.GET.get("export")
    if export_format in ("csv", "xlsx"):
        return export_response(
            cross_sell_table(suggestions), export_format=export_format, filename=export_filename("cross-sell")
        )
    page = Paginator(suggestions, CROSS_SELL_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "refreshed": selectors.cross_sell_refreshed(),
        "querystring": _querystring(request, "export"),
    }
    return TemplateResponse(request, "segmentation/cross_sell.html", context)


# --- The accounts closest to moving up or down --------------------------------------------------------


@require_GET
@login_required
def grade_movers(request):
    """For the dashboard's scope and month: the accounts fewest points short of the next grade and those
    closest to falling (``?grade=A``: the A accounts at risk of falling)."""
    from scoring.outlook import grade_movers as movers
    from scoring.services import active_scoring_model

    form, filters, accounts = _scope(request)
    found = movers(
        accounts=accounts, period=filters.period, scoring_model=active_scoring_model(), grade=filters.grade
    )
    lists = [
        (_("Closest to the next grade (points short)"), found["up"], "movers-up"),
        (_("Closest to falling (points of margin)"), found["down"], "movers-down"),
    ]
    return TemplateResponse(
        request, "segmentation/grade_movers.html", {"form": form, "filters": filters, "lists": lists}
    )
