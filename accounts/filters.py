"""One FilterSet for the account list page and the API."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Account, Region
from .search import account_search

SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Account.Status.choices, label=_("Status"))
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label=_("Region"))
    industry = django_filters.ChoiceFilter(choices=Account.Industry.choices, label=_("Industry"))
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(), label=_("Account manager")
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

    def __init__(self, data=None, queryset=None, *, request=None, owners=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if owners is not None:
            self.filters["owner"].queryset = owners

    def search(self, queryset, name, value):
        return account_search(queryset, value)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["name"]))
