"""Django admin for grading: tune draft models (validated as a whole), preview, activate, re-grade."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin import VisibleToUserAdmin
from kam.queue import QueueUnavailable, enqueue_on_commit, queue_check
from kam.visibility import VisibleAdminMixin

from . import selectors, services
from .computation import BandSpec, CriterionSpec
from .models import (
    AccountRating,
    AccountRatingChange,
    Band,
    Criterion,
    GradeOverride,
    GradeSnapshot,
    RegradeRun,
    ScoringModel,
)
from .tasks import regrade


def regrade_now(request) -> RegradeRun | None:
    """Queue a re-grade of the current month; the task starts once the request's transaction commits.
    Without a task queue, say so at once and create no run (it would wait for ever)."""
    try:
        queue_check()
    except QueueUnavailable as error:
        messages.error(request, str(error))
        return None
    run = services.regrade_run_create(trigger=RegradeRun.Trigger.MANUAL, actor=request.user)
    enqueue_on_commit(
        regrade, run.pk, on_failure=lambda error: services.regrade_run_fail(run=run, error=repr(error))
    )
    messages.success(
        request,
        gettext("Re-grade of %(period)s queued (run %(run)s); see Re-grade runs for its progress.")
        % {"period": f"{run.period:%Y-%m}", "run": run.pk},
    )
    return run


class DefinitionFormSet(BaseInlineFormSet):
    """The criteria formset validates the whole definition (thresholds, criteria and bands together)
    with the same service as activation, so an invalid draft is never saved."""

    bands_formset = None  # attached by ScoringModelAdmin._create_formsets

    def clean(self):
        super().clean()
        bands_formset = self.bands_formset
        if bands_formset is None or any(self.errors) or not bands_formset.is_valid():
            return
        criteria = [
            CriterionSpec(form.cleaned_data["key"], form.cleaned_data["weight"], form.cleaned_data["method"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        bands = [
            BandSpec(
                form.cleaned_data["criterion"],
                form.cleaned_data["lower"],
                form.cleaned_data["upper"],
                form.cleaned_data["points"],
            )
            for form in bands_formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        services.scoring_definition_validate(
            threshold_a=self.instance.threshold_a,
            threshold_b=self.instance.threshold_b,
            criteria=criteria,
            bands=bands,
        )


class DraftOnlyInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj):
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class CriterionInline(DraftOnlyInline):
    model = Criterion
    formset = DefinitionFormSet
    fields = ["position", "key", "label_en", "label_zh_hans", "weight", "method"]


class BandInline(DraftOnlyInline):
    model = Band
    fields = ["criterion", "lower", "upper", "points", "label"]


@admin.register(ScoringModel)
class ScoringModelAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "threshold_a",
        "threshold_b",
        "activated_at",
        "retired_at",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["name"]
    readonly_fields = [
        "status",
        "copied_from",
        "created_at",
        "created_by",
        "activated_at",
        "activated_by",
        "retired_at",
    ]
    fields = ["name", "description", "threshold_a", "threshold_b", *readonly_fields]
    inlines = [CriterionInline, BandInline]
    actions = ["copy_to_draft", "activate", "regrade_now_action"]
    change_form_template = "scoring/admin/scoringmodel_change_form.html"

    # Active and retired models are read-only: every grade ever given stays traceable to its model.
    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        by_model = {formset.model: formset for formset in formsets}
        if Criterion in by_model and Band in by_model:
            by_model[Criterion].bands_formset = by_model[Band]
        return formsets, inline_instances

    # --- Extra pages: preview, activate, copy, re-grade --------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="scoring_scoringmodel_preview"),
            path(
                "<int:pk>/activate/",
                view(require_POST(self.activate_view)),
                name="scoring_scoringmodel_activate",
            ),
            path("<int:pk>/copy/", view(require_POST(self.copy_view)), name="scoring_scoringmodel_copy"),
            path("regrade/", view(require_POST(self.regrade_view)), name="scoring_scoringmodel_regrade"),
            *super().get_urls(),
        ]

    def _change_url(self, model):
        return reverse("admin:scoring_scoringmodel_change", args=[model.pk])

    def preview_view(self, request, pk):
        draft = get_object_or_404(ScoringModel, pk=pk)
        if not self.has_view_permission(request, draft):
            raise PermissionDenied
        preview = None
        if draft.is_editable:
            try:
                services.scoring_model_validate(scoring_model=draft)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                preview = selectors.scoring_model_preview(draft=draft)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": draft,
            "title": gettext("What activating “%(name)s” would do") % {"name": draft.name},
            "preview": preview,
            "grades": selectors.GRADES,
            "matrix_keys": [*selectors.GRADES, "—"],
            "can_activate": self.has_change_permission(request, draft),
        }
        return TemplateResponse(request, "scoring/admin/preview.html", context)

    def activate_view(self, request, pk):
        model = get_object_or_404(ScoringModel, pk=pk)
        if not self.has_change_permission(request, model):
            raise PermissionDenied
        try:
            services.scoring_model_activate(actor=request.user, scoring_model=model)
        except ValidationError as error:
            messages.error(request, gettext("“%(name)s” was not activated:") % {"name": model.name})
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                gettext("“%(name)s” is now the active model. Re-grade to apply it to this month's grades.")
                % {"name": model.name},
            )
        return HttpResponseRedirect(self._change_url(model))

    def copy_view(self, request, pk):
        model = get_object_or_404(ScoringModel, pk=pk)
        if not self.has_add_permission(request):
            raise PermissionDenied
        # The copy is named by the admin: a name like "Copy of …" would show on every account page long
        # after its weights changed.
        name = request.POST.get("name", "").strip()
        if not name:
            messages.error(request, gettext("Give the new draft a name (what it is for, not its weights)."))
            return HttpResponseRedirect(self._change_url(model))
        copy = services.scoring_model_copy_to_draft(actor=request.user, scoring_model=model, name=name[:100])
        messages.success(request, gettext("Copied to the new draft “%(name)s”.") % {"name": copy.name})
        return HttpResponseRedirect(self._change_url(copy))

    def regrade_view(self, request):
        if not self.has_view_permission(request) or not request.user.has_perm("scoring.add_regraderun"):
            raise PermissionDenied
        regrade_now(request)
        return HttpResponseRedirect(reverse("admin:scoring_regraderun_changelist"))

    # --- Actions -----------------------------------------------------------------------------------

    @admin.action(description=_("Copy to a new draft"), permissions=["add"])
    def copy_to_draft(self, request, queryset):
        for model in queryset:
            copy = services.scoring_model_copy_to_draft(actor=request.user, scoring_model=model)
            messages.success(request, gettext("Copied to the new draft “%(name)s”.") % {"name": copy.name})

    @admin.action(description=_("Activate the selected draft"), permissions=["change"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, gettext("Select exactly one draft to activate."))
            return
        model = queryset.get()
        try:
            services.scoring_model_activate(actor=request.user, scoring_model=model)
        except ValidationError as error:
            messages.error(request, gettext("“%(name)s” was not activated:") % {"name": model.name})
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, gettext("“%(name)s” is now the active model.") % {"name": model.name})

    @admin.action(
        description=_("Re-grade all accounts now (current month, active model)"), permissions=["view"]
    )
    def regrade_now_action(self, request, queryset):
        regrade_now(request)


@admin.register(RegradeRun)
class RegradeRunAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = [
        "period",
        "status",
        "trigger",
        "triggered_by",
        "scoring_model",
        "accounts_graded",
        "grade_a_count",
        "grade_b_count",
        "grade_c_count",
        "provisional_count",
        "started_at",
        "duration",
    ]
    list_filter = ["status", "trigger", "period"]
    list_select_related = ["triggered_by", "scoring_model"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of who graded what, when

    @admin.display(description=_("duration"))
    def duration(self, run):
        return run.duration


@admin.register(GradeSnapshot)
class GradeSnapshotAdmin(VisibleToUserAdmin):
    list_display = ["account", "period", "grade", "computed_grade", "total", "previous_grade", "provisional"]
    list_filter = ["period", "grade", "computed_grade", "provisional", "scoring_model"]
    search_fields = ["account__name", "account__short_name"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "override", "run"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GradeOverride)
class GradeOverrideAdmin(VisibleToUserAdmin):
    list_display = ["account", "grade", "expires_on", "author", "created_at", "revoked_at"]
    list_filter = ["grade", "expires_on"]
    search_fields = ["account__name", "reason"]
    list_select_related = ["account", "author"]
    readonly_fields = [
        "account",
        "grade",
        "reason",
        "expires_on",
        "author",
        "created_at",
        "revoked_at",
        "revoked_by",
    ]

    def has_add_permission(self, request):
        return False  # set on the account page, where the visibility and role checks live


@admin.register(AccountRating)
class AccountRatingAdmin(VisibleToUserAdmin):
    list_display = ["account", "kind", "value", "rated_on", "rated_by"]
    list_filter = ["kind", "value"]
    search_fields = ["account__name"]
    list_select_related = ["account", "rated_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # changes go through the account page so that they are audited


@admin.register(AccountRatingChange)
class AccountRatingChangeAdmin(VisibleToUserAdmin):
    list_display = ["account", "kind", "old_value", "new_value", "changed_by", "changed_at"]
    list_filter = ["kind"]
    search_fields = ["account__name"]
    list_select_related = ["account", "changed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
