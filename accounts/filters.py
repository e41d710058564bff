"""One FilterSet for the account list page and the API."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from kam.visibility import VisibleFilterSet, VisibleModelChoiceFilter
from scoring.models import Grade, GradeSnapshot
from segmentation.models import AccountNeed, AccountSegment, NeedTag, RfmSegment, ValueSegment

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
    ownership_type = django_filters.ChoiceFilter(
        choices=Account.OwnershipType.choices, label=_("Ownership type")
    )
    channel = django_filters.ChoiceFilter(choices=Account.Channel.choices, label=_("Channel"))
    owner = VisibleModelChoiceFilter(
        queryset=get_user_model().objects.all(), visible=_owner_choices, label=_("Account manager")
    )
    # Grading and segments of the latest month that has them (a subquery: one statement).
    grade = django_filters.ChoiceFilter(choices=Grade.choices, method="graded", label=_("Grade"))
    value_segment = django_filters.ChoiceFilter(
        choices=ValueSegment.choices, method="segmented", label=_("Value segment")
    )
    behaviour = VisibleModelChoiceFilter(
        queryset=RfmSegment.objects.all(), method="segmented", label=_("Behaviour segment")
    )
    need = VisibleModelChoiceFilter(queryset=NeedTag.objects.all(), method="needing", label=_("Needs"))
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
        fields = [
            "q",
            "status",
            "region",
            "industry",
            "ownership_type",
            "channel",
            "owner",
            "grade",
            "value_segment",
            "behaviour",
            "need",
            "sort",
        ]

    def search(self, queryset, name, value):
        return account_search(queryset, value)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["name"]))

    def graded(self, queryset, name, value):
        latest = GradeSnapshot.objects.order_by("-period").values("period")[:1]
        return queryset.filter(
            pk__in=GradeSnapshot.objects.filter(period=Subquery(latest), grade=value).values("account_id")
        )

    def segmented(self, queryset, name, value):
        latest = AccountSegment.objects.order_by("-period").values("period")[:1]
        condition = {"value_segment": value} if name == "value_segment" else {"rfm_segment": value}
        return queryset.filter(
            pk__in=AccountSegment.objects.filter(period=Subquery(latest), **condition).values("account_id")
        )

    def needing(self, queryset, name, value):
        return queryset.filter(pk__in=AccountNeed.objects.filter(tag=value).values("account_id"))
