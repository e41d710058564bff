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

from . import rules
from .alerts import alerts_version
from .calendar import FESTIVAL_FLAGS, festivals_between, month_days_between, next_occurrence
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


def plans_by_account(*, account_ids: list[int], today: date | None = None) -> dict[int, dict]:
    """Grade, last visit and next revisit of a page of accounts the caller may see (one statement,
    the same plan as My day and the account page)."""
    if not account_ids:
        return {}
    sql, params = plan_sql(list(account_ids), today=today or timezone.localdate())
    return {row["account_id"]: row for row in _rows(sql, params)}


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
        Complaint.objects.filter(account=account, status__in=rules.OPEN_COMPLAINT_STATUSES)
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

CARE_COLUMNS = "kind, account_id, name, short_name, person, day, festival"


def _care_events_sql(plan: str, *, start: date, end: date) -> tuple[str, list]:
    """SELECT the care events (CARE_COLUMNS) of the accounts of the ``plan`` relation from ``start`` to
    ``end``: contacts' birthdays and cooperation anniversaries (a window is shorter than a year, so each
    month and day has one date in it) and festivals, for the tiers that include them."""
    festivals = festivals_between(start, end)
    month_days = {}  # month * 100 + day → its date in the window (the index contact_birthday_month_day)
    for month_day in month_days_between(start, end):
        month, day = (int(part) for part in month_day.split("-"))
        month_days[month * 100 + day] = next_occurrence(month, day, on_or_after=start)
    t = _tables()
    festival_keys = [festival.key for festival in festivals] or [""]
    festival_days = [festival.day for festival in festivals] or [None]
    festival_condition = " OR ".join(
        f"(f.key = '{key}' AND {plan}.{flag})" for key, flag in FESTIVAL_FLAGS.items()
    )
    sql = f"""
        SELECT 'birthday' AS kind, {plan}.account_id, {plan}.name, {plan}.short_name, c.name AS person,
               md.day, NULL AS festival
        FROM {plan} JOIN {t["contact"]} c ON c.account_id = {plan}.account_id
        JOIN unnest(%s::int[], %s::date[]) AS md(month_day, day)
          ON md.month_day = EXTRACT(MONTH FROM c.birthday) * 100 + EXTRACT(DAY FROM c.birthday)
        WHERE {plan}.care_birthday
        UNION ALL
        SELECT 'anniversary', {plan}.account_id, {plan}.name, {plan}.short_name, NULL, md.day, NULL
        FROM {plan}
        -- the first order is looked up only for the tiers that celebrate it
        CROSS JOIN LATERAL (
            SELECT o.order_date FROM {t["order"]} o
            WHERE o.account_id = {plan}.account_id ORDER BY o.order_date LIMIT 1
        ) first_order
        JOIN unnest(%s::int[], %s::date[]) AS md(month_day, day)
          ON md.month_day = EXTRACT(MONTH FROM first_order.order_date) * 100
                            + EXTRACT(DAY FROM first_order.order_date)
        WHERE {plan}.care_anniversary AND first_order.order_date < %s
        UNION ALL
        SELECT 'festival', {plan}.account_id, {plan}.name, {plan}.short_name, NULL, f.day, f.key
        FROM {plan} JOIN unnest(%s::text[], %s::date[]) AS f(key, day) ON ({festival_condition})
        WHERE {plan}.status <> 'lost'
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    keys, days = list(month_days), list(month_days.values())
    return sql, [keys, days, keys, days, start - timedelta(days=300), festival_keys, festival_days]


def _care_event(row: dict) -> dict:
    from .calendar import FESTIVAL_LABELS

    if row["kind"] == "festival":
        row["label"] = FESTIVAL_LABELS[row["festival"]]
    elif row["kind"] == "birthday":
        row["label"] = _("Birthday of %(person)s") % {"person": row["person"]}
    else:
        row["label"] = _("Anniversary of our first order")
    return row


def care_events(*, scope, start: date, end: date, limit: int | None = None) -> list[dict]:
    """Birthdays of contacts, festivals and cooperation anniversaries from ``start`` to ``end`` for the
    accounts in scope whose tier includes them, in date order. One query."""
    plan, plan_params = plan_sql(scope, today=start, with_history=False)
    events, event_params = _care_events_sql("plan", start=start, end=end)
    sql = f"""
        WITH plan AS MATERIALIZED ({plan})
        SELECT {CARE_COLUMNS} FROM ({events}) events ORDER BY day, kind, account_id {_limit(limit)}
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    return [_care_event(row) for row in _rows(sql, [*plan_params, *event_params])]


