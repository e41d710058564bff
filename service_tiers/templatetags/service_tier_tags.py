from django import template

from service_tiers.selectors import account_service_plan

register = template.Library()


@register.inclusion_tag("service_tiers/_account_plan.html", name="account_service_plan")
def account_service_plan_panel(account):
    """The service plan panel of the account page (the view has already checked visibility)."""
    return account_service_plan(account=account)


@register.filter
def tier_short(key: str) -> str:
    """A, B or C as they are; the blacklist tier by its (translated) name."""
    from service_tiers.models import TierKey

    return str(TierKey.BLACKLIST.label) if key == TierKey.BLACKLIST else key
