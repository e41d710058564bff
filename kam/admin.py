"""Admin for the project's own records."""

from django.contrib import admin

from .models import ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
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
