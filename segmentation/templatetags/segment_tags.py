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


@register.inclusion_tag("segmentation/_dashboard_segments.html", takes_context=True)
def dashboard_segments(context):
    """On the dashboard: the user's saved segments with how many visible accounts each holds, and the
    way to the segments × grades cross table."""
    from segmentation import selectors

    request = context["request"]
    segments = list(selectors.saved_segments_for(user=request.user)[: selectors.DASHBOARD_SAVED_SEGMENTS])
    counts = selectors.saved_segment_counts(user=request.user, segments=segments)
    return {
        "saved": [{"segment": segment, "accounts": counts[segment.pk]} for segment in segments],
        "querystring": context.get("querystring", ""),
    }
