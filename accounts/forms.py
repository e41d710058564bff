"""Forms for what an account manager logs from the account page. They only shape input; the rules
live in services.py, which the views call."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.conflicts import VERSION_FIELD, EditConflict, version_of
from kam.limits import LONG_TEXT, BoundedModelMultipleChoiceField

from .models import Account, Complaint, Contact, Interaction, SatisfactionSurvey
from .selectors import complaint_handlers
from .services import (
    CONTACT_FIELDS,
    PEOPLE_FIELDS,
    PROFILE_FIELDS,
    account_editable_fields,
    assignable_users,
    validate_occurred_at,
)
from .validators import normalise_credit_code

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
        field_classes = {"contacts": BoundedModelMultipleChoiceField}
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
    note = forms.CharField(label=_("Reason"), required=False, max_length=LONG_TEXT)


class VersionedFormMixin:
    """Edit forms carry the version of the record they were opened at (kam/conflicts.py)."""

    def add_version_field(self, instance) -> None:
        self.fields[VERSION_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        if instance is not None and instance.pk and not self.is_bound:
            self.initial[VERSION_FIELD] = version_of(instance)

    def show_conflict(self, conflict: EditConflict) -> list[tuple[str, object, object]]:
        """Keep what the user typed, take the current version (saving again now overwrites knowingly)
        and list the fields where the two versions differ: (label, theirs, yours)."""
        self.data = self.data.copy()
        self.data[VERSION_FIELD] = conflict.current.row_version
        self.add_error(None, conflict.messages)
        differences = []
        for name, field in self.fields.items():
            if name == VERSION_FIELD or name not in self.cleaned_data:
                continue
            theirs, yours = getattr(conflict.current, name, None), self.cleaned_data.get(name)
            if hasattr(theirs, "all"):  # many-to-many
                theirs, yours = set(theirs.all()), set(yours or ())
            if (theirs or None) != (yours or None):
                differences.append((field.label, _display(theirs), _display(yours)))
        return differences


def _display(value):
    if isinstance(value, set):
        return ", ".join(sorted(str(item) for item in value)) or "—"
    return "—" if value in (None, "") else value


class ParentAccountField(forms.CharField):
    """The parent account, by its credit code: a picker that works on a phone and at 100k accounts.
    Only accounts the user can see are found."""

    def __init__(self, *, user, **kwargs):
        self.user = user
        super().__init__(
            label=_("Parent account (its credit code)"),
            required=False,
            max_length=18,
            help_text=_("Leave empty for none."),
            **kwargs,
        )

    def prepare_value(self, value):
        if isinstance(value, int):
            value = Account.objects.filter(pk=value).values_list("credit_code", flat=True).first()
        return getattr(value, "credit_code", value)

    def clean(self, value):
        code = normalise_credit_code(super().clean(value))
        if not code:
            return None
        parent = Account.objects.visible_to(self.user).filter(credit_code=code).first()
        if parent is None:
            raise forms.ValidationError(_("No account you can see has this credit code."))
        return parent


class AccountForm(VersionedFormMixin, forms.ModelForm):
    """Create or edit an account: only the fields the user's role may set are offered; any other
    field posted is refused by name."""

    class Meta:
        model = Account
        fields = list(PROFILE_FIELDS + PEOPLE_FIELDS)
        widgets = {"account_team": forms.CheckboxSelectMultiple()}
        field_classes = {"account_team": BoundedModelMultipleChoiceField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        existing = self.instance if self.instance.pk else None
        self.allowed = account_editable_fields(actor=user, account=existing)
        self.fields["parent"] = ParentAccountField(user=user)
        if existing is not None and existing.parent_id and not self.is_bound:
            self.initial["parent"] = existing.parent.credit_code
        for name in list(self.fields):
            if name not in self.allowed:
                del self.fields[name]
        if "owner" in self.fields:
            owners = assignable_users(actor=user)
            if existing is not None:
                owners = owners | get_user_model().objects.filter(pk=existing.owner_id)
            self.fields["owner"].queryset = owners.distinct().order_by("username")
            self.fields["owner"].required = existing is not None
        if "account_team" in self.fields:
            team = assignable_users(actor=user)
            if existing is not None:
                team = team | existing.account_team.all()
            self.fields["account_team"].queryset = team.distinct().order_by("username")
        self.add_version_field(existing)

    def clean(self):
        cleaned = super().clean()
        offered = set(self.fields) | {"csrfmiddlewaretoken", "create_token"}
        for name in sorted(set(self.data) & set(self._meta.fields) - offered):
            self.add_error(
                None,
                _("You may not change “%(field)s”.") % {"field": Account._meta.get_field(name).verbose_name},
            )
        return cleaned

    def validate_unique(self):
        # Duplicates are the service's to report (it says which visible account has the code).
        pass

    def _post_clean(self):
        # The model's field validators and clean() (credit code, parent cycle) give messages next to
        # the fields; its constraints are the database's and the service's (one message per rule).
        opts = self._meta
        exclude = self._get_validation_exclusions()
        try:
            self.instance = forms.models.construct_instance(self, self.instance, opts.fields, opts.exclude)
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except forms.ValidationError as error:
            self._update_errors(error)

    def service_fields(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != VERSION_FIELD}


class ContactForm(VersionedFormMixin, forms.ModelForm):
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DateInput())

    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        bosses = Contact.objects.filter(account=account, erased_at__isnull=True).order_by("name")
        if self.instance.pk:
            bosses = bosses.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = bosses
        self.fields["reports_to"].error_messages["invalid_choice"] = _("Choose a contact of this account.")
        self.fields["notes"].max_length = Contact._meta.get_field("notes").max_length
        self.add_version_field(self.instance if self.instance.pk else None)

    def _post_clean(self):
        opts = self._meta
        try:
            self.instance = forms.models.construct_instance(self, self.instance, opts.fields, opts.exclude)
            self.instance.full_clean(
                exclude=self._get_validation_exclusions(), validate_unique=False, validate_constraints=False
            )
        except forms.ValidationError as error:
            self._update_errors(error)

    def clean_birthday(self):
        birthday = self.cleaned_data["birthday"]
        if birthday and birthday > timezone.localdate():
            raise forms.ValidationError(_("A birthday cannot be in the future."))
        return birthday

    def service_fields(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != VERSION_FIELD}


class SurveyForm(ContactChoiceMixin, forms.Form):
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none(), required=False)
    answered_on = forms.DateField(
        label=_("Answered on"),
        widget=DateInput(),
        validators=SatisfactionSurvey._meta.get_field("answered_on").validators,
    )
    score = forms.IntegerField(label=_("Score (0–10)"), min_value=0, max_value=10)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=SatisfactionSurvey._meta.get_field("comment").max_length or LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    foreign_contact_message = _("Choose a contact of this account.")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.limit_contacts("contact", account)
        self.fields["contact"].queryset = self.fields["contact"].queryset.filter(erased_at__isnull=True)
        if not self.is_bound:
            self.initial.setdefault("answered_on", timezone.localdate())

    def clean_answered_on(self):
        answered_on = self.cleaned_data["answered_on"]
        if answered_on > timezone.localdate():
            raise forms.ValidationError(_("A survey cannot be answered in the future."))
        return answered_on


class ComplaintAssignForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=None)

    def __init__(self, *args, complaint, user, **kwargs):
        super().__init__(*args, **kwargs)
        handlers = complaint_handlers(user=user, account=complaint.account)
        self.fields["handler"].queryset = get_user_model().objects.filter(pk__in=[p.pk for p in handlers])
