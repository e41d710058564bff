from django import template

from account_plans.views import plan_context

register = template.Library()


@register.inclusion_tag("account_plans/_panel.html", takes_context=True)
def account_plan_panel(context, account):
    """The account page's plan section: objectives with progress, actions, quarterly reviews."""
    return {**plan_context(context["request"], account), "csrf_token": context.get("csrf_token")}
