# ruff: noqa: S608, E501 -- SQL text built from this module's own identifiers; every value is a query parameter
"""Risk alerts (风险预警): the rules of ``rules.py``, evaluated set-based in a few SQL statements.

Each rule is a SELECT producing the alerts that *should* be open now, one row per cause, with a
de-duplication key naming rule, account and cause. Synchronising is then three statements:

1. fix the deadlines of complaints that have none yet (opened outside ``complaint_open``: admin,
   imports, demo data), from the tier in force now;
2. close every open alert in scope whose key is no longer wanted (the cause is gone: visit logged,
   complaint resolved, invoice paid…);
3. insert the wanted alerts; a key that already has an open alert updates it in place (the partial
   unique index ``alert_one_open_per_cause`` makes a duplicate impossible, even for two runs at once).

A write re-evaluates exactly the accounts it touched (``alerts_follow``, in the writer's transaction);
the daily run evaluates every account for the passing of time. No page writes.
"""

from __future__ import annotations

import time
from datetime import date, datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.locks import advisory_lock

from . import rules
from .models import Alert
from .plans import RawScope, _tables, plan_sql, scope_sql
from .rules import FOLLOW_UP_DAYS

SYNC_LOCK = "alerts-sync"  # kam.locks: one synchronisation at a time

# The navigation's unread count is cached per user under the current alerts version (see
# selectors.unread_alert_count); every write to alerts or read marks moves to a new version.
ALERTS_VERSION_KEY = "service-tiers:alerts-version"


def alerts_version() -> int:
    return cache.get_or_set(ALERTS_VERSION_KEY, 1, timeout=None)


def alerts_changed() -> None:
    """Alerts or read marks changed: every cached unread count is dropped. Now, for the rest of this
    transaction, and again once it has committed: a page counting in between (from before the change)
    may have cached its count under the intermediate version."""

    def bump():
        try:
            cache.incr(ALERTS_VERSION_KEY)
        except ValueError:  # evicted: any new value differs from the versions cached counts were keyed by
            cache.set(ALERTS_VERSION_KEY, time.time_ns(), timeout=None)

    bump()
    transaction.on_commit(bump)


