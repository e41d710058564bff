from django.contrib import admin

from kam.visibility import VisibleAdminMixin

from .models import AccountNeed, KpiTarget, NeedTag, RfmSegment, SegmentationSettings


@admin.register(KpiTarget)
class KpiTargetAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["manager", "metric", "monthly_target", "valid_from", "valid_until", "set_by", "set_at"]
    list_filter = ["metric", "valid_from"]
    search_fields = ["manager__username", "manager__first_name", "manager__last_name"]
    autocomplete_fields = ["manager", "set_by"]
    date_hierarchy = "valid_from"


@admin.register(SegmentationSettings)
class SegmentationSettingsAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """The value segment's Pareto thresholds; they apply from the next re-grade on."""

    list_display = ["high_share", "medium_share", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SegmentationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RfmSegment)
class RfmSegmentAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """Named behaviour segments; an account takes the first, in position order, that holds its scores."""

    list_display = [
        "label_en",
        "label_zh_hans",
        "position",
        "recency_min",
        "recency_max",
        "frequency_min",
        "frequency_max",
        "monetary_min",
        "monetary_max",
    ]
    list_editable = ["position"]
    ordering = ["position", "pk"]


@admin.register(NeedTag)
class NeedTagAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["label_en", "label_zh_hans", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]
    ordering = ["position", "pk"]

    def has_delete_permission(self, request, obj=None):
        # A tag in use is retired (unticked "in use"), not deleted: accounts keep it.
        return super().has_delete_permission(request, obj) and (
            obj is None or not AccountNeed.objects.filter(tag=obj).exists()
        )
