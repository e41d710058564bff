"""Reads of the service-tiers app: plans, My day, care events, alerts, compliance.

Every selector starts from the visibility rule (``Account.objects.visible_to(user)``) and runs a fixed
number of queries whatever the size of the book.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Complaint

from .alerts import alerts_version
from .calendar import FESTIVAL_FLAGS, festivals_between, month_days_between
from .compliance import compliance_rows
from .models import Alert, ServiceTier, TierKey
from .plans import _tables, plan_sql

CARE_WINDOW_DAYS = 60  # the account page looks this far ahead for care events
MY_DAY_LIMIT = 50  # items per My day section; the rest is counted


def _rows(sql: str, params) -> list[dict]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def tiers() -> dict[str, ServiceTier]:
    return {tier.key: tier for tier in ServiceTier.objects.all()}


# --- The plan of one account ------------------------------------------------------------------------


@dataclass
class PlanChange:
    previous_tier: ServiceTier
    tier: ServiceTier
    period: date
    changes: list[str]


def _tier_differences(old: ServiceTier, new: ServiceTier) -> list[str]:
    changes = []

    def say(label, before, after):
        if before != after:
            changes.append(
                _("%(what)s: %(before)s → %(after)s") % {"what": label, "before": before, "after": after}
            )

    none = _("none")
    say(
        _("revisit every"),
        _("%(n)s days") % {"n": old.revisit_cadence_days} if old.revisit_cadence_days else none,
        _("%(n)s days") % {"n": new.revisit_cadence_days} if new.revisit_cadence_days else none,
    )
    say(
        _("complaint response"),
        _("%(n)s h") % {"n": old.complaint_response_hours},
        _("%(n)s h") % {"n": new.complaint_response_hours},
    )
    say(
        _("complaint resolution"),
        _("%(n)s h") % {"n": old.complaint_resolution_hours},
        _("%(n)s h") % {"n": new.complaint_resolution_hours},
    )
    say(
        _("satisfaction survey every"),
        _("%(n)s months") % {"n": old.survey_cadence_months} if old.survey_cadence_months else none,
        _("%(n)s months") % {"n": new.survey_cadence_months} if new.survey_cadence_months else none,
    )
    say(_("care"), ", ".join(old.care_programme) or none, ", ".join(new.care_programme) or none)
    return changes


def _grade_change(account: Account, all_tiers: dict) -> PlanChange | None:
    """The tier change of the latest re-grade, when it moved the account to another grade."""
    from scoring.models import GradeSnapshot

    latest_two = list(
        GradeSnapshot.objects.filter(account=account).order_by("-period").values("period", "grade")[:2]
    )
    if len(latest_two) < 2 or account.status == Account.Status.BLACKLISTED:
        return None
    latest, previous = latest_two
    if latest["grade"] == previous["grade"]:
        return None
    old, new = all_tiers.get(previous["grade"]), all_tiers.get(latest["grade"])
    if old is None or new is None:
        return None
    return PlanChange(
        previous_tier=old, tier=new, period=latest["period"], changes=_tier_differences(old, new)
    )


def account_service_plan(*, account: Account, today: date | None = None) -> dict:
    """The service plan of an account the caller has already checked the user may see."""
    today = today or timezone.localdate()
    sql, params = plan_sql([account.pk], today=today)
    rows = _rows(sql, params)
    all_tiers = tiers()
    if not rows:  # only when the tiers table was emptied by hand
        return {"plan": None}
    plan = rows[0]
    tier = all_tiers[plan["tier_key"]]
    complaints = list(
        Complaint.objects.filter(account=account, status__in=["open", "in_progress"])
        .select_related("deadline")
        .order_by("received_at")
    )
    now = timezone.now()
    for complaint in complaints:
        deadline = getattr(complaint, "deadline", None)
        complaint.resolve_by = deadline.resolve_by if deadline else None
        complaint.overdue = bool(deadline and deadline.resolve_by < now)
    return {
        "plan": plan,
        "tier": tier,
        "ungraded": plan["grade"] is None and plan["tier_key"] != TierKey.BLACKLIST,
        "revisit_overdue": plan["revisit_due_on"] is not None and plan["revisit_due_on"] < today,
        "survey_overdue": plan["survey_due_on"] is not None and plan["survey_due_on"] < today,
        "open_complaints": complaints,
        "care_events": care_events(
            scope=[account.pk], start=today, end=today + timedelta(days=CARE_WINDOW_DAYS)
        ),
        "change": _grade_change(account, all_tiers),
        "today": today,
    }


# --- Care events ------------------------------------------------------------------------------------


def care_events(*, scope, start: date, end: date, limit: int | None = None) -> list[dict]:
    """Birthdays of contacts, festivals and cooperation anniversaries from ``start`` to ``end`` for the
    accounts in scope whose tier includes them, in date order. One query."""
    festivals = festivals_between(start, end)
    month_days = month_days_between(start, end)
    plan, plan_params = plan_sql(scope, today=start, with_history=False)
    t = _tables()
    festival_keys = [festival.key for festival in festivals] or [""]
    festival_days = [festival.day for festival in festivals] or [None]
    festival_condition = " OR ".join(
        f"(f.key = '{key}' AND plan.{flag})" for key, flag in FESTIVAL_FLAGS.items()
    )
    sql = f"""
        WITH plan AS MATERIALIZED ({plan})
        SELECT * FROM (
            SELECT 'birthday' AS kind, plan.account_id, plan.name, plan.short_name, c.name AS person,
                   to_char(c.birthday, 'MM-DD') AS month_day, NULL::date AS day, NULL AS festival
            FROM plan JOIN {t["contact"]} c ON c.account_id = plan.account_id
            WHERE plan.care_birthday AND to_char(c.birthday, 'MM-DD') = ANY(%s)
            UNION ALL
            SELECT 'anniversary', plan.account_id, plan.name, plan.short_name, NULL,
                   to_char(plan.first_order_on, 'MM-DD'), NULL::date, NULL
            FROM plan
            WHERE plan.care_anniversary AND plan.first_order_on < %s
              AND to_char(plan.first_order_on, 'MM-DD') = ANY(%s)
            UNION ALL
            SELECT 'festival', plan.account_id, plan.name, plan.short_name, NULL, NULL, f.day, f.key
            FROM plan JOIN unnest(%s::text[], %s::date[]) AS f(key, day) ON ({festival_condition})
            WHERE plan.status <> 'lost'
        ) events
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    rows = _rows(
        sql, [*plan_params, month_days, start - timedelta(days=300), month_days, festival_keys, festival_days]
    )
    from .calendar import FESTIVAL_LABELS, next_occurrence

    for row in rows:
        if row["kind"] == "festival":
            row["label"] = FESTIVAL_LABELS[row["festival"]]
        else:
            month, day = (int(part) for part in row["month_day"].split("-"))
            row["day"] = next_occurrence(month, day, on_or_after=start)
            row["label"] = (
                _("Birthday of %(person)s") % {"person": row["person"]}
                if row["kind"] == "birthday"
                else _("Anniversary of our first order")
            )
    rows.sort(key=lambda row: (row["day"], row["kind"], row["account_id"]))
    return rows[:limit] if limit else rows