def desired_alerts_sql(scope=None, *, now: datetime) -> tuple[str, list]:
    """SELECT rule, account_id, dedup_key, due_on, responsible_id, details for every wanted alert."""
    today = timezone.localdate(now)
    t = _tables()
    plan, plan_params = plan_sql(scope, today=today)
    where_complaint, complaint_params = scope_sql(scope, "c.account_id")
    where_order, order_params = scope_sql(scope, "o.account_id")
    where_snapshot, snapshot_params = scope_sql(scope, "s.account_id")
    where_survey, survey_params = scope_sql(scope, "sv.account_id")
    tz = timezone.get_current_timezone_name()
    sql = f"""
        WITH plan AS MATERIALIZED ({plan})
        SELECT 'revisit_overdue' AS rule, account_id, 'revisit_overdue:' || account_id AS dedup_key,
               revisit_due_on AS due_on, owner_id AS responsible_id,
               jsonb_build_object('last_visit_on', last_visit_on, 'cadence_days', revisit_cadence_days,
                                  'tier', tier_key) AS details
        FROM plan WHERE {rules.revisit_overdue_sql("plan")}
        UNION ALL
        SELECT 'no_contact', account_id, 'no_contact:' || account_id, contact_due_on, owner_id,
               jsonb_build_object('last_interaction_on', last_interaction_on,
                                  'days', 2 * revisit_cadence_days, 'tier', tier_key)
        FROM plan WHERE {rules.no_contact_sql("plan")}
        UNION ALL
        SELECT 'complaint_overdue', c.account_id, 'complaint_overdue:' || c.id,
               (CASE WHEN d.resolve_by < %s THEN d.resolve_by ELSE d.respond_by END
                    AT TIME ZONE '{tz}')::date,
               a.owner_id,
               jsonb_build_object('complaint', c.id,
                                  'stage', CASE WHEN d.resolve_by < %s THEN 'resolution' ELSE 'response' END,
                                  'deadline', CASE WHEN d.resolve_by < %s THEN d.resolve_by
                                                   ELSE d.respond_by END)
        FROM {t["complaint"]} c
        JOIN {t["deadline"]} d ON d.complaint_id = c.id
        JOIN {t["account"]} a ON a.id = c.account_id
        WHERE {rules.complaint_overdue_sql("c", "d")} AND {where_complaint}
        UNION ALL
        SELECT 'invoice_overdue', o.account_id, 'invoice_overdue:' || o.account_id, min(o.due_date),
               min(a.owner_id),
               jsonb_build_object('invoices', count(*), 'amount', sum(o.amount)::text,
                                  'oldest_due_on', min(o.due_date))
        FROM {t["order"]} o JOIN {t["account"]} a ON a.id = o.account_id
        WHERE {rules.invoice_overdue_sql("o")} AND {where_order}
        GROUP BY o.account_id
        UNION ALL
        SELECT rule, account_id, rule || ':' || account_id || ':' || period, due_on, owner_id,
               jsonb_build_object('period', period, 'previous_period', previous_period,
                                  'grade', grade, 'previous_grade', previous_grade,
                                  'total', total::text, 'previous_total', previous_total::text)
        FROM (
            SELECT a.id AS account_id, a.owner_id, last.period, last.previous_period, last.grade,
                   last.previous_grade, last.total, last.previous_total,
                   (last.computed_at AT TIME ZONE '{tz}')::date + {FOLLOW_UP_DAYS} AS due_on,
                   unnest(ARRAY[
                       CASE WHEN {rules.grade_fell_sql("last.grade", "last.previous_grade")} THEN 'grade_fell' END,
                       CASE WHEN {rules.score_dropped_sql("last.total", "last.previous_total")} THEN 'score_dropped' END
                   ]) AS rule
            FROM (
                SELECT s.account_id, s.period, s.grade, s.total, s.computed_at,
                       lead(s.period) OVER latest_first AS previous_period,
                       lead(s.grade) OVER latest_first AS previous_grade,
                       lead(s.total) OVER latest_first AS previous_total,
                       row_number() OVER latest_first AS position
                FROM {t["snapshot"]} s
                WHERE {where_snapshot}
                WINDOW latest_first AS (PARTITION BY s.account_id ORDER BY s.period DESC)
            ) last
            JOIN {t["account"]} a ON a.id = last.account_id
            WHERE last.position = 1 AND last.previous_period IS NOT NULL AND {rules.at_risk_account_sql("a")}
        ) moves
        WHERE rule IS NOT NULL
        UNION ALL
        SELECT 'low_satisfaction', a.id, 'low_satisfaction:' || answered.id,
               answered.answered_on + {FOLLOW_UP_DAYS}, a.owner_id,
               jsonb_build_object('score', answered.score, 'answered_on', answered.answered_on)
        FROM (
            SELECT DISTINCT ON (sv.account_id) sv.account_id, sv.id, sv.score, sv.answered_on
            FROM {t["survey"]} sv
            WHERE sv.answered_on IS NOT NULL AND {where_survey}
            ORDER BY sv.account_id, sv.answered_on DESC, sv.id DESC
        ) answered
        JOIN {t["account"]} a ON a.id = answered.account_id
        WHERE {rules.low_satisfaction_sql("answered")} AND {rules.at_risk_account_sql("a")}
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    params = [
        *plan_params,
        today,
        today,
        now,
        now,
        now,
        now,
        now,
        *complaint_params,
        today,
        *order_params,
        *snapshot_params,
        *survey_params,
    ]
    return sql, params


def complaint_deadlines_fix_sql(scope=None, *, now: datetime, complaint_ids=None) -> tuple[str, list]:
    """INSERT the deadlines of complaints in scope that have none, from their account's tier now."""
    t = _tables()
    where_complaint, complaint_params = scope_sql(scope, "c.account_id")
    ids_condition, ids_params = ("TRUE", []) if complaint_ids is None else ("c.id = ANY(%s)", [complaint_ids])
    # The plan is computed only for the accounts that have a complaint without deadlines (usually none).
    pending = f"""
        SELECT c.account_id FROM {t["complaint"]} c
        WHERE NOT EXISTS (SELECT 1 FROM {t["deadline"]} d WHERE d.complaint_id = c.id)
          AND {where_complaint} AND {ids_condition}
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    plan, plan_params = plan_sql(
        RawScope(pending, [*complaint_params, *ids_params]), today=timezone.localdate(now)
    )
    sql = f"""
        INSERT INTO {t["deadline"]} (complaint_id, tier, respond_by, resolve_by, fixed_at)
        SELECT c.id, plan.tier_key,
               c.received_at + make_interval(hours => plan.complaint_response_hours),
               c.received_at + make_interval(hours => plan.complaint_resolution_hours),
               %s
        FROM {t["complaint"]} c
        JOIN ({plan}) plan ON plan.account_id = c.account_id
        WHERE NOT EXISTS (SELECT 1 FROM {t["deadline"]} d WHERE d.complaint_id = c.id)
          AND {where_complaint} AND {ids_condition}
        ON CONFLICT (complaint_id) DO NOTHING
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    return sql, [now, *plan_params, *complaint_params, *ids_params]


