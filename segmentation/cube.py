"""Aggregate tables for the dashboard at 100k accounts: grades and orders summed per cell.

A *cell* is (owner, region, industry): the dimensions the dashboard filters and groups by. The refresh
(``cube_refresh``) rebuilds three tables in one transaction with a few ``INSERT … SELECT … GROUP BY``:

* ``GradeCube``  per period × cell × grade × grade of the period before: accounts, 12-month revenue
  and gross profit (from the grade snapshots), revenue of the period before;
* ``MonthCube``  per calendar month × cell: order amount, gross profit, orders;
* ``CubeCell``   per cell: how many accounts it had at the refresh.

The cube never decides who sees what. A request first computes, from ``visible_to(user)`` narrowed by
its filters, how many accounts it may see in each cell (one query). The cube answers only when every
such cell is *whole* (all of its accounts are visible and in scope) and the cube is fresh (no re-grade
or grade override since the refresh); otherwise the selectors compute from the snapshots and orders of
exactly the visible accounts. Directors (who see whole regions and teams) and administrators are
served by the cube; an account manager on a colleague's account team is not, and gets the exact path.

Refreshed by ``segmentation.tasks.dashboard_cube_refresh``: after each successful re-grade (queued by
``segmentation.receivers`` on scoring's ``period_regraded`` signal, once the re-grade has committed),
at 02:30 on the 1st and every night at 03:00 for new orders (django-celery-beat), and by
``manage.py refresh_dashboard``. Until then a stale cube is simply not used.
"""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Exists, Func, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from scoring.models import GradeOverride, GradeSnapshot, RegradeRun
from service_tiers import rules

from .models import AccountCube, CubeCell, CubeRefresh, GradeCube, MonthCube

Cells = list[tuple[int, int | None, str]]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@transaction.atomic
def cube_refresh() -> CubeRefresh:
    """Rebuild the aggregate tables from snapshots, orders and accounts (set-based, a few statements)."""
    started = timezone.now()
    clock = time.perf_counter()
    tables = [_table(model) for model in (AccountCube, GradeCube, MonthCube, CubeCell)]
    account, grade, month, cell = tables
    with connection.cursor() as cursor:
        # Readers keep the previous contents until this transaction commits.
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 -- table names come from the models
        # Each snapshot with the account's snapshot of the month before, and the snapshots of the month
        # before that have none in the next month (the matrix's "not graded" column); in key order.
        cursor.execute(
            f"""
            INSERT INTO {account} (period, account_id, grade, previous_grade, total, previous_total,
                                   revenue, previous_revenue, gross_profit, revenue_at_risk, slipped)
            SELECT * FROM (
                SELECT s.period, s.account_id, s.grade, COALESCE(p.grade, ''), s.total, p.total,
                       COALESCE(s.order_volume, 0), COALESCE(p.order_volume, 0), COALESCE(s.gross_profit, 0),
                       COALESCE(s.order_volume, p.order_volume, 0),
                       COALESCE({rules.grade_fell_sql("s.grade", "p.grade")}
                                OR {rules.score_dropped_sql("s.total", "p.total")}, FALSE)
                FROM scoring_gradesnapshot s
                LEFT JOIN scoring_gradesnapshot p
                       ON p.account_id = s.account_id AND p.period = (s.period - interval '1 month')::date
                UNION ALL
                SELECT (p.period + interval '1 month')::date, p.account_id, '', p.grade, NULL, p.total,
                       0, COALESCE(p.order_volume, 0), 0, COALESCE(p.order_volume, 0), FALSE
                FROM scoring_gradesnapshot p
                WHERE NOT EXISTS (
                    SELECT 1 FROM scoring_gradesnapshot s
                    WHERE s.account_id = p.account_id AND s.period = (p.period + interval '1 month')::date
                )
            ) pairs
            ORDER BY 1, 2
            """,  # noqa: S608 -- table names come from the models
        )
        cursor.execute(
            f"""
            INSERT INTO {grade} (period, owner_id, region_id, industry, grade, previous_grade,
                                 accounts, revenue, gross_profit, previous_revenue)
            SELECT c.period, a.owner_id, a.region_id, a.industry, c.grade, c.previous_grade,
                   count(*), sum(c.revenue), sum(c.gross_profit), sum(c.previous_revenue)
            FROM {account} c JOIN accounts_account a ON a.id = c.account_id
            GROUP BY 1, 2, 3, 4, 5, 6
            """  # noqa: S608 -- table names come from the models
        )
        cursor.execute(
            f"""
            INSERT INTO {month} (month, owner_id, region_id, industry, revenue, gross_profit, orders)
            SELECT date_trunc('month', o.order_date)::date, a.owner_id, a.region_id, a.industry,
                   sum(o.amount), sum(o.gross_profit), count(*)
            FROM accounts_order o JOIN accounts_account a ON a.id = o.account_id
            GROUP BY 1, 2, 3, 4
            """  # noqa: S608
        )
        cursor.execute(
            f"""
            INSERT INTO {cell} (owner_id, region_id, industry, accounts)
            SELECT owner_id, region_id, industry, count(*) FROM accounts_account GROUP BY 1, 2, 3
            """  # noqa: S608
        )
        for table in tables:
            cursor.execute(f"ANALYZE {table}")
    from accounts.models import Account

    CubeRefresh.objects.all().delete()
    return CubeRefresh.objects.create(
        accounts_updated_until=Account.objects.aggregate(until=Max("updated_at"))["until"],
        refreshed_at=started,
        seconds=Decimal(f"{time.perf_counter() - clock:.3f}"),
        overridden_snapshots=_overridden_snapshots(),
    )


