"""Number formats for the dashboard: money to the cent with thousands separators, percentages."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from accounts.roles import is_account_manager, is_administrator, is_sales_director

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def pct(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):.2f} %"


@register.filter
def signed(value) -> str:
    """+3 / −2 / ±0 for changes."""
    if value is None or value == "":
        return "—"
    text = f"{abs(value):,.2f}" if isinstance(value, Decimal) else f"{abs(value):,}"
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"−{text}"
    return f"±{text}"


@register.filter
def grade_label(value) -> str:
    return value if value in ("A", "B", "C") else _("Not graded")


@register.filter
def manager_name(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@register.filter
def can_see_dashboard(user) -> bool:
    """Everyone with a role gets the dashboard in the navigation: directors and administrators see their
    regions and teams, an account manager their own book and KPIs (the visibility rule decides)."""
    return bool(
        user.is_authenticated
        and (is_sales_director(user) or is_administrator(user) or is_account_manager(user))
    )
