"""Forms of the account page's grade panel. The services re-check every rule."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AccountRating, Grade, GradeOverride

RATING_CHOICES = [
    (1, _("1 – none")),
    (2, _("2 – weak")),
    (3, _("3 – good")),
    (4, _("4 – strong")),
    (5, _("5 – excellent")),
]


class RatingForm(forms.Form):
    kind = forms.ChoiceField(choices=AccountRating.Kind.choices, widget=forms.HiddenInput)
    value = forms.TypedChoiceField(label=_("Rating"), choices=RATING_CHOICES, coerce=int)
    rated_on = forms.DateField(
        label=_("Rated on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=AccountRating._meta.get_field("rated_on").validators,
    )
    note = forms.CharField(
        label=_("Note"), max_length=AccountRating._meta.get_field("note").max_length, required=False
    )

    def __init__(self, *args, kind: str, **kwargs):
        kwargs.setdefault("auto_id", f"id_{kind}_%s")
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"kind": kind, "rated_on": timezone.localdate(), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.rating_kind = kind


class OverrideForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=GradeOverride._meta.get_field("reason").max_length,
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=GradeOverride._meta.get_field("expires_on").validators,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_override_%s")
        super().__init__(*args, **kwargs)
