"""Django admin for accounts data. Non-superusers see only what the visibility rule lets them see."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kam.visibility import VisibleAdminMixin

from .admin_services import AccountAdminMixin, ComplaintAdminMixin, ContactAdminMixin
from .models import Account, Complaint, Contact, Interaction, Order, Region, SatisfactionSurvey, Team
from .roles import is_administrator


class VisibleToUserAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """For account data: list, change and delete pages go through ``visible_to``; every related widget
    offers only what the user may see (``kam.visibility.VisibleAdminMixin``)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_administrator(request.user):
            return queryset
        return queryset.visible_to(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._alerts_follow(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._alerts_follow(obj)

    def delete_queryset(self, request, queryset):
        account_ids = list(queryset.values_list(self._account_field(), flat=True))
        super().delete_queryset(request, queryset)
        self._follow(account_ids)

    def _account_field(self) -> str:
        return "pk" if self.model is Account else "account_id"

    def _alerts_follow(self, obj) -> None:
        self._follow([obj.pk if self.model is Account else getattr(obj, "account_id", None)])

    @staticmethod
    def _follow(account_ids) -> None:
        # What an administrator changes here (an invoice paid, a survey answered) moves the account's
        # alerts at once, as the same change made in the app does (service_tiers app).
        from service_tiers.services import alerts_follow

        alerts_follow(account_ids=account_ids)


@admin.register(Region)
class RegionAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    filter_horizontal = ["directors"]


@admin.register(Team)
class TeamAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]
    filter_horizontal = ["members", "directors"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "decision_role", "phone", "email", "birthday"]


@admin.register(Account)
class AccountAdmin(AccountAdminMixin, VisibleToUserAdmin):
    list_display = [
        "name",
        "short_name",
        "credit_code",
        "status",
        "region",
        "industry",
        "owner",
        "updated_at",
    ]
    list_filter = ["status", "region", "industry", "ownership_type", "channel"]
    search_fields = ["name", "short_name", "=credit_code"]
    list_select_related = ["region", "owner"]
    autocomplete_fields = ["parent", "owner"]
    filter_horizontal = ["account_team"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ContactInline]
    show_full_result_count = False  # a count(*) over 100k+ rows on every page is wasted work
    fieldsets = [
        (None, {"fields": ["name", "short_name", "credit_code", "status", "parent"]}),
        (
            _("Classification"),
            {"fields": ["region", "industry", "ownership_type", "channel", "registered_capital"]},
        ),
        (_("People"), {"fields": ["owner", "account_team"]}),
        (_("Other"), {"fields": ["address", "created_at", "updated_at"]}),
    ]


@admin.register(Contact)
class ContactAdmin(ContactAdminMixin, VisibleToUserAdmin):
    list_display = ["name", "title", "account", "decision_role", "phone", "email", "birthday"]
    list_filter = ["decision_role", "preferred_contact_method"]
    search_fields = ["name", "phone", "email", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    show_full_result_count = False


@admin.register(Interaction)
class InteractionAdmin(VisibleToUserAdmin):
    list_display = ["occurred_at", "kind", "account", "author", "next_step_due"]
    list_filter = ["kind", "occurred_at"]
    search_fields = ["summary", "account__name"]
    date_hierarchy = "occurred_at"
    list_select_related = ["account", "author"]
    autocomplete_fields = ["account", "author"]
    raw_id_fields = ["contacts"]
    show_full_result_count = False


@admin.register(Complaint)
class ComplaintAdmin(ComplaintAdminMixin, VisibleToUserAdmin):
    list_display = ["received_at", "account", "category", "severity", "status", "handler", "resolved_at"]
    list_filter = ["status", "severity", "category", "channel"]
    search_fields = ["description", "account__name"]
    date_hierarchy = "received_at"
    list_select_related = ["account", "handler"]
    autocomplete_fields = ["account", "handler", "created_by"]
    raw_id_fields = ["contact"]
    show_full_result_count = False


@admin.register(Order)
class OrderAdmin(VisibleToUserAdmin):
    list_display = [
        "number",
        "account",
        "order_date",
        "product_line",
        "amount",
        "gross_profit",
        "due_date",
        "paid_date",
    ]
    list_filter = ["product_line", "order_date"]
    search_fields = ["=number", "account__name"]
    date_hierarchy = "order_date"
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    show_full_result_count = False


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(VisibleToUserAdmin):
    list_display = ["account", "contact", "sent_on", "answered_on", "score"]
    list_filter = ["score", "sent_on"]
    search_fields = ["account__name", "comment"]
    list_select_related = ["account", "contact"]
    autocomplete_fields = ["account"]
    raw_id_fields = ["contact"]
    show_full_result_count = False
