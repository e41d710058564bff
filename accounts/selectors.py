"""Reads of accounts data. Every selector starts from the visibility rule."""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property

from .filters import SORTS, AccountFilter
from .models import Account, Complaint, Interaction, Order

TIMELINE_LENGTH = 50
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


def account_complaints(*, account: Account) -> QuerySet:
    return (
        Complaint.objects.filter(account=account)
        .select_related("contact", "handler")
        .order_by("status", "-received_at")
    )


def account_recent_orders(*, account: Account) -> QuerySet:
    return Order.objects.filter(account=account).order_by("-order_date", "-pk")[:RECENT_ORDERS]


def account_page(*, user, account: Account) -> dict:
    """Everything the account page shows, in a fixed number of queries. Group relations go through
    the visibility rule too: a parent or subsidiary the user may not see is not named."""
    visible = Account.objects.visible_to(user)
    return {
        "parent": visible.filter(pk=account.parent_id).first() if account.parent_id else None,
        "subsidiaries": list(visible.filter(parent=account).only("pk", "name", "short_name")),
        "contacts": list(account.contacts.all()),
        "timeline": list(account_timeline(account=account)),
        "complaints": list(account_complaints(account=account)),
        "recent_orders": list(account_recent_orders(account=account)),
        "account_team": list(account.account_team.all()),
    }
