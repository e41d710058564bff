"""One FilterSet for the account list page and the API."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kam.visibility import VisibleFilterSet, VisibleModelChoiceFilter

from .models import Account, Region
from .search import account_search

SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}


def _owner_choices(user):
    # The managers of the visible accounts, from the per-owner counts the list page has at hand.
    from .selectors import account_owner_choices

    return account_owner_choices(user=user)


class AccountFilter(VisibleFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Account.Status.choices, label=_("Status"))
    region = VisibleModelChoiceFilter(queryset=Region.objects.all(), label=_("Region"))
    industry = django_filters.ChoiceFilter(choices=Account.Industry.choices, label=_("Industry"))
    owner = VisibleModelChoiceFilter(
        queryset=get_user_model().objects.all(), visible=_owner_choices, label=_("Account manager")
    )
    sort = django_filters.ChoiceFilter(
        method="sort_by",
        label=_("Sort"),
        choices=[
            ("name", _("Name A–Z")),
            ("-name", _("Name Z–A")),
            ("-updated", _("Recently updated")),
            ("updated", _("Least recently updated")),
        ],
        empty_label=None,
    )

    class Meta:
        model = Account
        fields = ["q", "status", "region", "industry", "owner", "sort"]

    def search(self, queryset, name, value):
        return account_search(queryset, value)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["name"]))
