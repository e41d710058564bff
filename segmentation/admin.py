from django.contrib import admin

from kam.visibility import VisibleAdminMixin

from .models import KpiTarget


@admin.register(KpiTarget)
class KpiTargetAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["manager", "metric", "monthly_target", "valid_from", "valid_until", "set_by", "set_at"]
    list_filter = ["metric", "valid_from"]
    search_fields = ["manager__username", "manager__first_name", "manager__last_name"]
    autocomplete_fields = ["manager", "set_by"]
    date_hierarchy = "valid_from"
