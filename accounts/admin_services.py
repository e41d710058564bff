"""Admin saves go through the services, with the same validations and a version check (issue 14
item 20: two administrators saving the same account — the second sees a conflict instead of
silently reverting the first's change)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kam.conflicts import VERSION_FIELD, EditConflict, lock_for_edit, version_of
from kam.limits import SHORT_TEXT

from . import services
from .models import Contact


class VersionedAdminForm(forms.ModelForm):
    """An admin form that carries the version it was opened at. ``clean`` locks the row for the rest
    of the (atomic) admin request and refuses a save over someone else's newer one, naming what they
    changed."""

    version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=SHORT_TEXT)
    request = None  # set by ServiceAdminMixin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial[VERSION_FIELD] = version_of(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            try:
                lock_for_edit(
                    type(self.instance)._base_manager.all(),
                    pk=self.instance.pk,
                    expected_version=cleaned.get(VERSION_FIELD) or None,
                )
            except EditConflict as conflict:
                current = conflict.current
                changed = [
                    f"{self.fields[name].label}: {getattr(current, name, '')}"
                    for name in self.changed_data
                    if name in self.fields and name != VERSION_FIELD and hasattr(current, name)
                ]
                raise ValidationError(
                    [
                        *conflict.messages,
                        *(
                            [_("Saved meanwhile: %(fields)s") % {"fields": "; ".join(changed)}]
                            if changed
                            else []
                        ),
                    ]
                ) from conflict
        return cleaned


class ServiceAdminMixin:
    """The admin's add and change pages save through the services: ``service_fields`` names what the
    service takes; ``save_model`` hands over the changed fields with the actor."""

    form = VersionedAdminForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or any(VERSION_FIELD in options.get("fields", ()) for _name, options in fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]


class AccountAdminForm(VersionedAdminForm):
    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        fields = {
            name: cleaned[name]
            for name in (self.changed_data if self.instance.pk else cleaned)
            if name in services.PROFILE_FIELDS + services.PEOPLE_FIELDS and name in cleaned
        }
        try:
            services.account_check_fields(actor=self.request.user, account=self.instance, fields=fields)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


class AccountAdminMixin(ServiceAdminMixin):
    form = AccountAdminForm

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in (form.changed_data if change else form.cleaned_data)
            if name in services.PROFILE_FIELDS + services.PEOPLE_FIELDS
        }
        try:
            if change:
                saved = services.account_update(actor=request.user, account=obj, **fields)
            else:
                saved = services.account_create(actor=request.user, **fields)
        except ValidationError as error:
            # The form's clean() ran the same checks; this is a rule only the service knows.
            raise admin.options.PermissionDenied(" ".join(error.messages)) from error
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        # The account team was saved by the service (with its scope check); inlines as usual.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ContactAdminForm(VersionedAdminForm):
    def clean(self):
        cleaned = super().clean()
        fields = {name: cleaned[name] for name in services.CONTACT_FIELDS if name in cleaned}
        contact = self.instance if self.instance.pk else Contact(account=cleaned.get("account"))
        try:
            services.contact_check_fields(contact=contact, fields=fields)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


class ContactAdminMixin(ServiceAdminMixin):
    form = ContactAdminForm

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in (form.changed_data if change else form.cleaned_data)
            if name in services.CONTACT_FIELDS
        }
        if change:
            services.contact_update(actor=request.user, contact=obj, **fields)
        else:
            obj.pk = services.contact_create(
                actor=request.user, account=form.cleaned_data["account"], **fields
            ).pk


class ComplaintAdminMixin(ServiceAdminMixin):
    """The lifecycle (status, resolution, handler) moves only through ``complaint_transition`` (the
    account page's buttons): here it is read-only, so no status can be set past the rules. New
    complaints are opened by ``complaint_open``."""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "status", "resolution", "resolved_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        complaint = services.complaint_open(
            actor=request.user,
            account=data["account"],
            received_at=data["received_at"],
            channel=data["channel"],
            category=data["category"],
            severity=data["severity"],
            description=data["description"],
            contact=data.get("contact"),
        )
        obj.pk = complaint.pk