def _overridden_snapshots() -> int:
    return GradeSnapshot.objects.filter(override__isnull=False).count()  # a partial index counts them


def built_at():
    """When the aggregates in use were built (shown on the dashboard: "as of"), or None."""
    return CubeRefresh.objects.order_by("-refreshed_at").values_list("refreshed_at", flat=True).first()


def cube_fresh() -> bool:
    """Built, and nothing it covers changed since its recorded build time: no re-grade finished, no grade
    override set or revoked, no override expired by the nightly job (it changes the count of overridden
    snapshots) and no account edited (an account moved to another owner, region or industry moves it to
    another cell, which equal counts per cell would not show). One query."""
    from accounts.models import Account

    after = OuterRef("refreshed_at")
    overridden = GradeSnapshot.objects.filter(override__isnull=False).order_by()
    refresh = (
        CubeRefresh.objects.annotate(
            newer_run=Exists(RegradeRun.objects.filter(finished_at__gt=after)),
            newer_override=Exists(
                GradeOverride.objects.filter(Q(created_at__gt=after) | Q(revoked_at__gt=after))
            ),
            newer_account=Exists(Account.objects.filter(updated_at__gt=OuterRef("accounts_updated_until"))),
            overridden_now=Subquery(overridden.values(count=Func("pk", function="COUNT"))),
        )
        .order_by("-refreshed_at")
        .first()
    )
    return (
        refresh is not None
        and not refresh.newer_run
        and not refresh.newer_override
        and not refresh.newer_account
        and refresh.overridden_now == refresh.overridden_snapshots
    )


def whole_cells(*, accounts: QuerySet) -> Cells | None:
    """The cells of the accounts in scope when each is whole (every account of the cell is in scope and
    the cube counted the same accounts); None when the cube cannot answer for this scope."""
    if not cube_fresh():
        return None
    in_scope = accounts.order_by().values("owner_id", "region_id", "industry").annotate(accounts=Count("pk"))
    scope = {(row["owner_id"], row["region_id"], row["industry"]): row["accounts"] for row in in_scope}
    if not scope:
        return []
    counted = {
        (row.owner_id, row.region_id, row.industry): row.accounts
        for row in CubeCell.objects.filter(owner_id__in={owner for owner, _region, _industry in scope})
    }
    if any(counted.get(cell) != count for cell, count in scope.items()):
        return None
    return list(scope)


def _rows(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _cells_join(alias: str) -> str:
    return f"""JOIN unnest(%s::int[], %s::int[], %s::text[]) AS cell(owner_id, region_id, industry)
               ON {alias}.owner_id = cell.owner_id AND {alias}.industry = cell.industry
              AND {alias}.region_id IS NOT DISTINCT FROM cell.region_id"""


def _cell_params(cells: Cells) -> list:
    return [[cell[0] for cell in cells], [cell[1] for cell in cells], [cell[2] for cell in cells]]


def grade_rows(*, cells: Cells, periods: list[datetime.date], group: list[str]) -> list[dict]:
    """Sums of the grade cube over the cells for some periods, grouped by cube columns (or a dimension's
    name: ``region_name``, ``owner_name``)."""
    expressions = {
        "period": "g.period",
        "grade": "g.grade",
        "from_grade": "g.previous_grade",
        "to_grade": "g.grade",
        "account__region_id": "g.region_id",
        "account__region__name": "r.name",
        "account__industry": "g.industry",
        "account__owner_id": "g.owner_id",
        "account__owner__username": "u.username",
    }
    select = ", ".join(f'{expressions[name]} AS "{name}"' for name in group)
    sql = f"""
        SELECT {select}, sum(g.accounts)::int AS accounts, sum(g.revenue) AS revenue,
               sum(g.gross_profit) AS gross_profit, sum(g.previous_revenue) AS previous_revenue
        FROM {_table(GradeCube)} g
        {_cells_join("g")}
        LEFT JOIN accounts_region r ON r.id = g.region_id
        LEFT JOIN {_table(get_user_model())} u ON u.id = g.owner_id
        WHERE g.period = ANY(%s::date[])
        GROUP BY {", ".join(str(index + 1) for index in range(len(group)))}
    """  # noqa: S608 -- every name above comes from this module
    return _rows(sql, [*_cell_params(cells), periods])


def month_rows(*, cells: Cells, start: datetime.date, end: datetime.date) -> list[dict]:
    sql = f"""
        SELECT m.month, sum(m.revenue) AS revenue, sum(m.gross_profit) AS gross_profit,
               sum(m.orders)::int AS orders
        FROM {_table(MonthCube)} m
        {_cells_join("m")}
        WHERE m.month >= %s AND m.month < %s
        GROUP BY 1
    """  # noqa: S608
    return _rows(sql, [*_cell_params(cells), start, end])