# --- My day -----------------------------------------------------------------------------------------


def _due_for(user, *, today: date, week_end: date) -> dict[str, tuple[list[dict], int]]:
    """Revisits due by today and surveys due this week for the accounts the user may see, the first
    MY_DAY_LIMIT of each with their totals: one statement, one plan computation."""
    plan, params = plan_sql(Account.objects.visible_to(user), today=today, with_first_order=False)
    sql = f"""
        WITH plan AS MATERIALIZED ({plan})
        (SELECT 'revisits' AS section, *, count(*) OVER () AS total FROM plan
         WHERE revisit_due_on <= %s ORDER BY revisit_due_on, account_id LIMIT {MY_DAY_LIMIT})
        UNION ALL
        (SELECT 'surveys' AS section, *, count(*) OVER () AS total FROM plan
         WHERE survey_due_on <= %s ORDER BY survey_due_on, account_id LIMIT {MY_DAY_LIMIT})
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    sections = {"revisits": ([], 0), "surveys": ([], 0)}
    for row in _rows(sql, [*params, today, week_end]):
        rows, _total = sections[row["section"]]
        rows.append(row)
        sections[row["section"]] = (rows, row["total"])
    return sections


def my_day(*, user, now: datetime | None = None) -> dict:
    """What is due today for the accounts this user may see: a fixed number of queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week_end = today + timedelta(days=6)
    due = _due_for(user, today=today, week_end=week_end)
    (revisits, revisits_total), (surveys, surveys_total) = due["revisits"], due["surveys"]
    complaints = list(
        Complaint.objects.visible_to(user)
        .filter(status__in=["open", "in_progress"])
        .select_related("account", "deadline")
        .order_by("deadline__resolve_by", "received_at")[:MY_DAY_LIMIT]
    )
    for complaint in complaints:
        deadline = getattr(complaint, "deadline", None)
        complaint.resolve_by = deadline.resolve_by if deadline else None
        complaint.remaining = (deadline.resolve_by - now) if deadline else None
        complaint.overdue = bool(deadline and deadline.resolve_by < now)
    alerts = list(
        alerts_for(user=user)
        .select_related("account", "responsible")
        .order_by("read_flag", "due_on", "pk")[:MY_DAY_LIMIT]
    )
    return {
        "today": today,
        "week_end": week_end,
        "revisits": revisits,
        "revisits_total": revisits_total,
        "surveys": surveys,
        "surveys_total": surveys_total,
        "complaints": complaints,
        "care_events": care_events(
            scope=Account.objects.visible_to(user), start=today, end=week_end, limit=MY_DAY_LIMIT
        ),
        "alerts": alerts,
    }


