from django import template
from django.utils.translation import gettext as _

from accounts.pinyin import is_pinyin_query, pinyin_query
from accounts.validators import normalise_credit_code

register = template.Library()


@register.filter
def matched_on(account, query: str) -> str:
    """Where a search hit was found, in words: the list says why each account is there."""
    query = (query or "").strip()
    if not query:
        return ""
    folded = query.casefold()
    if folded in account.name.casefold():
        return ""  # the name itself shows the hit
    if account.short_name and folded in account.short_name.casefold():
        return _("found in the short name")
    if account.credit_code and account.credit_code.startswith(normalise_credit_code(query)):
        return _("found by credit code")
    if is_pinyin_query(query):
        return _("found by pinyin “%(query)s”") % {"query": pinyin_query(query)}
    return ""