def alerts_sync(*, scope=None, now: datetime | None = None) -> dict:
    """Open, update and close alerts for the accounts in scope (None: all; else a list of ids). Returns
    the counts.

    The run over every account (the daily job) holds the sync lock alone; syncs of a few accounts (a
    write re-evaluating what it touched) share it, so they run side by side and wait only for it.
    """
    now = now or timezone.now()
    alert_table = Alert._meta.db_table
    wanted, wanted_params = desired_alerts_sql(scope, now=now)
    fix, fix_params = complaint_deadlines_fix_sql(scope, now=now)
    where_alert, alert_params = scope_sql(scope, "al.account_id")
    with advisory_lock(SYNC_LOCK, shared=scope is not None), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS wanted_alerts")
        cursor.execute(fix, fix_params)
        deadlines_fixed = cursor.rowcount
        cursor.execute(
            f"CREATE TEMPORARY TABLE wanted_alerts ON COMMIT DROP AS {wanted}",
            wanted_params,
        )
        cursor.execute("ANALYZE wanted_alerts")
        cursor.execute(
            f"""
            UPDATE {alert_table} al SET status = 'closed', closed_at = %s
            WHERE al.status = 'open' AND {where_alert}
              AND NOT EXISTS (SELECT 1 FROM wanted_alerts w WHERE w.dedup_key = al.dedup_key)
            """,  # noqa: S608 -- identifiers come from the code; every value is a query parameter
            [now, *alert_params],
        )
        closed = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {alert_table} AS al
                (rule, account_id, dedup_key, due_on, responsible_id, details, status, opened_at)
            SELECT rule, account_id, dedup_key, due_on, responsible_id, details, 'open', %s
            FROM wanted_alerts w
            -- the steady state: most wanted alerts are open already, unchanged; skip them in one pass
            WHERE NOT EXISTS (
                SELECT 1 FROM {alert_table} same
                WHERE same.status = 'open' AND same.dedup_key = w.dedup_key AND same.due_on = w.due_on
                  AND same.responsible_id = w.responsible_id AND same.details = w.details
            )
            ORDER BY account_id
            ON CONFLICT (dedup_key) WHERE status = 'open' DO UPDATE
                SET due_on = EXCLUDED.due_on, responsible_id = EXCLUDED.responsible_id,
                    details = EXCLUDED.details
                WHERE (al.due_on, al.responsible_id, al.details)
                      IS DISTINCT FROM (EXCLUDED.due_on, EXCLUDED.responsible_id, EXCLUDED.details)
            RETURNING (xmax = 0)
            """,  # noqa: S608 -- identifiers come from the code; every value is a query parameter
            [now],
        )
        changes = [inserted for (inserted,) in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM wanted_alerts")
        (still_open,) = cursor.fetchone()
        # Dropped now, not at commit: a request or a test may synchronise twice in one transaction.
        cursor.execute("DROP TABLE wanted_alerts")
        if closed or changes:
            alerts_changed()
    return {
        "opened": sum(1 for inserted in changes if inserted),
        "updated": sum(1 for inserted in changes if not inserted),
        "closed": closed,
        "open": still_open,
        "deadlines_fixed": deadlines_fixed,
    }


# --- Messages: written in the reader's language when shown -----------------------------------------


def _day(value) -> str:
    if not value:
        return _("never")
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return date_format(value, "Y-m-d")


def alert_message(alert: Alert) -> str:
    details = alert.details or {}
    rule = alert.rule
    if rule == Alert.Rule.REVISIT_OVERDUE:
        return _("Revisit overdue: last visit or meeting %(last)s, due every %(days)s days.") % {
            "last": _day(details.get("last_visit_on")),
            "days": details.get("cadence_days"),
        }
    if rule == Alert.Rule.NO_CONTACT:
        return _("No contact for more than %(days)s days (last interaction %(last)s).") % {
            "days": details.get("days"),
            "last": _day(details.get("last_interaction_on")),
        }
    if rule == Alert.Rule.COMPLAINT_OVERDUE:
        deadline = details.get("deadline")
        when = (
            date_format(timezone.localtime(datetime.fromisoformat(deadline)), "Y-m-d H:i") if deadline else ""
        )
        if details.get("stage") == "response":
            return _("Complaint not taken in hand by its response deadline (%(when)s).") % {"when": when}
        return _("Complaint not resolved by its deadline (%(when)s).") % {"when": when}
    if rule == Alert.Rule.INVOICE_OVERDUE:
        return ngettext(
            "%(count)s unpaid invoice past due, ¥%(amount)s; due %(due)s.",
            "%(count)s unpaid invoices past due, ¥%(amount)s; oldest due %(due)s.",
            details.get("invoices") or 0,
        ) % {
            "count": details.get("invoices"),
            "amount": details.get("amount"),
            "due": _day(details.get("oldest_due_on")),
        }
    if rule == Alert.Rule.GRADE_FELL:
        return _("Grade fell from %(old)s to %(new)s.") % {
            "old": details.get("previous_grade"),
            "new": details.get("grade"),
        }
    if rule == Alert.Rule.SCORE_DROPPED:
        return _("Score dropped from %(old)s to %(new)s.") % {
            "old": details.get("previous_total"),
            "new": details.get("total"),
        }
    if rule == Alert.Rule.LOW_SATISFACTION:
        return _("Satisfaction score %(score)s/10 on %(day)s.") % {
            "score": details.get("score"),
            "day": _day(details.get("answered_on")),
        }
    return str(alert.get_rule_display())


def alert_anchor(alert: Alert) -> str:
    """Where on the account page the alert is acted on."""
    if alert.rule == Alert.Rule.COMPLAINT_OVERDUE:
        return "#complaints"
    if alert.rule == Alert.Rule.INVOICE_OVERDUE:
        return "#orders"
    return "#activity"
