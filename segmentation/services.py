"""Writes of the segmentation app: KPI targets (set by a sales director or an administrator) and the
needs tags of an account (set by anyone who sees it)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Region, Team
from accounts.roles import is_administrator, is_sales_director
from accounts.selectors import account_owners
from kam.periods import PLANNING_MONTHS, check_period

from .models import AccountNeed, KpiTarget, NeedTag, SavedSegment


@transaction.atomic
def kpi_target_set(
    *,
    actor,
    manager,
    metric: str,
    monthly_target: int,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
) -> KpiTarget:
    """Set (or replace) a manager's monthly target for a metric from a month on.

    Only a sales director or an administrator may set targets, and only for a manager whose accounts
    they can see; setting the same manager, metric and first month again replaces the number.
    """
    if not (is_sales_director(actor) or is_administrator(actor)):
        raise PermissionDenied
    if not account_owners(user=actor).filter(pk=manager.pk).exists():
        raise ValidationError(
            {"manager": _("You can set targets only for managers of accounts you can see.")}
        )
    valid_from = valid_from.replace(day=1)
    valid_until = valid_until.replace(day=1) if valid_until else None
    errors = {}
    for name, month in (("valid_from", valid_from), ("valid_until", valid_until)):
        try:
            if month is not None:
                check_period(month, future_months=PLANNING_MONTHS)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    if valid_until and valid_until < valid_from:
        raise ValidationError({"valid_until": _("The last month cannot come before the first.")})
    if monthly_target is None or monthly_target < 0:
        raise ValidationError({"monthly_target": _("A target is a whole number, zero or more.")})
    target, _created = KpiTarget.objects.update_or_create(
        manager=manager,
        metric=metric,
        valid_from=valid_from,
        defaults={"monthly_target": monthly_target, "valid_until": valid_until, "set_by": actor},
    )
    return target


@transaction.atomic
def account_needs_set(*, actor, account_id: int, tag_ids) -> list[AccountNeed]:
    """Replace the needs tags of an account the actor may see (Account.DoesNotExist otherwise).

    Tags kept keep who set them and when; new ones record the actor. Only tags in use can be added; a
    retired tag already on the account stays until it is unticked.
    """
    account = Account.objects.visible_to(actor).get(pk=account_id)
    wanted = {int(tag_id) for tag_id in tag_ids}
    current = {need.tag_id: need for need in AccountNeed.objects.select_for_update().filter(account=account)}
    added = wanted - set(current)
    if added:
        usable = set(NeedTag.objects.filter(pk__in=added, is_active=True).values_list("pk", flat=True))
        if usable != added:
            raise ValidationError({"tags": _("Choose needs from the list.")})
    AccountNeed.objects.filter(account=account).exclude(tag_id__in=wanted).delete()
    now = timezone.now()
    AccountNeed.objects.bulk_create(
        AccountNeed(account=account, tag_id=tag_id, set_by=actor, set_at=now) for tag_id in sorted(added)
    )
    return list(AccountNeed.objects.filter(account=account).select_related("tag", "set_by"))


# --- Saved segments -----------------------------------------------------------------------------------

MAX_QUERY_VALUE_LENGTH = 200


def saved_segment_query_clean(query) -> dict[str, list[str]]:
    """Only the account list's own filters, as lists of short strings (a QueryDict or a plain dict)."""
    from accounts.filters import AccountFilter

    names = set(AccountFilter.base_filters)
    getlist = query.getlist if hasattr(query, "getlist") else lambda name: query.get(name) or []
    cleaned = {}
    for name in sorted(names):
        values = getlist(name)
        values = [values] if isinstance(values, str) else list(values)
        values = [str(value)[:MAX_QUERY_VALUE_LENGTH] for value in values if str(value).strip()]
        if values:
            cleaned[name] = values
    return cleaned


def _may_share_with_team(actor, team: Team) -> bool:
    return (
        is_administrator(actor)
        or team.members.filter(pk=actor.pk).exists()
        or team.directors.filter(pk=actor.pk).exists()
    )


def _may_share_with_region(actor, region: Region) -> bool:
    return (
        is_administrator(actor)
        or region.directors.filter(pk=actor.pk).exists()
        or Team.objects.filter(region=region, members=actor).exists()
        or Team.objects.filter(region=region, directors=actor).exists()
    )


@transaction.atomic
def saved_segment_create(
    *, actor, name: str, query, sharing: str = SavedSegment.Sharing.PRIVATE, team=None, region=None
) -> SavedSegment:
    """Save an account-list filter under a name, private or shared with a team or region of the actor's."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the segment a name.")
    elif SavedSegment.objects.filter(owner=actor, name=name).exists():
        errors["name"] = _("You already have a segment with this name.")
    if sharing not in SavedSegment.Sharing.values:
        errors["sharing"] = _("Choose who the segment is shared with.")
    elif sharing == SavedSegment.Sharing.TEAM:
        if team is None or not _may_share_with_team(actor, team):
            errors["team"] = _("Choose a team you belong to or direct.")
        region = None
    elif sharing == SavedSegment.Sharing.REGION:
        if region is None or not _may_share_with_region(actor, region):
            errors["region"] = _("Choose a region you work in or direct.")
        team = None
    else:
        team = region = None
    if errors:
        raise ValidationError(errors)
    return SavedSegment.objects.create(
        name=name,
        owner=actor,
        sharing=sharing,
        team=team,
        region=region,
        query=saved_segment_query_clean(query),
    )


@transaction.atomic
def saved_segment_delete(*, actor, segment: SavedSegment) -> None:
    """Only the owner (or an administrator) deletes a saved segment; others only use it."""
    if segment.owner_id != actor.pk and not is_administrator(actor):
        raise PermissionDenied
    segment.delete()
