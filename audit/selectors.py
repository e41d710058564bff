"""Reads of the audit trail. Callers check visibility first (the account page does: its account comes
from ``visible_to``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils.translation import pgettext_lazy
from pghistory.models import Events

from .models import ACCOUNT_CHILD_EVENTS, AccountEvent

HISTORY_LENGTH = 50

ACTION_LABELS = {
    "insert": pgettext_lazy("audit", "created"),
    "update": pgettext_lazy("audit", "changed"),
    "delete": pgettext_lazy("audit", "deleted"),
    "team.add": pgettext_lazy("audit", "added to the account team"),
    "team.remove": pgettext_lazy("audit", "removed from the account team"),
    "role.add": pgettext_lazy("audit", "role given"),
    "role.remove": pgettext_lazy("audit", "role taken away"),
}
PATH_LABELS = {
    "web": pgettext_lazy("audit", "web"),
    "api": pgettext_lazy("audit", "API"),
    "admin": pgettext_lazy("audit", "admin"),
    "import": pgettext_lazy("audit", "import"),
    "task": pgettext_lazy("audit", "background task"),
    "command": pgettext_lazy("audit", "command"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    model_label: str  # the tracked model's verbose name
    action: str
    actor: object  # a user or None
    path: str
    changes: list[Change]
    data: dict


def _columns(model) -> dict[str, object]:
    return {field.column: field for field in model._meta.concrete_fields}


def _entries(events, users) -> list[HistoryEntry]:
    entries = []
    for event in events:
        tracked = apps.get_model(event.pgh_obj_model)
        columns = _columns(tracked)
        context = event.pgh_context or {}
        changes = []
        for column, (before, after) in sorted((event.pgh_diff or {}).items()):
            field = columns.get(column)
            if field is None or getattr(field, "auto_now", False):
                continue
            if field.is_relation and field.related_model is get_user_model():
                before, after = users.get(before, before), users.get(after, after)
            changes.append(Change(str(field.verbose_name), before, after))
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                model_label=str(tracked._meta.verbose_name),
                action=str(ACTION_LABELS.get(event.pgh_label, event.pgh_label)),
                actor=users.get(context.get("user")),
                path=str(PATH_LABELS.get(context.get("path"), context.get("path") or "—")),
                changes=changes,
                data=event.pgh_data or {},
            )
        )
    return entries


def account_history(*, account, limit: int = HISTORY_LENGTH) -> list[HistoryEntry]:
    """The latest changes to an account and to everything that belongs to it (contacts, interactions,
    complaints, surveys, ratings, overrides, account team), newest first, with who, when, through
    which path and what changed. Two queries for the events, one for the users they name."""
    own = list(
        Events.objects.across(AccountEvent).tracks(account).order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    children = list(
        Events.objects.across(*ACCOUNT_CHILD_EVENTS)
        .references(account)
        .order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    events = sorted(own + children, key=lambda event: (event.pgh_created_at, event.pgh_id), reverse=True)[
        :limit
    ]
    user_ids = {(event.pgh_context or {}).get("user") for event in events}
    user_fields = {
        field.column
        for model in (AccountEvent, *ACCOUNT_CHILD_EVENTS)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is get_user_model()
    }
    for event in events:
        for column, values in (event.pgh_diff or {}).items():
            if column in user_fields:
                user_ids.update(values)
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids - {None})}
    return _entries(events, users)