def _limit(limit: int | None) -> str:
    return f"LIMIT {int(limit)}" if limit else ""


# --- My day -----------------------------------------------------------------------------------------


def visible_account_ids(user) -> list[int]:
    """The ids of the accounts a user may see, resolved first: passed on as one array parameter, they
    give the planner the scope's true size (several OR'd subqueries are estimated at 50 times too many
    accounts, which chose a scan of every snapshot)."""
    return list(Account.objects.visible_to(user).order_by().values_list("pk", flat=True))


def _my_day_plan(scope: list[int], *, today: date, week_end: date) -> dict[str, tuple[list[dict], int]]:
    """Revisits due by today, surveys due this week (the first MY_DAY_LIMIT with their totals) and the
    care events of the week, from ONE computation of the plan: one statement."""
    plan, params = plan_sql(scope, today=today)
    events, event_params = _care_events_sql("plan", start=today, end=week_end)
    sql = f"""
        WITH plan AS MATERIALIZED ({plan})
        (SELECT 'revisits' AS section, account_id, name, short_name, tier_key, revisit_due_on AS due_on,
                last_visit_on AS last_on, count(*) OVER () AS total, NULL AS person, NULL AS festival,
                NULL AS kind
         FROM plan WHERE revisit_due_on <= %s ORDER BY revisit_due_on, account_id LIMIT {MY_DAY_LIMIT})
        UNION ALL
        (SELECT 'surveys', account_id, name, short_name, tier_key, survey_due_on, last_survey_on,
                count(*) OVER (), NULL, NULL, NULL
         FROM plan WHERE survey_due_on <= %s ORDER BY survey_due_on, account_id LIMIT {MY_DAY_LIMIT})
        UNION ALL
        (SELECT 'care', account_id, name, short_name, NULL, day, NULL, count(*) OVER (),
                person, festival, kind
         FROM ({events}) events ORDER BY day, kind, account_id LIMIT {MY_DAY_LIMIT})
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    sections = {"revisits": ([], 0), "surveys": ([], 0), "care": ([], 0)}
    for row in _rows(sql, [*params, today, week_end, *event_params]):
        rows, _total = sections[row["section"]]
        if row["section"] == "revisits":
            row["revisit_due_on"], row["last_visit_on"] = row["due_on"], row["last_on"]
        elif row["section"] == "surveys":
            row["survey_due_on"], row["last_survey_on"] = row["due_on"], row["last_on"]
        else:
            row["day"] = row["due_on"]
            _care_event(row)
        rows.append(row)
        sections[row["section"]] = (rows, row["total"])
    return sections


def my_day(*, user, now: datetime | None = None) -> dict:
    """What is due today for the accounts this user may see: a fixed number of queries, no write."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week_end = today + timedelta(days=6)
    scope = visible_account_ids(user)
    due = _my_day_plan(scope, today=today, week_end=week_end)
    (revisits, revisits_total), (surveys, surveys_total) = due["revisits"], due["surveys"]
    complaints = list(
        Complaint.objects.filter(account_id__any=scope, status__in=rules.OPEN_COMPLAINT_STATUSES)
        .select_related("account", "deadline")
        .order_by("deadline__resolve_by", "received_at")[:MY_DAY_LIMIT]
    )
    for complaint in complaints:
        deadline = getattr(complaint, "deadline", None)
        complaint.resolve_by = deadline.resolve_by if deadline else None
        complaint.remaining = (deadline.resolve_by - now) if deadline else None
        complaint.overdue = bool(deadline and deadline.resolve_by < now)
    # The first alerts are picked from the alerts alone, then joined: a large book has 20k open alerts.
    first = list(
        alerts_for(user=user, scope=scope)
        .order_by("read_flag", "due_on", "pk")
        .values_list("pk", flat=True)[:MY_DAY_LIMIT]
    )
    joined = (
        alerts_for(user=user, scope=None, ids=first).select_related("account", "responsible").in_bulk(first)
    )
    alerts = [joined[pk] for pk in first if pk in joined]
    return {
        "today": today,
        "week_end": week_end,
        "revisits": revisits,
        "revisits_total": revisits_total,
        "surveys": surveys,
        "surveys_total": surveys_total,
        "complaints": complaints,
        "care_events": due["care"][0],
        "alerts": alerts,
    }


