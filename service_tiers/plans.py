# ruff: noqa: S608, E501 -- SQL text built from this module's own identifiers; every value is a query parameter
"""Service plans as SQL: one statement gives every account in a scope its tier and what is due.

The plan of an account is derived, never stored, from:

- its effective grade: a director's override in force, else the computed grade of its latest grade
  snapshot (scoring app), else C ("not graded yet, served as C"); a blacklisted account is served by
  the blacklist tier whatever its grade;
- the tier of that grade (``ServiceTier``), as it is now: a tier change applies to every plan at once;
- its history: the last visit or meeting (next revisit due after the tier's cadence), the last
  interaction of any kind, the last satisfaction survey sent.

Revisits and surveys are planned for served accounts (active or dormant); prospects and lost accounts
have none. Dates are days in Asia/Shanghai (the project's TIME_ZONE).

The same statement serves the account page (a scope of one account), My day (the accounts a user may
see) and the daily alert run (every account), so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Account, Complaint, Contact, Interaction, Order, SatisfactionSurvey

from . import rules
from .models import ComplaintDeadline, ServiceTier


def _tables() -> dict:
    from scoring.models import GradeOverride, GradeSnapshot

    return {
        "account": Account._meta.db_table,
        "interaction": Interaction._meta.db_table,
        "survey": SatisfactionSurvey._meta.db_table,
        "order": Order._meta.db_table,
        "contact": Contact._meta.db_table,
        "complaint": Complaint._meta.db_table,
        "deadline": ComplaintDeadline._meta.db_table,
        "tier": ServiceTier._meta.db_table,
        "snapshot": GradeSnapshot._meta.db_table,
        "override": GradeOverride._meta.db_table,
    }


@dataclass(frozen=True)
class RawScope:
    """A scope given as a SELECT of account ids (written in this app, with its parameters)."""

    sql: str
    params: list


def scope_sql(scope: QuerySet | RawScope | list[int] | None, column: str = "a.id") -> tuple[str, list]:
    """A SQL condition restricting ``column`` to a scope of accounts: every account (None), a list of
    ids, an account queryset (typically ``Account.objects.visible_to(user)``) or a RawScope."""
    if scope is None:
        return "TRUE", []
    if isinstance(scope, RawScope):
        return f"{column} IN ({scope.sql})", list(scope.params)
    if isinstance(scope, QuerySet):
        sql, params = scope.order_by().values("pk").query.sql_with_params()
        return f"{column} IN ({sql})", list(params)
    return f"{column} = ANY(%s)", [list(scope)]


def _history_joins(scope, t: dict, *, with_history: bool) -> tuple[str, list]:
    """The joins giving each account its latest snapshot, last visit, last interaction, last survey
    (the first order, for anniversaries, is looked up by the care events of the tiers that have them).

    Over every account (the daily run) each table is aggregated in one pass, which is much cheaper
    than 100k index probes; for a scope (a user's book, one account) the accounts are filtered first
    (``OFFSET 0`` keeps the planner from postponing the filter) and each is probed through its index.
    Without history (care events need only the tier) the visit and survey columns are empty.
    """
    # Nearly every account has a snapshot of the latest graded month: those are joined in one pass (an
    # index probe each for a small scope, a hash join of one month for a large one); only the others look
    # for their own latest snapshot (sorting all 2.1M snapshots at 100k accounts took seconds).
    snapshot = f"""LEFT JOIN {t["snapshot"]} latest
                ON latest.account_id = a.id AND latest.period = (SELECT max(period) FROM {t["snapshot"]})
            LEFT JOIN LATERAL (
                SELECT s.computed_grade, s.grade, s.period FROM {t["snapshot"]} s
                WHERE latest.id IS NULL AND s.account_id = a.id ORDER BY s.period DESC LIMIT 1
            ) older ON TRUE
            CROSS JOIN LATERAL (
                SELECT COALESCE(latest.computed_grade, older.computed_grade) AS computed_grade,
                       COALESCE(latest.grade, older.grade) AS grade,
                       COALESCE(latest.period, older.period) AS period
            ) snap"""
    bulk = scope is None
    if bulk:
        where, params = "TRUE", []
        accounts = f"{t['account']} a"
        history = f"""LEFT JOIN (
                SELECT i.account_id, max(i.occurred_at) FILTER (WHERE {rules.visit_sql("i")}) AS visit_at,
                       max(i.occurred_at) AS contact_at
                FROM {t["interaction"]} i GROUP BY i.account_id
            ) history ON history.account_id = a.id
            LEFT JOIN (
                SELECT sv.account_id, max(sv.sent_on) AS sent_on FROM {t["survey"]} sv GROUP BY sv.account_id
            ) survey ON survey.account_id = a.id"""
    else:
        where, params = scope_sql(scope)
        accounts = f"(SELECT * FROM {t['account']} a WHERE {where} OFFSET 0) a"
        history = f"""LEFT JOIN LATERAL (
                SELECT
                    (SELECT i.occurred_at FROM {t["interaction"]} i
                     WHERE i.account_id = a.id AND {rules.visit_sql("i")}
                     ORDER BY i.occurred_at DESC LIMIT 1) AS visit_at,
                    (SELECT i.occurred_at FROM {t["interaction"]} i
                     WHERE i.account_id = a.id ORDER BY i.occurred_at DESC LIMIT 1) AS contact_at
            ) history ON TRUE
            LEFT JOIN LATERAL (
                SELECT sv.sent_on FROM {t["survey"]} sv
                WHERE sv.account_id = a.id ORDER BY sv.sent_on DESC LIMIT 1
            ) survey ON TRUE"""
    if not with_history:
        history = """LEFT JOIN (SELECT NULL::timestamptz AS visit_at, NULL::timestamptz AS contact_at) history ON TRUE
            LEFT JOIN (SELECT NULL::date AS sent_on) survey ON TRUE"""
    return (
        f"FROM {accounts}\n            {snapshot}\n            {history}",
        params,
    )


def plan_sql(scope=None, *, today: date, with_history: bool = True) -> tuple[str, list]:
    """SELECT one row per account in scope with its plan (tier figures and due dates)."""
    tz = settings.TIME_ZONE
    t = _tables()
    joins, params = _history_joins(scope, t, with_history=with_history)
    sql = f"""
        SELECT p.*,
               t.revisit_cadence_days, t.survey_cadence_months, t.complaint_response_hours,
               t.complaint_resolution_hours, t.care_birthday, t.care_spring_festival, t.care_dragon_boat,
               t.care_mid_autumn, t.care_anniversary, t.service_priority, t.dedicated_manager,
               {rules.revisit_due_sql("p", "t")} AS revisit_due_on,
               {rules.contact_due_sql("p", "t")} AS contact_due_on,
               {rules.survey_due_sql("p", "t")} AS survey_due_on
        FROM (
            SELECT a.id AS account_id, a.name, a.short_name, a.owner_id, a.status,
                   {rules.served_sql("a")} AS served,
                   (a.created_at AT TIME ZONE '{tz}')::date AS created_on,
                   snap.computed_grade, snap.grade AS snapshot_grade, snap.period AS graded_period,
                   ovr.grade AS override_grade,
                   {rules.effective_grade_sql(override="ovr", snapshot="snap")} AS grade,
                   {rules.tier_key_sql(account="a", override="ovr", snapshot="snap")} AS tier_key,
                   (history.visit_at AT TIME ZONE '{tz}')::date AS last_visit_on,
                   (history.contact_at AT TIME ZONE '{tz}')::date AS last_interaction_on,
                   survey.sent_on AS last_survey_on
            {joins}
            LEFT JOIN {t["override"]} ovr
                ON ovr.account_id = a.id AND {rules.override_in_force_sql("ovr")}
        ) p
        -- Every account has a tier (the tiers table is only empty when emptied by hand). An inner join
        -- would be estimated at a few rows for 100k accounts and the statements built on this plan
        -- would probe their tables once per account; a left join keeps the estimate, and the condition
        -- (written so that PostgreSQL keeps the left join) drops accounts without a tier.
        LEFT JOIN {t["tier"]} t ON t.key = p.tier_key
        WHERE COALESCE(t.key, '') <> ''
    """  # noqa: S608 -- identifiers come from the code; every value is a query parameter
    return sql, [*params, today]
