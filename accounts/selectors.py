"""Reads of accounts data. Every selector starts from the visibility rule."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property

from .filters import SORTS, AccountFilter
from .models import Account, Complaint, ComplaintStatusChange, Contact, Interaction, Order, SatisfactionSurvey
from .search import contact_search

TIMELINE_LENGTH = 50
CONTACT_HITS = 10
RECENT_ORDERS = 10
# How long list figures that need a pass over every visible account may be reused. Short enough
# that a change shows within a minute; long enough that paging and filtering stay fast at 100k.
COUNT_CACHE_SECONDS = 60


def _query_cache_key(prefix: str, queryset: QuerySet) -> str:
    """A key for a query's result: its SQL and parameters (which include the user's id through the
    visibility rule), so two users never share an entry."""
    sql, params = queryset.query.sql_with_params()
    return f"{prefix}:{hashlib.sha256(f'{sql}|{params!r}'.encode()).hexdigest()}"


class CachedCountPaginator(Paginator):
    """Counting every visible account of a large book is the slowest part of a list page; the same
    count is reused for a minute while the user pages, sorts and comes back."""

    @cached_property
    def count(self):
        key = _query_cache_key("kam:count", self.object_list)
        count = cache.get(key)
        if count is None:
            count = super().count
            cache.set(key, count, COUNT_CACHE_SECONDS)
        return count


def account_owners(*, user) -> QuerySet:
    """The account managers whose accounts this user may see (exact: use it for permission checks)."""
    User = get_user_model()
    return User.objects.filter(pk__in=Account.objects.visible_to(user).values("owner_id")).order_by(
        "username"
    )


def visible_accounts_per_owner(*, user) -> dict[int, int]:
    """How many accounts this user may see, per owner: one pass over the visible accounts that gives
    both the owner drop-down and the unfiltered total, reused for a minute."""
    per_owner = Account.objects.visible_to(user).order_by().values_list("owner_id").annotate(n=Count("pk"))
    return cache.get_or_set(
        _query_cache_key("kam:per-owner", per_owner), lambda: dict(per_owner), COUNT_CACHE_SECONDS
    )


def account_owner_choices(*, user) -> QuerySet:
    """The managers for filter drop-downs (from the cached per-owner counts; use ``account_owners``
    for permission checks)."""
    ids = list(visible_accounts_per_owner(user=user))
    return get_user_model().objects.filter(pk__in=ids).order_by("username")


def account_list(*, user, data=None) -> tuple[AccountFilter, QuerySet]:
    """The filtered, sorted account list this user may see."""
    accounts = Account.objects.visible_to(user).select_related("owner", "region").order_by(*SORTS["name"])
    filterset = AccountFilter(data or None, queryset=accounts, user=user)
    return filterset, filterset.qs


def account_list_figures(*, account_ids: list[int]) -> dict[int, dict]:
    """Grade, 12-month revenue (of the latest grading), last visit and next revisit of a page of
    accounts already checked visible: two statements whatever the page size."""
    from scoring.models import GradeSnapshot
    from service_tiers.selectors import plans_by_account

    plans = plans_by_account(account_ids=account_ids)
    revenue = dict(
        GradeSnapshot.objects.filter(account_id__in=account_ids)
        .order_by("account_id", "-period")
        .distinct("account_id")
        .values_list("account_id", "order_volume")
    )
    return {
        pk: {
            "grade": plans.get(pk, {}).get("grade"),
            "revenue": revenue.get(pk),
            "last_visit_on": plans.get(pk, {}).get("last_visit_on"),
            "revisit_due_on": plans.get(pk, {}).get("revisit_due_on"),
        }
        for pk in account_ids
    }


def with_list_figures(accounts, *, chunk: int):
    """The accounts of an export, each with its list figures, fetched a chunk at a time."""
    batch = []
    for account in accounts:
        batch.append(account)
        if len(batch) == chunk:
            yield from _attach_figures(batch)
            batch = []
    yield from _attach_figures(batch)


def _attach_figures(batch):
    figures = account_list_figures(account_ids=[account.pk for account in batch]) if batch else {}
    for account in batch:
        account.figures = figures[account.pk]
        yield account


def contact_hits(*, user, query: str) -> list[Contact]:
    """The contacts the list's search box also finds (name, mobile, e-mail), with their account."""
    if not query or not query.strip():
        return []
    contacts = Contact.objects.visible_to(user).select_related("account")
    return list(contact_search(contacts, query).order_by("name", "pk")[:CONTACT_HITS])