# --- Alerts -----------------------------------------------------------------------------------------


def alerts_for(
    *, user, status: str = Alert.Status.OPEN, scope: list[int] | None = None, ids: list[int] | None = None
) -> QuerySet:
    """Alerts this user may see (``scope``: their visible account ids, when already resolved; ``ids``:
    alerts already picked from those), annotated with whether this user has read them."""
    from django.db.models import Exists, OuterRef

    from .models import AlertRead

    alerts = (
        Alert.objects.filter(account_id__in=scope) if scope is not None else Alert.objects.visible_to(user)
    )
    return alerts.filter(status=status).annotate(
        read_flag=Exists(AlertRead.objects.filter(alert=OuterRef("pk"), user_id=user.pk))
    )


def alert_groups(*, user, alerts: list) -> list[dict]:
    """My day's alerts grouped by cause, most urgent cause first: the count of every open alert of the
    cause (one query) with the first few of them (those My day already picked)."""
    from django.db.models import Count

    counts = dict(alerts_for(user=user).order_by().values_list("rule").annotate(n=Count("pk")))
    labels = dict(Alert.Rule.choices)
    return [
        {
            "rule": rule,
            "label": labels[rule],
            "count": counts[rule],
            "alerts": [alert for alert in alerts if alert.rule == rule],
        }
        for rule in ALERT_URGENCY
        if counts.get(rule)
    ]


# Most urgent first: a complaint past its deadline or an unpaid invoice costs the customer now; a
# visit due can wait a day.
ALERT_URGENCY = [
    Alert.Rule.COMPLAINT_OVERDUE,
    Alert.Rule.INVOICE_OVERDUE,
    Alert.Rule.GRADE_FELL,
    Alert.Rule.SCORE_DROPPED,
    Alert.Rule.LOW_SATISFACTION,
    Alert.Rule.REVISIT_OVERDUE,
    Alert.Rule.NO_CONTACT,
]


def alert_list(*, user, status: str, rule: str = "", responsible=None) -> QuerySet:
    """The alerts page: unread first, then the most urgent cause, then the newest."""
    from django.db.models import Case, IntegerField, Value, When

    alerts = alerts_for(user=user, status=status).select_related("account", "responsible")
    if rule:
        alerts = alerts.filter(rule=rule)
    if responsible is not None:
        alerts = alerts.filter(responsible=responsible)
    urgency = Case(
        *(When(rule=key, then=Value(rank)) for rank, key in enumerate(ALERT_URGENCY)),
        default=Value(len(ALERT_URGENCY)),
        output_field=IntegerField(),
    )
    return alerts.alias(urgency=urgency).order_by("read_flag", "urgency", "-opened_at", "-pk")


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

    Computed live from the sources, in one statement (``compliance.py``).
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
