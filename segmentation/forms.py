"""The dashboard filter form (GET, kept in the URL) and the KPI target form."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Region, Team
from accounts.selectors import account_owners
from kam.periods import PLANNING_MONTHS, parse_period
from scoring.computation import add_months
from scoring.models import Grade

from .models import KpiMetric, SavedSegment
from .selectors import CROSS_DIMENSIONS, NOT_GRADED, DashboardFilters, latest_period

MONTH_FORMAT = "%Y-%m"


class MonthField(forms.DateField):
    """A month as YYYY-MM (an ``<input type="month">``), cleaned to its first day and kept within the
    window of ``kam.periods`` (this month at the latest, or ``future_months`` ahead)."""

    widget = forms.DateInput(attrs={"type": "month"}, format=MONTH_FORMAT)

    def __init__(self, *, future_months: int = 0, **kwargs):
        self.future_months = future_months
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_period(value, future_months=self.future_months)


class DashboardFilterForm(forms.Form):
    period = MonthField(label=_("Period"), required=False)
    compare = MonthField(label=_("Compared with"), required=False)
    region = forms.ModelChoiceField(Region.objects.all(), label=_("Region"), required=False)
    team = forms.ModelChoiceField(Team.objects.all(), label=_("Team"), required=False)
    industry = forms.ChoiceField(
        choices=[("", "---------"), *Account.Industry.choices], label=_("Industry"), required=False
    )
    owner = forms.ModelChoiceField(
        get_user_model().objects.none(), label=_("Account manager"), required=False
    )
    grade = forms.ChoiceField(choices=[("", "---------"), *Grade.choices], label=_("Grade"), required=False)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["owner"].queryset = account_owners(user=user)
        self.fields["owner"].label_from_instance = lambda owner: owner.get_full_name() or owner.get_username()

    def filters(self) -> DashboardFilters:
        """The filters to apply: the valid ones; an invalid field is ignored (and its error shown)."""
        cleaned = {}
        if self.is_bound:
            self.is_valid()
            cleaned = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        period = cleaned.get("period") or latest_period()
        compare = cleaned.get("compare") or add_months(period, -1)
        # Show the months in use, also when they were defaults.
        shown = {"period": f"{period:{MONTH_FORMAT}}", "compare": f"{compare:{MONTH_FORMAT}}"}
        if self.is_bound:
            self.data = self.data.copy()
            for name, value in shown.items():
                if not self.data.get(name) or name in self.errors:
                    self.data[name] = value
        else:
            self.initial.update(shown)
        return DashboardFilters(
            period=period,
            compare=compare,
            region=cleaned.get("region"),
            team=cleaned.get("team"),
            industry=cleaned.get("industry") or "",
            owner=cleaned.get("owner"),
            grade=cleaned.get("grade") or "",
        )


class CellForm(forms.Form):
    """Which cell of the migration matrix (or which grade) a drill-down list shows."""

    GRADE_CHOICES = [("", "---------"), *Grade.choices, (NOT_GRADED, _("Not graded"))]
    from_grade = forms.ChoiceField(choices=GRADE_CHOICES, required=False, label=_("Grade before"))
    to_grade = forms.ChoiceField(choices=GRADE_CHOICES, required=False, label=_("Grade now"))


class KpiTargetForm(forms.Form):
    manager = forms.ModelChoiceField(get_user_model().objects.none(), label=_("Account manager"))
    metric = forms.ChoiceField(choices=KpiMetric.choices, label=_("Metric"))
    monthly_target = forms.IntegerField(min_value=0, max_value=10_000, label=_("Monthly target"))
    valid_from = MonthField(label=_("From month"), future_months=PLANNING_MONTHS)
    valid_until = MonthField(
        label=_("Until month"),
        future_months=PLANNING_MONTHS,
        required=False,
        help_text=_("Empty: open ended."),
    )

    def __init__(self, data=None, *, managers, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["manager"].queryset = managers
        self.fields["manager"].label_from_instance = lambda user: user.get_full_name() or user.get_username()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The last month cannot come before the first."))
        return cleaned


class SavedSegmentForm(forms.Form):
    """Save the account list's current filters (sent along as ``query``, the list's query string)."""

    prefix = "segment"
    name = forms.CharField(label=_("Segment name"), max_length=100)
    sharing = forms.ChoiceField(label=_("Shared with"), choices=SavedSegment.Sharing.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(
            Q(members=user.pk) | Q(directors=user.pk)
        ).distinct()
        self.fields["region"].queryset = Region.objects.filter(
            Q(directors=user.pk) | Q(teams__members=user.pk) | Q(teams__directors=user.pk)
        ).distinct()


class CrossForm(forms.Form):
    """Which two dimensions the cross table sets against each other (GET, kept in the URL)."""

    CHOICES = [(key, dimension.label) for key, dimension in CROSS_DIMENSIONS.items()]
    rows = forms.ChoiceField(choices=CHOICES, label=_("Rows"), required=False)
    columns = forms.ChoiceField(choices=CHOICES, label=_("Columns"), required=False)

    def dimensions(self) -> tuple[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        rows = data.get("rows") or "grade"
        columns = data.get("columns") or "value_segment"
        if columns == rows:
            columns = "value_segment" if rows != "value_segment" else "grade"
        return rows, columns