def account_list_page(*, user, filterset: AccountFilter, accounts: QuerySet, number, per_page: int):
    """One page of the list. Unfiltered, the total is the sum of the per-owner counts already at hand;
    filtered, it is counted (and cached briefly)."""
    paginator = CachedCountPaginator(accounts, per_page)
    filters = filterset.form.cleaned_data if filterset.is_bound and filterset.form.is_valid() else {}
    if not any(value for name, value in filters.items() if name != "sort"):
        paginator.count = sum(visible_accounts_per_owner(user=user).values())
    return paginator.get_page(number)


def account_get(*, user, pk) -> Account:
    """One account this user may see, or 404."""
    return get_object_or_404(
        Account.objects.visible_to(user).select_related("owner", "region", "parent"),
        pk=pk,
    )


def account_timeline(*, account: Account) -> QuerySet:
    return (
        Interaction.objects.filter(account=account)
        .select_related("author")
        .prefetch_related("contacts")
        .order_by("-occurred_at", "-pk")[:TIMELINE_LENGTH]
    )


SURVEY_HISTORY_LENGTH = 12
ORDERS_PAGE_SIZE = 50
# Receivables ageing buckets, in days past the due date: (key, first day, last day or None).
AGEING_BUCKETS = (("overdue_1_30", 1, 30), ("overdue_31_90", 31, 90), ("overdue_over_90", 91, None))


def account_complaints(*, account: Account) -> QuerySet:
    """Open ones first (open, in progress), then the rest, newest first; each with its deadlines and
    its status history."""
    open_first = Q(status__in=[Complaint.Status.OPEN, Complaint.Status.IN_PROGRESS])
    return (
        Complaint.objects.filter(account=account)
        .select_related("contact", "handler", "deadline")
        .prefetch_related(
            Prefetch("status_changes", queryset=ComplaintStatusChange.objects.select_related("changed_by"))
        )
        .annotate(is_open=Count("pk", filter=open_first))
        .order_by("-is_open", "-received_at", "-pk")
    )


def account_surveys(*, account: Account) -> list:
    """The latest answered surveys, oldest first (a score history)."""
    surveys = (
        SatisfactionSurvey.objects.filter(account=account, score__isnull=False)
        .select_related("contact")
        .order_by("-answered_on", "-pk")[:SURVEY_HISTORY_LENGTH]
    )
    return list(reversed(list(surveys)))


def account_receivables(*, account: Account, today=None) -> dict:
    """Unpaid invoiced amounts by age: not yet due, 1–30, 31–90 and over 90 days overdue, with counts
    and the total. One aggregate over the account's orders (the covering index holds every column)."""
    today = today or timezone.localdate()
    unpaid = Q(paid_date__isnull=True, due_date__isnull=False)
    money = DecimalField(max_digits=16, decimal_places=2)

    def bucket(condition):
        return {
            "amount": Coalesce(Sum("amount", filter=unpaid & condition), Value(0), output_field=money),
            "count": Count("pk", filter=unpaid & condition),
        }

    conditions = {"not_yet_due": Q(due_date__gte=today)}
    for key, first, last in AGEING_BUCKETS:
        condition = Q(due_date__lte=today - timedelta(days=first))
        if last is not None:
            condition &= Q(due_date__gte=today - timedelta(days=last))
        conditions[key] = condition
    aggregates = {}
    for key, condition in conditions.items():
        for part, expression in bucket(condition).items():
            aggregates[f"{key}__{part}"] = expression
    row = Order.objects.filter(account=account).aggregate(**aggregates)
    buckets = {key: {"amount": row[f"{key}__amount"], "count": row[f"{key}__count"]} for key in conditions}
    overdue = [buckets[key] for key, _first, _last in AGEING_BUCKETS]
    return {
        "buckets": buckets,
        "overdue_amount": sum(item["amount"] for item in overdue),
        "total_amount": sum(item["amount"] for item in buckets.values()),
        "total_count": sum(item["count"] for item in buckets.values()),
    }


def account_orders(*, account: Account):
    return Order.objects.filter(account=account).order_by("-order_date", "-pk")


def account_recent_orders(*, account: Account) -> QuerySet:
    return Order.objects.filter(account=account).order_by("-order_date", "-pk")[:RECENT_ORDERS]


