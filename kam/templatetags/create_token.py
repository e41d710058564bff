from django import template
from django.utils.html import format_html

from kam.idempotency import FIELD_NAME, new_token

register = template.Library()


@register.simple_tag(takes_context=True)
def create_token(context, form=None):
    """The hidden one-time token of a create form. A form shown again with its errors (bound) keeps
    the token it was posted with, so correcting and resubmitting still saves once; a fresh form gets
    a new one."""
    request = context.get("request")
    posted = (
        request.POST.get(FIELD_NAME) if form is not None and form.is_bound and request is not None else None
    )
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD_NAME, posted or new_token())
