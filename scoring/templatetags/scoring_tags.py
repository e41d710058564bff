from django import template

from scoring.views import panel_context

register = template.Library()


@register.inclusion_tag("scoring/panel.html", takes_context=True)
def account_grade_panel(context, account):
    """The account page's grade panel: grade, breakdown, 12-month history, rating and override forms."""
    request = context["request"]
    return {
        **panel_context(request, account),
        "csrf_token": context.get("csrf_token"),
        "messages": context.get("messages"),
    }


@register.filter
def grade_class(grade):
    return f"kam-grade kam-grade-{grade or 'none'}"


@register.inclusion_tag("scoring/_outlook.html", takes_context=True)
def account_grade_outlook(context, account):
    """What it would take to reach the next grade, and the margin before the grade below."""
    from scoring.outlook import grade_outlook
    from scoring.selectors import latest_snapshot
    from scoring.services import active_scoring_model

    outlook = grade_outlook(snapshot=latest_snapshot(account=account), scoring_model=active_scoring_model())
    return {"outlook": outlook, "request": context["request"]}
