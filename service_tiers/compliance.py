# ruff: noqa: S608 -- SQL text built from this module's own identifiers; every value is a query parameter
"""Service compliance (revisits, complaints, surveys due in a month and done in time), computed live.

``compliance_sql`` gives the figures of one month per account manager and tier over a scope of
accounts, from the sources, in one statement. There is no stored copy, no change log and no trigger:
what a page shows is what the data says at that moment (the triggers, change logs and stored-plus-live
reads of earlier versions were dropped by migration 0009).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import rules
from .plans import RawScope, _tables, plan_sql

COUNTS = (
    "revisits_due",
    "revisits_on_time",
    "complaints_due",
    "complaints_on_time",
    "surveys_due",
    "surveys_on_time",
    "surveys_sent",
)


def _month_bounds(month: date):
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        start,
        end,
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end, time.min, tzinfo=zone),
    )


def compliance_sql(scope, *, month: date, key: str, today: date) -> tuple[str, list]:
    """Per ``key`` (``owner_id``, or ``account_id`` for tests) and tier, for one month (Asia/Shanghai),
    over the accounts in ``scope`` (see ``plans.scope_sql``; None: every account). The rules are those
    of ``selectors.service_compliance``."""
    assert key in ("owner_id", "account_id")
    start, end, start_at, end_at = _month_bounds(month)
    plan, plan_params = plan_sql(scope, today=today, with_history=False)
    t = _tables()
    tz = timezone.get_current_timezone_name()
    visit_kinds = rules.sql_list(rules.VISIT_KINDS)
    params = [
        *plan_params,
        start,
        end,
        start,
        start,
        start,
        end,
        start_at,
        end_at,
        start,
        end,
        start,
        end,
        start,
        end,
    ]
    return _sql(plan, t, tz, visit_kinds, key), params


def _sql(plan, t, tz, visit_kinds, key) -> str:
    return f"""
        WITH plan AS MATERIALIZED (
            SELECT account_id, owner_id, served, tier_key, revisit_cadence_days, survey_cadence_months
            FROM ({plan}) full_plan
        ),
        -- Visits whose revisit can fall due in the month: from the longest cadence before it to the
        -- shortest before its end.
        visit_window AS MATERIALIZED (
            SELECT (%s::date - max(revisit_cadence_days))::timestamp AT TIME ZONE '{tz}' AS visits_from,
                   (%s::date - min(revisit_cadence_days))::timestamp AT TIME ZONE '{tz}' AS visits_until
            FROM {t["tier"]}
        ),
        -- The calendar months whose surveys can fall due in this month (one per survey cadence) and the
        -- month itself (surveys sent).
        survey_months AS MATERIALIZED (
            SELECT array_agg((%s::date - make_interval(months => survey_cadence_months))::date) || %s::date
                AS first_days
            FROM {t["tier"]} WHERE survey_cadence_months IS NOT NULL
        ),
        due_visits AS (
            SELECT plan.{key}, plan.tier_key,
                   -- On time: a later visit or meeting (in time order, ties by id) by the due day.
                   EXISTS (
                       SELECT 1 FROM {t["interaction"]} n
                       WHERE n.account_id = i.account_id AND n.kind IN {visit_kinds}
                         AND n.occurred_at >= i.occurred_at AND (n.occurred_at, n.id) > (i.occurred_at, i.id)
                         AND n.occurred_at < (v.due_on + 1)::timestamp AT TIME ZONE '{tz}'
                   ) AS on_time
            FROM {t["interaction"]} i
            JOIN plan ON plan.account_id = i.account_id
            CROSS JOIN LATERAL (
                SELECT (i.occurred_at AT TIME ZONE '{tz}')::date + plan.revisit_cadence_days AS due_on
            ) v
            WHERE i.kind IN {visit_kinds}
              AND i.occurred_at >= (SELECT visits_from FROM visit_window)
              AND i.occurred_at < (SELECT visits_until FROM visit_window)
              AND plan.served AND v.due_on >= %s AND v.due_on < %s
        ),
        revisits AS (
            SELECT {key}, tier_key, count(*) AS due, count(*) FILTER (WHERE on_time) AS on_time
            FROM due_visits GROUP BY 1, 2
        ),
        complaints AS (
            SELECT plan.{key}, d.tier AS tier_key, count(*) AS due,
                   count(*) FILTER (WHERE c.resolved_at IS NOT NULL AND c.resolved_at <= d.resolve_by)
                       AS on_time
            FROM {t["complaint"]} c JOIN {t["deadline"]} d ON d.complaint_id = c.id
            JOIN plan ON plan.account_id = c.account_id
            WHERE d.resolve_by >= %s AND d.resolve_by < %s
            GROUP BY 1, 2
        ),
        survey_rows AS (
            SELECT plan.{key}, plan.tier_key, s.sent_on, d.due_on,
                   d.due_on >= %s AND d.due_on < %s AS due,
                   -- On time: the next survey (by date, ties by id) was sent by the due day.
                   d.due_on >= %s AND d.due_on < %s AND EXISTS (
                       SELECT 1 FROM {t["survey"]} n
                       WHERE n.account_id = s.account_id AND n.sent_on >= s.sent_on
                         AND (n.sent_on, n.id) > (s.sent_on, s.id) AND n.sent_on <= d.due_on
                   ) AS on_time
            FROM {t["survey"]} s
            JOIN plan ON plan.account_id = s.account_id
            CROSS JOIN LATERAL (
                SELECT (s.sent_on + make_interval(months => plan.survey_cadence_months))::date AS due_on
            ) d
            WHERE date_trunc('month', s.sent_on)::date = ANY ((SELECT first_days FROM survey_months)::date[])
              AND plan.served AND plan.survey_cadence_months IS NOT NULL
        ),
        surveys AS (
            SELECT {key}, tier_key,
                   count(*) FILTER (WHERE due) AS due,
                   count(*) FILTER (WHERE on_time) AS on_time,
                   count(*) FILTER (WHERE sent_on >= %s AND sent_on < %s) AS sent
            FROM survey_rows
            GROUP BY 1, 2
        )
        SELECT {key}, tier_key,
               COALESCE(r.due, 0) AS revisits_due, COALESCE(r.on_time, 0) AS revisits_on_time,
               COALESCE(c.due, 0) AS complaints_due, COALESCE(c.on_time, 0) AS complaints_on_time,
               COALESCE(s.due, 0) AS surveys_due, COALESCE(s.on_time, 0) AS surveys_on_time,
               COALESCE(s.sent, 0) AS surveys_sent
        FROM revisits r
        FULL JOIN complaints c USING ({key}, tier_key)
        FULL JOIN surveys s USING ({key}, tier_key)
        WHERE COALESCE(r.due, 0) + COALESCE(c.due, 0) + COALESCE(s.due, 0) + COALESCE(s.sent, 0) > 0
        ORDER BY {key}, tier_key
    """


def compliance_rows(*, accounts, month: date, today: date | None = None) -> list[dict]:
    """Per account manager and tier, computed from the sources (see ``selectors.service_compliance``)."""
    return compliance_live_rows(accounts=accounts, month=month, today=today or timezone.localdate())


def compliance_live_rows(*, accounts: QuerySet | RawScope | None, month: date, today: date) -> list[dict]:
    """Per account manager and tier, computed from the sources."""
    sql, params = compliance_sql(accounts, month=month.replace(day=1), key="owner_id", today=today)
    return _rows(sql, params)


def _rows(sql: str, params) -> list[dict]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
