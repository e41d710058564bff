"""Accounts (客户档案) and what hangs off them: contacts, interactions, complaints, orders, surveys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, Func, Q, Value
from django.db.models.functions import Concat, Extract, Upper
from django.utils.translation import gettext_lazy as _

from kam.limits import BIRTHDAY, PAST_EVENT, PLANNED, bounded_text

from .roles import is_administrator
from .validators import (
    CREDIT_CODE_REGEX,
    normalise_credit_code,
    validate_credit_code,
    validate_mobile,
    validate_wechat_id,
)


class Region(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    directors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="directed_regions", verbose_name=_("directors")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("region"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="kam_teams", verbose_name=_("members")
    )
    directors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="directed_teams", verbose_name=_("directors")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class AccountQuerySet(models.QuerySet):
    def visible_to(self, user) -> AccountQuerySet:
        """The one visibility rule: who may see which account.

        Administrators see every account. Anyone else sees the accounts they own, the accounts whose
        account team they are on, every account in a region they direct, and every account owned by
        a member of a team they direct. Written as subqueries so the result has no duplicates and
        stays one query.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_administrator(user):
            return self.all()
        team_memberships = Account.account_team.through.objects.filter(user_id=user.pk)
        directed_members = Team.members.through.objects.filter(team__directors=user.pk)
        return self.filter(
            Q(owner_id=user.pk)
            | Q(pk__in=team_memberships.values("account_id"))
            | Q(region_id__in=Region.objects.filter(directors=user.pk).values("pk"))
            | Q(owner_id__in=directed_members.values("user_id"))
        )


class AccountChildQuerySet(models.QuerySet):
    """For every model that belongs to an account: visible exactly when its account is."""

    def visible_to(self, user):
        if user is not None and user.is_authenticated and user.is_active and is_administrator(user):
            return self.all()
        return self.filter(account_id__in=Account.objects.visible_to(user).values("pk"))


class Account(models.Model):
    class OwnershipType(models.TextChoices):
        GOVERNMENT = "government", _("Government / public body")
        STATE_OWNED = "state_owned", _("State-owned")
        JOINT_STOCK = "joint_stock", _("Joint-stock / listed")
        PRIVATE = "private", _("Private")
        FOREIGN = "foreign", _("Foreign-invested")

    class Industry(models.TextChoices):
        MANUFACTURING = "manufacturing", _("Manufacturing")
        REAL_ESTATE = "real_estate", _("Real estate")
        CONSTRUCTION = "construction", _("Construction")
        ENERGY = "energy", _("Energy")
        FINANCE = "finance", _("Finance")
        HEALTHCARE = "healthcare", _("Healthcare")
        IT = "it", _("Information technology")
        LOGISTICS = "logistics", _("Logistics")
        RETAIL = "retail", _("Retail")
        EDUCATION = "education", _("Education")
        PUBLIC_SECTOR = "public_sector", _("Public sector")

    class Channel(models.TextChoices):
        DIRECT = "direct", _("Direct")
        AGENT = "agent", _("Through an agent")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        LOST = "lost", _("Lost")
        BLACKLISTED = "blacklisted", _("Blacklisted")

    name = models.CharField(
        _("legal name"), max_length=200, help_text=_("Full registered name, usually Chinese.")
    )
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
        help_text=_("18 characters (GB 32100-2015); leave empty if unknown."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiaries",
        verbose_name=_("parent account"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_accounts",
        verbose_name=_("account manager"),
    )
    account_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="team_accounts", verbose_name=_("account team")
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("region"),
    )
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    ownership_type = models.CharField(
        _("ownership type"), max_length=20, choices=OwnershipType.choices, blank=True
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.DIRECT)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROSPECT)
    registered_capital = models.DecimalField(
        _("registered capital (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="account_credit_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(credit_code="") | Q(credit_code__regex=CREDIT_CODE_REGEX),
                name="account_credit_code_format",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="account_not_own_parent"),
            models.CheckConstraint(
                condition=Q(registered_capital__gte=0), name="account_capital_non_negative"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="account_name_not_empty"),
        ]
        indexes = [
            # Any-substring search on names, Chinese included: see accounts/search.py.
            GinIndex(Func(Upper("name"), function="kam_bigrams"), name="account_name_bigrams"),
            GinIndex(Func(Upper("short_name"), function="kam_bigrams"), name="account_short_name_bigrams"),
            models.Index(
                fields=["credit_code"], name="account_credit_code_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["owner", "name"], name="account_owner_name"),
            models.Index(fields=["region", "name"], name="account_region_name"),
            models.Index(fields=["status"], name="account_status"),
            models.Index(fields=["industry"], name="account_industry"),
            # The list's sorts walk these indexes and stop after a page instead of sorting every row.
            models.Index(fields=["name", "id"], name="account_name_id"),
            # Everything the visibility rule reads: counting a director's or manager's visible accounts
            # is an index-only scan instead of a pass over the whole table.
            models.Index(fields=["owner", "region", "id"], name="account_visibility"),
            models.Index(fields=["updated_at", "id"], name="account_updated_id"),
        ]

    def __str__(self):
        return self.short_name or self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"name", "short_name"} & set(update_fields):
            from .pinyin import pinyin_keys_upsert

            pinyin_keys_upsert([self])

    def clean(self):
        super().clean()
        self.credit_code = normalise_credit_code(self.credit_code)
        self.name = (self.name or "").strip()
        if self.parent_id:
            ancestor, seen = self.parent, set()
            while ancestor is not None:
                if ancestor.pk == self.pk and self.pk is not None:
                    raise ValidationError(
                        {
                            "parent": _(
                                "An account cannot be its own parent, directly or through its subsidiaries."
                            )
                        }
                    )
                if ancestor.pk in seen:  # an existing cycle elsewhere; stop walking
                    break
                seen.add(ancestor.pk)
                ancestor = ancestor.parent


