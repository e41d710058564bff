from django import template

from segmentation.forms import SavedSegmentForm
from segmentation.views import account_segments_context

register = template.Library()


@register.inclusion_tag("segmentation/_account_segments.html", takes_context=True)
def account_segments_panel(context, account):
    """The account page's segments panel: value and behaviour segment of the latest month, needs."""
    return {**account_segments_context(context["request"], account), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("segmentation/_save_segment.html", takes_context=True)
def save_segment_form(context):
    """On the account list: save its current filters (the page's query string) as a named segment."""
    request = context["request"]
    return {
        "form": SavedSegmentForm(user=request.user),
        "querystring": context.get("querystring", ""),
        "csrf_token": context.get("csrf_token"),
    }
