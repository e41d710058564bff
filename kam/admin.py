"""Admin for the project's own records, and third-party admins held to the visibility rule."""

from django.contrib import admin
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ScheduledRun
from .visibility import VisibleAdminMixin


@admin.register(ScheduledRun)
class ScheduledRunAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """Read-only: which scheduled firings ran, and how many duplicates (a second beat) were skipped."""

    list_display = ["task", "slot", "started_at", "duplicates"]
    list_filter = ["task"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# django-otp's device admin offers every user: a staff user sees only the users the rule lets them see.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class VisibleTOTPDeviceAdmin(VisibleAdminMixin, TOTPDeviceAdmin):
    pass