# --- Alerts -----------------------------------------------------------------------------------------


def alerts_for(*, user, status: str = Alert.Status.OPEN) -> QuerySet:
    """Alerts this user may see, annotated with whether this user has read them."""
    from django.db.models import Exists, OuterRef

    from .models import AlertRead

    return (
        Alert.objects.visible_to(user)
        .filter(status=status)
        .annotate(read_flag=Exists(AlertRead.objects.filter(alert=OuterRef("pk"), user_id=user.pk)))
    )


UNREAD_COUNT_SECONDS = 30


def unread_alert_count(*, user) -> int:
    """Open alerts the user may see and has not read: the navigation shows it on every page.

    Counting them takes ~50–100 ms for a director at 100k accounts, so the count is cached per user
    under the alerts version: opening, updating or closing an alert and marking one read drop every
    cached count at once (``alerts.alerts_changed``). A change of who may see an account (reassigned
    account, team membership) shows within UNREAD_COUNT_SECONDS."""
    key = f"service-tiers:unread-alerts:{user.pk}:{alerts_version()}"
    count = cache.get(key)
    if count is None:
        count = Alert.objects.visible_to(user).open().unread_by(user).count()
        cache.set(key, count, UNREAD_COUNT_SECONDS)
    return count


# --- Compliance -------------------------------------------------------------------------------------


def service_compliance(*, accounts: QuerySet, month: date) -> list[dict]:
    """Per account manager and tier, for one month (Asia/Shanghai), over ``accounts``: revisits due in the
    month and how many were done by their due date; complaints whose resolution deadline fell in the
    month and how many were resolved by it; surveys due in the month and how many were sent by their due
    date, and surveys sent in the month.

    ``accounts`` is the caller's scope and must start from ``Account.objects.visible_to(user)``: this
    app's page passes it as it is, the dashboard narrowed by its filters (region, team, industry,
    owner, grade).

    A revisit falls due ``cadence`` days after each visit or meeting; it is on time when the next visit
    or meeting came on or before that day. The tier is the account's current tier (the grade it is
    served by now); complaints use the tier fixed on their deadline.

    Only the history that can fall due in the month is read: visits between the longest and the
    shortest revisit cadence before the month, surveys sent in the calendar months one survey cadence
    before it (and in the month itself); whether the next visit or survey came in time is one index
    probe per item due. Only managers and tiers with something due or sent appear.

    The figures of the latest graded months are stored per account and summed here for the accounts
    nothing has changed for since; the changed accounts (or, after a tier or grade change, every
    account) are computed live (``compliance.py``).
    """
    rows = compliance_rows(accounts=accounts, month=month)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk({row["owner_id"] for row in rows})
    for row in rows:
        row["manager"] = users.get(row["owner_id"])
        for part in ("revisits", "complaints", "surveys"):
            due, on_time = row[f"{part}_due"], row[f"{part}_on_time"]
            row[f"{part}_share"] = round(on_time / due, 4) if due else None
    return rows
