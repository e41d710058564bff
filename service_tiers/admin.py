"""Django admin for service tiers and alerts. Tiers are edited here; every save goes through the
service (``service_tier_update``) so validation is the same everywhere and nothing is saved when a
value is wrong."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin import VisibleToUserAdmin
from kam.visibility import VisibleAdminMixin

from .models import Alert, AlertDigest, AlertRun, ComplaintDeadline, ServiceTier
from .services import alerts_run, service_tier_update


@admin.register(ServiceTier)
class ServiceTierAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = [
        "key",
        "revisit_cadence_days",
        "complaint_response_hours",
        "complaint_resolution_hours",
        "survey_cadence_months",
        "dedicated_manager",
        "service_priority",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = ["key", "updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["key", "service_priority", "dedicated_manager"]}),
        (_("Cadences"), {"fields": ["revisit_cadence_days", "survey_cadence_months"]}),
        (_("Complaints"), {"fields": ["complaint_response_hours", "complaint_resolution_hours"]}),
        (
            _("Care programme"),
            {
                "fields": [
                    "care_birthday",
                    "care_spring_festival",
                    "care_dragon_boat",
                    "care_mid_autumn",
                    "care_anniversary",
                ]
            },
        ),
        (None, {"fields": ["updated_at", "updated_by"]}),
    ]

    # The four tiers exist from the first migration on: a grade without a tier would have no plan.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            service_tier_update(actor=request.user, tier=obj)
        except (ValidationError, PermissionDenied) as error:  # the form's clean() ran the same checks
            raise PermissionDenied(str(error)) from error


@admin.register(ComplaintDeadline)
class ComplaintDeadlineAdmin(VisibleToUserAdmin):
    list_display = ["complaint", "tier", "respond_by", "resolve_by", "fixed_at"]
    list_filter = ["tier"]
    list_select_related = ["complaint__account"]
    readonly_fields = ["complaint", "tier", "respond_by", "resolve_by", "fixed_at"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        from accounts.models import Complaint
        from accounts.roles import is_administrator

        if is_administrator(request.user):
            return queryset
        return queryset.filter(complaint__in=Complaint.objects.visible_to(request.user))

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(VisibleToUserAdmin):
    list_display = ["rule", "account", "due_on", "responsible", "status", "opened_at", "closed_at"]
    list_filter = ["status", "rule", "due_on"]
    search_fields = ["account__name", "account__short_name", "dedup_key"]
    list_select_related = ["account", "responsible"]
    readonly_fields = [
        "rule",
        "account",
        "dedup_key",
        "due_on",
        "responsible",
        "details",
        "status",
        "opened_at",
        "closed_at",
    ]
    actions = ["run_alerts_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Run the daily alert check now and send today's digests"))
    def run_alerts_now(self, request, queryset):
        from accounts.roles import is_administrator

        if not is_administrator(request.user):
            self.message_user(request, _("Only an administrator can run the alert check."), messages.ERROR)
            return
        # Digests go out once per user and day (AlertDigest): running it again sends nothing twice.
        run = alerts_run(trigger=AlertRun.Trigger.MANUAL, send_digests=True)
        self.message_user(
            request,
            _(
                "Alert check done: %(opened)s opened, %(closed)s closed, %(open)s open; "
                "%(sent)s digest(s) sent."
            )
            % {"opened": run.opened, "closed": run.closed, "open": run.still_open, "sent": run.digests_sent},
            messages.SUCCESS,
        )


@admin.register(AlertRun)
class AlertRunAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "trigger",
        "duration",
        "opened",
        "closed",
        "still_open",
        "digests_sent",
        "error",
    ]
    list_filter = ["trigger"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AlertDigest)
class AlertDigestAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["day", "user", "alert_count", "sent_at"]
    list_filter = ["day"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
