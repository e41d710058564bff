"""My day, alerts and compliance pages. Function views returning TemplateResponse; htmx requests get
the named partial of the same template, so every page also works without JavaScript."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Account
from accounts.selectors import account_owner_choices
from kam.periods import current_period, parse_period

from . import selectors, services
from .models import Alert

PAGE_SIZE = 25


@require_GET
@login_required
def my_day(request):
    # No write here: alerts follow every write (services.alerts_follow) and the daily run.
    context = selectors.my_day(user=request.user)
    context["alert_groups"] = selectors.alert_groups(user=request.user, alerts=context["alerts"])
    return TemplateResponse(request, "service_tiers/my_day.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def alert_list(request):
    status = request.GET.get("status", Alert.Status.OPEN)
    if status not in Alert.Status.values:
        status = Alert.Status.OPEN
    rule = request.GET.get("rule", "")
    rule = rule if rule in Alert.Rule.values else ""
    managers = account_owner_choices(user=request.user)
    responsible = (
        managers.filter(pk=request.GET.get("manager")).first()
        if request.GET.get("manager", "").isdigit()
        else None
    )
    alerts = selectors.alert_list(user=request.user, status=status, rule=rule, responsible=responsible)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "service_tiers/alert_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Alert.Status,
            "rules": Alert.Rule.choices,
            "rule": rule,
            "managers": managers,
            "responsible": responsible,
            "querystring": query.urlencode(),
        },
    )


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def alert_read(request, pk):
    alert = services.alert_mark_read(actor=request.user, alert_id=pk)
    if request.htmx:
        alert = (
            selectors.alerts_for(user=request.user, status=alert.status)
            .select_related("account")
            .get(pk=alert.pk)
        )
        return TemplateResponse(
            request,
            "service_tiers/_alert.html",
            {
                "alert": alert,
                "unread_alert_count": selectors.unread_alert_count(user=request.user),
                "oob": True,
            },
        )
    return _back(request, "service_tiers:alert_list")


@require_POST
@login_required
def alert_read_all(request):
    services.alert_mark_all_read(actor=request.user)
    return _back(request, "service_tiers:alert_list")


@require_GET
@login_required
def compliance(request):
    month, month_error = current_period(), None
    if request.GET.get("month"):
        try:
            month = parse_period(request.GET["month"])
        except ValidationError as error:
            month_error = error.messages[0]
    rows = selectors.service_compliance(accounts=Account.objects.visible_to(request.user), month=month)
    return TemplateResponse(
        request, "service_tiers/compliance.html", {"rows": rows, "month": month, "month_error": month_error}
    )