def account_page(*, user, account: Account) -> dict:
    """Everything the account page shows, in a fixed number of queries. Group relations go through
    the visibility rule too: a parent or subsidiary the user may not see is not named."""
    visible = Account.objects.visible_to(user)
    return {
        "parent": visible.filter(pk=account.parent_id).first() if account.parent_id else None,
        "subsidiaries": list(visible.filter(parent=account).only("pk", "name", "short_name")),
        "contacts": (contacts := list(account.contacts.all())),
        "org_chart": contact_org_chart(contacts),
        "timeline": list(account_timeline(account=account)),
        "complaints": list(account_complaints(account=account)),
        "recent_orders": list(account_recent_orders(account=account)),
        "account_team": list(account.account_team.all()),
        "surveys": account_surveys(account=account),
        "receivables": account_receivables(account=account),
    }


def contact_org_chart(contacts: list) -> list[tuple[object, int]]:
    """The account's contacts as an org chart: (contact, depth) in reporting order, top first. Anyone
    whose manager is not among them (or none) starts a tree."""
    by_boss: dict = {}
    ids = {contact.pk for contact in contacts}
    for contact in contacts:
        boss = contact.reports_to_id if contact.reports_to_id in ids else None
        by_boss.setdefault(boss, []).append(contact)
    chart, seen = [], set()

    def walk(boss, depth):
        for contact in by_boss.get(boss, []):
            if contact.pk in seen:
                continue
            seen.add(contact.pk)
            chart.append((contact, depth))
            walk(contact.pk, depth + 1)

    walk(None, 0)
    chart.extend((contact, 0) for contact in contacts if contact.pk not in seen)  # a loop: show flat
    return chart


def complaint_handlers(*, user, account: Account) -> list:
    """Who may handle this account's complaints: its manager, its account team, and whom the user may
    assign (services.assignable_users). One query."""
    from .services import assignable_users

    User = get_user_model()
    people = User.objects.filter(
        Q(pk=account.owner_id)
        | Q(pk__in=Account.account_team.through.objects.filter(account_id=account.pk).values("user_id"))
        | Q(pk__in=assignable_users(actor=user).values("pk"))
    )
    return list(people.filter(is_active=True).order_by("username"))


GROUP_MONTHS = 12


def account_group(*, user, account: Account) -> dict:
    """The group page: the parent and its visible subsidiaries (one level), each with its grade in
    force, revenue and gross profit over the last 12 months, open complaints and open alerts; and
    the group's totals. Subsidiaries the user may not see are left out (and not counted)."""
    from scoring.selectors import effective_grades
    from service_tiers.models import Alert

    since = timezone.localdate() - timedelta(days=365)
    money = DecimalField(max_digits=16, decimal_places=2)
    open_statuses = [Complaint.Status.OPEN, Complaint.Status.IN_PROGRESS]
    members = (
        Account.objects.visible_to(user)
        .filter(Q(pk=account.pk) | Q(parent_id=account.pk))
        .annotate(
            revenue=Coalesce(
                Subquery(
                    Order.objects.filter(account=OuterRef("pk"), order_date__gte=since)
                    .values("account")
                    .annotate(total=Sum("amount"))
                    .values("total")
                ),
                Value(0),
                output_field=money,
            ),
            gross_profit=Coalesce(
                Subquery(
                    Order.objects.filter(account=OuterRef("pk"), order_date__gte=since)
                    .values("account")
                    .annotate(total=Sum("gross_profit"))
                    .values("total")
                ),
                Value(0),
                output_field=money,
            ),
            open_complaints=Coalesce(
                Subquery(
                    Complaint.objects.filter(account=OuterRef("pk"), status__in=open_statuses)
                    .values("account")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                Value(0),
            ),
            open_alerts=Coalesce(
                Subquery(
                    Alert.objects.filter(account=OuterRef("pk"), closed_at__isnull=True)
                    .values("account")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                Value(0),
            ),
        )
        .order_by("-revenue", "name")
    )
    members = list(members)
    grades = dict(
        effective_grades(user=user)
        .filter(account_id__in=[member.pk for member in members])
        .values_list("account_id", "effective_grade")
    )
    for member in members:
        member.grade = grades.get(member.pk)
    return {
        "members": members,
        "totals": {
            "revenue": sum(member.revenue for member in members),
            "gross_profit": sum(member.gross_profit for member in members),
            "open_complaints": sum(member.open_complaints for member in members),
            "open_alerts": sum(member.open_alerts for member in members),
        },
    }
