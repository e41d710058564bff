"""Reads of accounts data. Every selector starts from the visibility rule."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .filters import SORTS, AccountFilter
from .models import Account, Complaint, Interaction, Order

TIMELINE_LENGTH = 50
RECENT_ORDERS = 10


def account_owners(*, user) -> QuerySet:
    """The account managers whose accounts this user may see (for the owner filter)."""
    User = get_user_model()
    return User.objects.filter(pk__in=Account.objects.visible_to(user).values("owner_id")).order_by(
        "username"
    )


def account_list(*, user, data=None) -> tuple[AccountFilter, QuerySet]:
    """The filtered, sorted account list this user may see."""
    accounts = Account.objects.visible_to(user).select_related("owner", "region").order_by(*SORTS["name"])
    filterset = AccountFilter(data or None, queryset=accounts, owners=account_owners(user=user))
    return filterset, filterset.qs


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