class AccountNameKey(models.Model):
    """Pinyin keys of an account's names for sorting and search (accounts/pinyin.py). Derived from the
    names, rewritten whenever they change; never edited."""

    account = models.OneToOneField(
        Account,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="name_key",
        verbose_name=_("account"),
    )
    name_pinyin = models.CharField(_("name in pinyin"), max_length=400)
    pinyin_search = models.CharField(_("pinyin and initials"), max_length=1000)

    class Meta:
        verbose_name = _("account name key")
        verbose_name_plural = _("account name keys")
        indexes = [
            # "Name A–Z" walks this index and stops after a page.
            models.Index(fields=["name_pinyin", "account"], name="account_name_pinyin"),
            GinIndex(Func("pinyin_search", function="kam_bigrams"), name="account_pinyin_bigrams"),
        ]

    def __str__(self):
        return self.name_pinyin


class Contact(models.Model):
    class DecisionRole(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        INFLUENCER = "influencer", _("Influencer")
        USER = "user", _("User")
        GATEKEEPER = "gatekeeper", _("Gatekeeper")

    class ContactMethod(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        VISIT = "visit", _("In person")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("account")
    )

    class RelationshipStrength(models.IntegerChoices):
        COLD = 1, _("1 – cold")
        DISTANT = 2, _("2 – distant")
        NEUTRAL = 3, _("3 – neutral")
        GOOD = 4, _("4 – good")
        STRONG = 5, _("5 – strong ally")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    # New columns have database defaults too: set-based loaders (seed_demo's COPY, imports) may leave
    # them out.
    department = models.CharField(_("department"), max_length=100, blank=True, default="", db_default="")
    decision_role = models.CharField(
        _("decision role"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    relationship_strength = models.PositiveSmallIntegerField(
        _("relationship strength"), choices=RelationshipStrength.choices, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    mobile = models.CharField(
        _("mobile"),
        max_length=11,
        blank=True,
        default="",
        db_default="",
        validators=[validate_mobile],
        help_text=_("11 digits."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    wechat_id = models.CharField(
        _("WeChat ID"), max_length=30, blank=True, default="", db_default="", validators=[validate_wechat_id]
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True, validators=[BIRTHDAY])
    preferred_contact_method = models.CharField(
        _("preferred contact method"), max_length=10, choices=ContactMethod.choices, blank=True
    )
    notes = bounded_text(_("notes"), blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        db_default=True,
        help_text=_("Left the company or no longer a contact: kept for the record."),
    )
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True, editable=False)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="") | Q(erased_at__isnull=False), name="contact_name_not_empty"
            ),
            models.CheckConstraint(condition=~Q(reports_to=F("pk")), name="contact_not_own_manager"),
            models.CheckConstraint(
                condition=Q(relationship_strength__isnull=True) | Q(relationship_strength__range=(1, 5)),
                name="contact_relationship_strength_range",
            ),
        ]
        indexes = [
            # The account list's one search box also finds contacts by name, mobile or e-mail.
            GinIndex(
                Func(
                    Upper(
                        Concat(
                            "name", Value(" "), "phone", Value(" "), "email", output_field=models.TextField()
                        )
                    ),
                    function="kam_bigrams",
                ),
                name="contact_search_bigrams",
            ),
            # Birthdays of a week (care events, service_tiers): month * 100 + day, one index range.
            models.Index(
                ExpressionWrapper(
                    Extract("birthday", "month") * 100 + Extract("birthday", "day"),
                    output_field=models.IntegerField(),
                ),
                name="contact_birthday_month_day",
            ),
        ]

    def __str__(self):
        if self.erased_at:
            return str(_("erased contact"))
        return f"{self.name} ({self.title})" if self.title else self.name

    @property
    def display_name(self) -> str:
        return str(_("erased contact")) if self.erased_at else self.name


class Interaction(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        OTHER = "other", _("Other")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("account")
    )
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="interactions", verbose_name=_("contacts")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"), validators=[PAST_EVENT])
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="interactions",
        verbose_name=_("author"),
    )
    summary = bounded_text(_("summary"))
    outcome = bounded_text(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True, validators=[PLANNED])
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            models.CheckConstraint(condition=~Q(summary=""), name="interaction_summary_not_empty"),
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | ~Q(next_step=""),
                name="interaction_due_date_needs_next_step",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-occurred_at"], name="interaction_account_time"),
            # The last visit of each account of a book (service plans; service_tiers.rules.VISIT_KINDS):
            # one probe each instead of walking the calls and e-mails in between.
            models.Index(
                fields=["account", "-occurred_at"],
                condition=Q(kind__in=["visit", "meeting"]),
                name="interaction_account_visit",
            ),
            # A month of activity across a book (the dashboard's KPIs per manager) reads the index only.
            models.Index(
                fields=["occurred_at"], include=["account", "author", "kind"], name="interaction_time"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.account} · {self.occurred_at:%Y-%m-%d}"


class Complaint(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        VISIT = "visit", _("In person")
        LETTER = "letter", _("Letter")
        OTHER = "other", _("Other")

    class Category(models.TextChoices):
        QUALITY = "quality", _("Product quality")
        DELIVERY = "delivery", _("Delivery")
        BILLING = "billing", _("Billing")
        SERVICE = "service", _("Service")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    # Which status may follow which. Resolved and closed complaints may be reopened.
    TRANSITIONS = {
        Status.OPEN: {Status.IN_PROGRESS, Status.RESOLVED},
        Status.IN_PROGRESS: {Status.RESOLVED},
        Status.RESOLVED: {Status.CLOSED, Status.OPEN},
        Status.CLOSED: {Status.OPEN},
    }

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="complaints", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("contact"),
    )
    received_at = models.DateTimeField(_("received at"), validators=[PAST_EVENT])
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    description = bounded_text(_("description"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    resolution = bounded_text(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, validators=[PAST_EVENT])
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_complaints",
        verbose_name=_("handler"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="logged_complaints",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(condition=~Q(description=""), name="complaint_description_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress"]) | Q(resolved_at__isnull=False),
                name="complaint_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("received_at")),
                name="complaint_resolved_after_received",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-received_at"], name="complaint_account_time"),
            models.Index(
                fields=["status"], name="complaint_status", condition=Q(status__in=["open", "in_progress"])
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()} · {self.account} · {self.received_at:%Y-%m-%d}"

    def allowed_next_statuses(self) -> list[str]:
        return sorted(self.TRANSITIONS[self.status], key=list(self.Status.values).index)


class Order(models.Model):
    # No index of its own: the covering index below starts with the account and serves every lookup by
    # account; a second one made the planner pick it for the re-grade and read the table (1.5× slower).
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="orders", verbose_name=_("account"), db_index=False
    )
    number = models.CharField(_("order number"), max_length=40, unique=True)
    order_date = models.DateField(_("order date"), validators=[PAST_EVENT])
    product_line = models.CharField(_("product line"), max_length=100, blank=True)
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    gross_profit = models.DecimalField(_("gross profit (CNY)"), max_digits=14, decimal_places=2)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True, validators=[PAST_EVENT])
    due_date = models.DateField(_("due date"), null=True, blank=True, validators=[PLANNED])
    paid_date = models.DateField(_("paid date"), null=True, blank=True, validators=[PAST_EVENT])

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["-order_date", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(gross_profit__lte=F("amount")), name="order_profit_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True)
                | Q(invoice_date__isnull=True)
                | Q(due_date__gte=F("invoice_date")),
                name="order_due_after_invoice",
            ),
            models.CheckConstraint(
                condition=Q(paid_date__isnull=True) | Q(invoice_date__isnull=False),
                name="order_paid_needs_invoice",
            ),
            models.CheckConstraint(
                condition=Q(paid_date__isnull=True) | Q(paid_date__gte=F("invoice_date")),
                name="order_paid_after_invoice",
            ),
        ]
        indexes = [
            # Covering index: 12/24-month aggregates per account read the index only.
            models.Index(
                fields=["account", "order_date"],
                include=["amount", "gross_profit", "due_date", "paid_date"],
                name="order_account_date_covering",
            ),
            # Unpaid invoices by due date (~2 % of orders): the dashboard's risk list finds the overdue
            # ones without scanning every order.
            models.Index(
                fields=["due_date"],
                include=["account", "amount"],
                condition=Q(paid_date__isnull=True),
                name="order_unpaid_due",
            ),
        ]

    def __str__(self):
        return self.number


