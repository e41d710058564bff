"""Writes of the segmentation app: KPI targets, set by a sales director (or an administrator)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import is_administrator, is_sales_director
from accounts.selectors import account_owners
from kam.periods import PLANNING_MONTHS, check_period

from .models import KpiTarget


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
