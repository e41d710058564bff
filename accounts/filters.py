"""One FilterSet for the account list page and the API."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.visibility import VisibleFilterSet, VisibleModelChoiceFilter
from scoring.models import GradeSnapshot
from segmentation.models import AccountNeed, AccountSegment, NeedTag, RfmSegment, ValueSegment

from .models import Account, Region
from .search import account_search

SORTS = {
    # By pinyin, as a Chinese reader sorts names (上海, 南京, 厦门, 合肥): accounts/pinyin.py.
    "name": ("name_key__name_pinyin", "pk"),
    "-name": ("-name_key__name_pinyin", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}


def _owner_choices(user):
    # The managers of the visible accounts, from the per-owner counts the list page has at hand.
    from .selectors import account_owner_choices

    return account_owner_choices(user=user)


def latest_snapshot(column: str):

    return Subquery(
        GradeSnapshot.objects.filter(account_id=OuterRef("pk")).order_by("-period").values(column)[:1]
    )


def effective_grade():
    """A director's override in force, else the computed grade of the latest snapshot: the plan's rule
    (service_tiers/plans.py) as an ORM expression, for the list's grade filter and sort."""
    from scoring.models import GradeOverride
    from service_tiers.rules import override_in_force_q

    override = GradeOverride.objects.filter(
        override_in_force_q(today=timezone.localdate()), account_id=OuterRef("pk")
    ).values("grade")[:1]
    return Coalesce(Subquery(override), latest_snapshot("computed_grade"))


def last_visit_at():
    from service_tiers.rules import visit_q

    from .models import Interaction

    return Subquery(
        Interaction.objects.filter(visit_q(), account_id=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


GRADE_NONE = "none"
# Sorts that need a figure per account: computed for the visible accounts only when chosen.
FIGURE_SORTS = {
    "grade": (lambda: {"sort_grade": effective_grade()}, (F("sort_grade").asc(nulls_last=True), "pk")),
    "-revenue": (
        lambda: {"sort_revenue": latest_snapshot("order_volume")},
        (F("sort_revenue").desc(nulls_last=True), "pk"),
    ),
    "last_visit": (lambda: {"sort_visit": last_visit_at()}, (F("sort_visit").asc(nulls_first=True), "pk")),
    "-last_visit": (lambda: {"sort_visit": last_visit_at()}, (F("sort_visit").desc(nulls_last=True), "pk")),
}


def _region_choices(user):
    """The regions of the accounts the user may see: a region outside their scope would list nothing."""
    from accounts.roles import is_administrator

    regions = Region.objects.order_by("name")
    if user is not None and is_administrator(user):
        return regions
    return regions.filter(pk__in=Account.objects.visible_to(user).values("region_id"))


class AccountFilter(VisibleFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Account.Status.choices, label=_("Status"))
    region = VisibleModelChoiceFilter(
        queryset=Region.objects.all(), visible=_region_choices, label=_("Region")
    )
    industry = django_filters.ChoiceFilter(choices=Account.Industry.choices, label=_("Industry"))
    ownership_type = django_filters.ChoiceFilter(
        choices=Account.OwnershipType.choices, label=_("Ownership type")
    )
    channel = django_filters.ChoiceFilter(choices=Account.Channel.choices, label=_("Channel"))
    owner = VisibleModelChoiceFilter(
        queryset=get_user_model().objects.all(), visible=_owner_choices, label=_("Account manager")
    )
    grade = django_filters.ChoiceFilter(
        method="grade_is",
        label=_("Grade"),
        choices=[("A", "A"), ("B", "B"), ("C", "C"), (GRADE_NONE, _("Not graded"))],
    )
    # Segments of the latest month that has them (a subquery: one statement).
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
            ("grade", _("Grade A first")),
            ("-revenue", _("Highest 12-month revenue")),
            ("last_visit", _("Longest since a visit")),
            ("-last_visit", _("Most recently visited")),
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
            "grade",
            "region",
            "industry",
            "ownership_type",
            "channel",
            "owner",
            "value_segment",
            "behaviour",
            "need",
            "sort",
        ]

    def grade_is(self, queryset, name, value):
        if value == GRADE_NONE:
            return queryset.alias(filter_grade=effective_grade()).filter(filter_grade__isnull=True)
        return queryset.alias(filter_grade=effective_grade()).filter(filter_grade=value)

    def search(self, queryset, name, value):
        return account_search(queryset, value)

    def sort_by(self, queryset, name, value):
        if value in FIGURE_SORTS:
            aliases, ordering = FIGURE_SORTS[value]
            return queryset.alias(**aliases()).order_by(*ordering)
        return queryset.order_by(*SORTS.get(value, SORTS["name"]))

    def segmented(self, queryset, name, value):
        latest = AccountSegment.objects.order_by("-period").values("period")[:1]
        condition = {"value_segment": value} if name == "value_segment" else {"rfm_segment": value}
        return queryset.filter(
            pk__in=AccountSegment.objects.filter(period=Subquery(latest), **condition).values("account_id")
        )

    def needing(self, queryset, name, value):
        return queryset.filter(pk__in=AccountNeed.objects.filter(tag=value).values("account_id"))
