"""Months given by users (kam/periods.py): one parser and one window for the dashboard, its sections and
exports, the compliance page and KPI targets. Out of range is a message, never a 500."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kam.periods import EARLIEST_PERIOD, PLANNING_MONTHS, current_period, months_after, parse_period
from segmentation.models import KpiTarget

EDGE_MONTHS = ["0001-01", "9999-12", "1999-12", "2026-13"]
DASHBOARD_URLS = {
    "dashboard": lambda: reverse("segmentation:dashboard"),
    "section-kpis": lambda: reverse("segmentation:dashboard") + "?section=kpis",
    "section-risks": lambda: reverse("segmentation:dashboard") + "?section=risks",
    "section-compliance": lambda: reverse("segmentation:dashboard") + "?section=compliance",
    "drilldown": lambda: reverse("segmentation:accounts") + "?to_grade=A",
    "export-csv": lambda: reverse("segmentation:export", args=["accounts", "csv"]),
    "export-xlsx": lambda: reverse("segmentation:export", args=["distribution", "xlsx"]),
}


def _with(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.mark.parametrize("page", sorted(DASHBOARD_URLS))
def test_the_dashboard_and_its_sections_and_exports_never_fail_on_a_month(client, world, page):
    client.force_login(world.director)
    for parameter in ("period", "compare"):
        for month in EDGE_MONTHS:
            response = client.get(
                _with(DASHBOARD_URLS[page](), f"{parameter}={month}"), HTTP_HX_REQUEST="true"
            )
            assert response.status_code == 200, (parameter, month)


def test_the_compliance_page_never_fails_on_a_month(client, world):
    client.force_login(world.director)
    for month in EDGE_MONTHS:
        response = client.get(reverse("service_tiers:compliance"), {"month": month})
        assert response.status_code == 200, month
        assert f'value="{current_period():%Y-%m}"' in response.text
        assert 'class="kam-error"' in response.text


def test_the_dashboard_refuses_a_future_period_with_a_message(client, world):
    next_month = months_after(current_period(), 1)
    client.force_login(world.director)
    response = client.get(reverse("segmentation:dashboard"), {"period": f"{next_month:%Y-%m}"})
    assert response.status_code == 200
    assert f"{next_month:%Y-%m} has not begun yet" in response.text
    assert response.context["filters"].period <= current_period()


def test_the_dashboard_takes_this_month(client, world):
    client.force_login(world.director)
    response = client.get(reverse("segmentation:dashboard"), {"period": f"{current_period():%Y-%m}"})
    assert response.context["filters"].period == current_period()
    assert "has not begun yet" not in response.text


def test_a_kpi_target_far_in_the_future_is_refused_with_a_message(client, world):
    client.force_login(world.director)
    response = client.post(
        reverse("segmentation:targets"),
        {"manager": world.manager.pk, "metric": "visits", "monthly_target": 4, "valid_from": "9999-12"},
    )
    assert response.status_code == 200
    assert "valid_from" in response.context["form"].errors
    assert not KpiTarget.objects.exists()


def test_a_kpi_target_may_be_planned_ahead(client, world):
    client.force_login(world.director)
    ahead = months_after(current_period(), PLANNING_MONTHS)
    response = client.post(
        reverse("segmentation:targets"),
        {
            "manager": world.manager.pk,
            "metric": "visits",
            "monthly_target": 4,
            "valid_from": f"{ahead:%Y-%m}",
        },
    )
    assert response.status_code == 302
    assert KpiTarget.objects.get().valid_from == ahead


def test_the_parser_and_its_window():
    assert parse_period("2024-03") == datetime.date(2024, 3, 1)
    assert parse_period("2024-03-17") == datetime.date(2024, 3, 1)
    assert parse_period(f"{EARLIEST_PERIOD:%Y-%m}") == EARLIEST_PERIOD
    for value, code in [
        ("1999-12", "too_early"),
        (f"{months_after(current_period(), 1):%Y-%m}", "future"),
        ("9999-12", "future"),
        ("2024-13", "invalid"),
        ("", "invalid"),
    ]:
        with pytest.raises(ValidationError) as error:
            parse_period(value)
        assert error.value.code == code, value
    with pytest.raises(ValidationError) as error:
        parse_period("9999-12", future_months=PLANNING_MONTHS)
    assert error.value.code == "too_late"
