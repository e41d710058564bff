"""Forms for what an account manager logs from the account page. They only shape input; the rules
live in services.py, which the views call."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Complaint, Contact, Interaction
from .services import validate_occurred_at

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def run_model_validators(model, field_name: str, value) -> None:
    for validator in model._meta.get_field(field_name).validators:
        validator(value)


class ContactChoiceMixin:
    """Contact choices are the account's own contacts; anything else is refused by name."""

    foreign_contact_message = _("Choose contacts of this account only.")

    def limit_contacts(self, field_name: str, account) -> None:
        field = self.fields[field_name]
        field.queryset = Contact.objects.filter(account=account).order_by("name")
        field.error_messages["invalid_choice"] = self.foreign_contact_message
        field.error_messages["invalid_pk_value"] = self.foreign_contact_message


class InteractionForm(ContactChoiceMixin, forms.ModelForm):
    occurred_at = forms.DateTimeField(
        label=_("When"),
        input_formats=DATETIME_INPUT_FORMATS,
        widget=DateTimeLocalInput(),
    )
    next_step_due = forms.DateField(
        label=_("Next step due"),
        required=False,
        widget=DateInput(),
        validators=Interaction._meta.get_field("next_step_due").validators,
    )

    class Meta:
        model = Interaction
        fields = ["kind", "occurred_at", "contacts", "summary", "outcome", "next_step", "next_step_due"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
            "contacts": forms.CheckboxSelectMultiple(),
        }
        error_messages = {"summary": {"required": _("Write what happened, in a sentence or two.")}}

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.limit_contacts("contacts", account)
        self.fields["kind"].initial = Interaction.Kind.VISIT
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_summary(self):
        summary = self.cleaned_data["summary"].strip()
        if not summary:
            raise forms.ValidationError(_("Write what happened, in a sentence or two."))
        return summary

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        validate_occurred_at(occurred_at)  # the precise future limit first, then the window
        run_model_validators(Interaction, "occurred_at", occurred_at)
        return occurred_at

    def clean(self):
        cleaned = super().clean()
        next_step, due = (cleaned.get("next_step") or "").strip(), cleaned.get("next_step_due")
        occurred_at = cleaned.get("occurred_at")
        if due and not next_step:
            self.add_error("next_step", _("Say what the next step is, or leave its due date empty."))
        if due and occurred_at and due < timezone.localdate(occurred_at):
            self.add_error(
                "next_step_due", _("The next step cannot be due before the interaction took place.")
            )
        return cleaned

    def _post_clean(self):
        # The instance is built by the service; skip ModelForm's instance validation (account and
        # author are not form fields).
        pass


class ComplaintForm(ContactChoiceMixin, forms.ModelForm):
    received_at = forms.DateTimeField(
        label=_("Received at"),
        input_formats=DATETIME_INPUT_FORMATS,
        widget=DateTimeLocalInput(),
    )

    class Meta:
        model = Complaint
        fields = ["received_at", "contact", "channel", "category", "severity", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"description": {"required": _("Describe the complaint.")}}

    foreign_contact_message = _("Choose a contact of this account.")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.limit_contacts("contact", account)
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_description(self):
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError(_("Describe the complaint."))
        return description

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        validate_occurred_at(received_at)
        run_model_validators(Complaint, "received_at", received_at)
        return received_at

    def _post_clean(self):
        pass


class ComplaintTransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Complaint.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        max_length=Complaint._meta.get_field("resolution").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