class SatisfactionSurvey(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("contact"),
    )
    sent_on = models.DateField(_("sent on"), validators=[PAST_EVENT])
    answered_on = models.DateField(_("answered on"), null=True, blank=True, validators=[PAST_EVENT])
    score = models.PositiveSmallIntegerField(
        _("score (0–10)"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    comment = bounded_text(_("comment"), blank=True)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_on", "-pk"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10), name="survey_score_range"),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("sent_on")),
                name="survey_answered_after_sent",
            ),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True, score__isnull=True)
                | Q(answered_on__isnull=False, score__isnull=False),
                name="survey_score_iff_answered",
            ),
        ]
        indexes = [models.Index(fields=["account", "-sent_on"], name="survey_account_sent")]

    def __str__(self):
        return f"{self.account} · {self.sent_on}"


class ComplaintStatusChange(models.Model):
    """One step of a complaint's lifecycle: who moved it, when, from which status to which, and why."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("complaint")
    )
    from_status = models.CharField(
        _("from status"), max_length=12, blank=True, choices=Complaint.Status.choices
    )
    to_status = models.CharField(_("to status"), max_length=12, choices=Complaint.Status.choices)
    note = bounded_text(_("note"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["complaint", "changed_at", "pk"]
        verbose_name = _("complaint status change")
        verbose_name_plural = _("complaint status changes")
        indexes = [models.Index(fields=["complaint", "changed_at"], name="complaint_change_time")]

    def __str__(self):
        return f"{self.complaint_id}: {self.from_status} → {self.to_status}"
