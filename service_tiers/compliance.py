# ruff: noqa: S608 -- SQL text built from this module's own identifiers; every value is a query parameter
"""Service compliance (revisits, complaints, surveys due in a month and done in time) as SQL, and the
per-account figures that answer it quickly at 100k accounts.

``compliance_sql`` gives the figures of one month per (key, tier) over a scope of accounts, key being
the account manager (what the pages show) or the account (what ``ComplianceFigure`` stores). Computed
live it reads every visible account's tier and the visits, complaints and surveys that can fall due:
0.6–1 s for a director or an administrator at 100k accounts. ``compliance_refresh`` stores the
per-account figures of the latest graded months; ``service_compliance`` sums them per manager over the
caller's scope (the owner read at that moment) when they are fresh, and computes live otherwise.

*Fresh* is exact, not a time-to-live: the figures of a month are built in one statement, which records
its database snapshot (``pg_current_snapshot()``). Triggers record the transaction id of every change to
what the figures are computed from. Visits and other interactions, surveys, complaints, complaint
deadlines and account statuses record it with each account they touch (migration 0006): a change whose
transaction is not visible in the recorded snapshot committed after the build, and that account's
stored figures are stale. Service tiers, grade snapshots and grade overrides record the transaction
alone (migration 0004): every account's figures are stale. An override that expired since the day of
the build changes a tier without a write: every account's figures are stale too. The building
transaction's own earlier changes are in the figures (its id is recorded); a change it makes after
building drops the refresh records at once.

Managers log visits all day, so a month is rarely untouched: ``compliance_read`` sums the stored
figures of the accounts in scope that did not change and computes the changed ones live, both in one
statement (one snapshot), which is the live computation exactly since every figure is a sum over
accounts. Past ``LIVE_ACCOUNTS_LIMIT`` changed accounts it computes everything live. The scheduled
rebuild runs whenever anything changed, so the changed set stays small; each rebuild prunes the change
logs down to what its snapshot cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import ComplianceFigure, ComplianceRefresh
from .plans import RawScope, _tables, plan_sql, scope_sql

COUNTS = (
    "revisits_due",
    "revisits_on_time",
    "complaints_due",
    "complaints_on_time",
    "surveys_due",
    "surveys_on_time",
    "surveys_sent",
)
CHANGES = "service_tiers_compliancechange"  # created with its triggers by migration 0004
ACCOUNT_CHANGES = "service_tiers_complianceaccountchange"  # created with its triggers by migration 0006
# Past this many changed accounts (a bulk import) compute everything live: the live part grows with them
# (at 100k accounts, 20 changed: 0.09 s for an administrator; 2,000: 0.2 s; everything live: 0.8 s).
LIVE_ACCOUNTS_LIMIT = 2000
REFRESHED_MONTHS = 3  # the latest graded months: the dashboard opens on the latest


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
    """Per ``key`` (``owner_id`` or ``account_id``) and tier, for one month (Asia/Shanghai), over the
    accounts in ``scope`` (see ``plans.scope_sql``; None: every account). The rules are those of
    ``selectors.service_compliance``."""
    assert key in ("owner_id", "account_id")
    start, end, start_at, end_at = _month_bounds(month)
    plan, plan_params = plan_sql(scope, today=today, with_first_order=False, with_history=False)
    t = _tables()
    tz = timezone.get_current_timezone_name()
    visit_kinds = "('visit', 'meeting')"
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


def _unseen(refresh: str) -> str:
    """Condition on a change log row ``c``: committed after the build ``refresh`` records."""
    return f"""c.xid >= pg_snapshot_xmin({refresh}.snapshot::pg_snapshot)
        AND NOT pg_visible_in_snapshot(c.xid, {refresh}.snapshot::pg_snapshot)
        AND c.xid <> {refresh}.building_xid::text::xid8"""


def _changed_accounts_sql() -> str:
    """The accounts changed since the build of one month (parameter: the month)."""
    return f"""
        SELECT DISTINCT c.account_id
        FROM {ComplianceRefresh._meta.db_table} r JOIN {ACCOUNT_CHANGES} c ON {_unseen("r")}
        WHERE r.month = %s
    """


def _month_states(today: date, *, limit: int = LIVE_ACCOUNTS_LIMIT) -> dict[date, int]:
    """The months whose stored figures hold for every account but some, and how many changed since the
    build (counted up to ``limit + 1``): one query (see the module's docstring)."""
    override = _tables()["override"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT r.month, (
                SELECT count(*) FROM (
                    SELECT DISTINCT c.account_id FROM {ACCOUNT_CHANGES} c WHERE {_unseen("r")} LIMIT %s
                ) changed
            )
            FROM {ComplianceRefresh._meta.db_table} r
            WHERE NOT EXISTS (SELECT 1 FROM {CHANGES} c WHERE {_unseen("r")})
            AND NOT EXISTS (
                SELECT 1 FROM {override} o
                WHERE o.revoked_at IS NULL AND o.expires_on >= r.built_on AND o.expires_on < %s
            )
            """,
            [limit + 1, today],
        )
        return dict(cursor.fetchall())


def _fresh_months(today: date) -> set[date]:
    """The months whose stored figures hold for every account."""
    return {month for month, changed in _month_states(today, limit=0).items() if not changed}


def compliance_fresh(*, month: date, today: date | None = None) -> bool:
    """Whether nothing the stored figures of the month are computed from has changed since the build."""
    return month.replace(day=1) in _fresh_months(today or timezone.localdate())


@dataclass(frozen=True)
class ComplianceRead:
    rows: list[dict]
    source: str  # "stored", "stored and live" (the changed accounts) or "live"
    changed_accounts: int | None  # changed since the build, when the stored figures were read


def compliance_read(
    *, accounts: QuerySet, month: date, today: date | None = None, live_limit: int = LIVE_ACCOUNTS_LIMIT
) -> ComplianceRead:
    """Per account manager and tier: the stored figures of the accounts in scope, those of the accounts
    changed since the build computed live; everything live when the month is not stored, every account
    is stale or more than ``live_limit`` accounts changed."""
    today = today or timezone.localdate()
    month = month.replace(day=1)
    changed = _month_states(today, limit=live_limit).get(month)
    if changed is None or changed > live_limit:
        rows = compliance_live_rows(accounts=accounts, month=month, today=today)
        return ComplianceRead(rows, "live", changed)
    where, params = scope_sql(accounts)
    sums = ", ".join(f"sum(f.{name})::int AS {name}" for name in COUNTS)
    if not changed:
        sql = f"""
            SELECT a.owner_id, f.tier_key, {sums}
            FROM {ComplianceFigure._meta.db_table} f
            JOIN {_tables()["account"]} a ON a.id = f.account_id
            WHERE f.month = %s AND {where}
            GROUP BY 1, 2
            ORDER BY 1, 2
        """
        return ComplianceRead(_rows(sql, [month, *params]), "stored", 0)
    # One statement, so the changed accounts left out of the stored sums are those computed live.
    changed_sql = _changed_accounts_sql()
    changed_where, changed_params = scope_sql(accounts, column="changed.account_id")
    live_scope = RawScope(
        f"SELECT changed.account_id FROM ({changed_sql}) changed WHERE {changed_where}",
        [month, *changed_params],
    )
    live_sql, live_params = compliance_sql(live_scope, month=month, key="owner_id", today=today)
    columns = ", ".join(COUNTS)
    sql = f"""
        SELECT owner_id, tier_key, {sums}
        FROM (
            SELECT a.owner_id, f.tier_key, {", ".join(f"f.{name}" for name in COUNTS)}
            FROM {ComplianceFigure._meta.db_table} f
            JOIN {_tables()["account"]} a ON a.id = f.account_id
            WHERE f.month = %s AND {where} AND f.account_id NOT IN ({changed_sql})
            UNION ALL
            SELECT owner_id, tier_key, {columns} FROM ({live_sql}) live
        ) f
        GROUP BY 1, 2
        ORDER BY 1, 2
    """
    return ComplianceRead(_rows(sql, [month, *params, month, *live_params]), "stored and live", changed)


def compliance_rows(*, accounts: QuerySet, month: date, today: date | None = None) -> list[dict]:
    """Per account manager and tier (see ``compliance_read``)."""
    return compliance_read(accounts=accounts, month=month, today=today).rows


def compliance_live_rows(*, accounts: QuerySet | RawScope | None, month: date, today: date) -> list[dict]:
    """Per account manager and tier, computed from the sources."""
    sql, params = compliance_sql(accounts, month=month.replace(day=1), key="owner_id", today=today)
    return _rows(sql, params)


def _rows(sql: str, params) -> list[dict]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def refresh_months() -> list[date]:
    """The latest REFRESHED_MONTHS graded months (the current month when nothing is graded yet)."""
    from scoring.models import GradeSnapshot

    latest = GradeSnapshot.objects.order_by("-period").values_list("period", flat=True).first()
    latest = latest or timezone.localdate().replace(day=1)
    months = [latest]
    for _ in range(REFRESHED_MONTHS - 1):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


@transaction.atomic
def compliance_refresh(*, months: list[date] | None = None) -> list[date]:
    """Rebuild the stored figures of some months (default: ``refresh_months``), one statement each,
    which records the database snapshot it read in. Readers keep the previous figures until commit."""
    months = [month.replace(day=1) for month in (months or refresh_months())]
    today = timezone.localdate()
    figures, refreshes = ComplianceFigure._meta.db_table, ComplianceRefresh._meta.db_table
    columns = ", ".join(COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {figures}, {refreshes} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {figures} WHERE month = ANY(%s)", [months])
        cursor.execute(f"DELETE FROM {refreshes} WHERE month = ANY(%s)", [months])
        for month in months:
            sql, params = compliance_sql(None, month=month, key="account_id", today=today)
            cursor.execute(
                f"""
                WITH stored AS (
                    INSERT INTO {figures} (month, account_id, tier_key, {columns})
                    SELECT %s, account_id, tier_key, {columns} FROM ({sql}) figures
                    RETURNING 1
                )
                INSERT INTO {refreshes} (month, built_at, built_on, snapshot, building_xid)
                SELECT %s, now(), %s, pg_current_snapshot()::text, pg_current_xact_id()::text::bigint
                FROM (SELECT count(*) FROM stored) done
                """,
                [month, *params, month, today],
            )
        # A change later in this transaction drops these refresh records (see the migrations' triggers).
        cursor.execute("SELECT set_config('kam.compliance_built', 'yes', true)")
        # Months no longer among the latest graded ones are not rebuilt when stale: drop them, or their
        # old snapshots would keep every change below from being pruned.
        kept = sorted({*months, *refresh_months()})
        cursor.execute(f"DELETE FROM {figures} WHERE month <> ALL(%s)", [kept])
        cursor.execute(f"DELETE FROM {refreshes} WHERE month <> ALL(%s)", [kept])
        # Changes every stored month has seen are of no further use.
        for changes in (CHANGES, ACCOUNT_CHANGES):
            cursor.execute(
                f"""
                DELETE FROM {changes}
                WHERE xid < (SELECT min(pg_snapshot_xmin(snapshot::pg_snapshot)) FROM {refreshes})
                """
            )
        cursor.execute(f"ANALYZE {figures}")
    return months


def compliance_refresh_if_stale() -> list[date]:
    """Rebuild when a month ``refresh_months`` names is missing or stale; the months rebuilt."""
    months = refresh_months()
    if set(months) <= _fresh_months(timezone.localdate()):
        return []
    return compliance_refresh(months=months)
