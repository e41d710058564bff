from django import forms
from django.utils.translation import gettext_lazy as _

from kam.limits import PAST_EVENT, PLANNED

from .models import PlanAction, PlanObjective


class DateInput(forms.DateInput):
    input_type = "date"


# The account page holds these forms beside the interaction and complaint forms: each has a prefix, so no
# two fields share an id or a label's target.


class PlanForm(forms.Form):
    prefix = "plan"
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    summary = forms.CharField(
        label=_("Plan overview"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class ObjectiveForm(forms.Form):
    prefix = "objective"
    kind = forms.ChoiceField(label=_("Objective"), choices=PlanObjective.Kind.choices)
    target = forms.DecimalField(label=_("Target"), min_value=0, max_digits=16, decimal_places=2)
    due_on = forms.DateField(label=_("Due"), widget=DateInput, validators=[PLANNED])
    description = forms.CharField(label=_("Details"), max_length=300, required=False)
    recorded_value = forms.DecimalField(
        label=_("Recorded value"),
        max_digits=16,
        decimal_places=2,
        required=False,
        help_text=_("Only for share of wallet: the latest figure you know."),
    )


class ActionForm(forms.Form):
    prefix = "action"
    description = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due"), widget=DateInput, validators=[PLANNED])

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.get_username()


class ActionStatusForm(forms.Form):
    prefix = "status"
    status = forms.ChoiceField(label=_("Status"), choices=PlanAction.Status.choices)


class ReviewForm(forms.Form):
    prefix = "review"
    reviewed_on = forms.DateField(label=_("Review date"), widget=DateInput, validators=[PAST_EVENT])
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
