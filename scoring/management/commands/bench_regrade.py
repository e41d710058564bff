# ruff: noqa: E501 -- SQL text reads better unwrapped
"""Benchmark: the re-grade service against one hand-written SQL statement doing the same work.

Generates (or reuses) N accounts with 24 orders each on average, straight in SQL, then times
``regrade_period`` (the real service: run record, lock, upsert of every snapshot, counts) and a single
hand-written INSERT … SELECT computing the default model's six sub-scores, total and grade into a
scratch table of the same shape. Prints both times and their ratio.

Use a throw-away database: generation refuses a database whose name lacks "bench" unless --force.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import Account
from scoring.computation import WORK_MEM
from scoring.models import GradeSnapshot, RegradeRun
from scoring.services import active_scoring_model, current_period, regrade_period

GENERATE_ACCOUNTS = """
INSERT INTO accounts_account (name, short_name, credit_code, owner_id, industry, ownership_type, channel, status,
                              registered_capital, address, created_at, updated_at)
SELECT '基准测试客户' || g || '有限公司', '', '', %(owner)s, 'manufacturing',
       (ARRAY['government', 'state_owned', 'joint_stock', 'private', 'private', 'foreign'])[1 + g %% 6],
       'direct', 'active', round((random() * 1e8)::numeric, 2), '', now(), now()
FROM generate_series(%(first)s, %(last)s) AS g
"""

# 12–36 orders per account (24 on average) over the last 24 months; log-uniform amounts (a long tail);
# 80 % paid on time, 12 % late, 8 % unpaid.
GENERATE_ORDERS = """
INSERT INTO accounts_order (account_id, number, order_date, product_line, amount, gross_profit, invoice_date,
                            due_date, paid_date)
SELECT a.id, 'BENCH-' || a.id || '-' || n, o.day, '', o.amount, round(o.amount * o.margin, 2), o.day,
       o.day + 30,
       CASE WHEN o.luck < 0.80 THEN o.day + 30 - (o.luck * 30)::int
            WHEN o.luck < 0.92 THEN o.day + 30 + (o.luck * 60)::int
       END
FROM accounts_account a
CROSS JOIN LATERAL generate_series(1, 12 + (a.id * 7919) %% 25) AS n
CROSS JOIN LATERAL (
    SELECT current_date - (random() * 730 + 0 * a.id)::int AS day,
           round((exp(random() * 7) * 1000)::numeric, 2) AS amount,
           (0.05 + random() * 0.35)::numeric AS margin,
           random() AS luck,
           n AS order_index
) AS o
WHERE a.id > %(after)s
ORDER BY a.id
"""

GENERATE_RATINGS = """
INSERT INTO scoring_accountrating (account_id, kind, value, rated_on, rated_by_id, note, updated_at)
SELECT a.id, kind, 1 + (a.id * 31 + length(kind)) %% 5, current_date, %(owner)s, '', now()
FROM accounts_account a CROSS JOIN (VALUES ('relationship'), ('strategic_fit')) AS k(kind)
WHERE a.id > %(after)s AND a.id %% 10 < 7
ON CONFLICT DO NOTHING
"""

# The reference: one statement, written by hand for the default preset (15/15/15/15/20/20, its bands).
REFERENCE = """
INSERT INTO bench_reference_snapshot (
    account_id, period, scoring_model_id, invoices_due, on_time_share, avg_days_late, order_volume, gross_profit,
    prior_year_volume, growth_pct, relationship_rating, strategic_fit_rating, ownership_type, credit_score,
    order_volume_score, profit_contribution_score, growth_score, relationship_score, strategic_fit_score,
    total, computed_grade, grade, previous_grade, provisional, computed_at)
SELECT account_id, %(period)s, %(model)s, invoices_due, on_time_share, avg_days_late, order_volume, gross_profit,
       prior_year_volume, growth_pct, relationship_rating, strategic_fit_rating, '', credit_score,
       order_volume_score, profit_contribution_score, growth_score, relationship_score, strategic_fit_score,
       total, grade, grade, '', provisional, now()
FROM (
    SELECT *, CASE WHEN total >= 75 THEN 'A' WHEN total >= 60 THEN 'B' ELSE 'C' END AS grade
    FROM (
        SELECT *, ROUND((COALESCE(15 * credit_score, 0) + COALESCE(15 * order_volume_score, 0)
                         + COALESCE(15 * profit_contribution_score, 0) + COALESCE(15 * growth_score, 0)
                         + COALESCE(20 * relationship_score, 0) + COALESCE(20 * strategic_fit_score, 0))
                        / ((CASE WHEN credit_score IS NULL THEN 0 ELSE 15 END)
                           + (CASE WHEN order_volume_score IS NULL THEN 0 ELSE 15 END)
                           + (CASE WHEN profit_contribution_score IS NULL THEN 0 ELSE 15 END)
                           + (CASE WHEN growth_score IS NULL THEN 0 ELSE 15 END)
                           + (CASE WHEN relationship_score IS NULL THEN 0 ELSE 20 END)
                           + (CASE WHEN strategic_fit_score IS NULL THEN 0 ELSE 20 END)), 2) AS total,
               COALESCE(prior_orders, 0) = 0 AS provisional
        FROM (
            SELECT b.*,
                   CASE WHEN credit_index IS NULL THEN NULL WHEN credit_index < 50 THEN 0 WHEN credit_index < 70 THEN 30
                        WHEN credit_index < 85 THEN 60 WHEN credit_index < 95 THEN 80 ELSE 100 END AS credit_score,
                   CASE WHEN order_volume IS NULL THEN NULL ELSE ROUND(COALESCE((rank() OVER (ORDER BY order_volume) - 1)
                        * 100.0 / NULLIF(count(order_volume) OVER () - 1, 0), 0), 4) END AS order_volume_score,
                   CASE WHEN gross_profit IS NULL THEN NULL ELSE ROUND(COALESCE((rank() OVER (ORDER BY gross_profit) - 1)
                        * 100.0 / NULLIF(count(gross_profit) OVER () - 1, 0), 0), 4) END AS profit_contribution_score,
                   CASE WHEN growth_pct IS NULL THEN NULL WHEN 50 + growth_pct / 2 < 40 THEN 0
                        WHEN 50 + growth_pct / 2 < 50 THEN 30 WHEN 50 + growth_pct / 2 < 55 THEN 50
                        WHEN 50 + growth_pct / 2 < 65 THEN 75 ELSE 100 END AS growth_score,
                   CASE relationship_rating WHEN 1 THEN 0 WHEN 2 THEN 25 WHEN 3 THEN 50 WHEN 4 THEN 75
                        WHEN 5 THEN 100 END AS relationship_score,
                   CASE strategic_fit_rating WHEN 1 THEN 0 WHEN 2 THEN 25 WHEN 3 THEN 50 WHEN 4 THEN 75
                        WHEN 5 THEN 100 END AS strategic_fit_score
            FROM (
                SELECT a.id AS account_id, o.prior_orders, o.order_volume,
                       o.gross_profit, o.prior_year_volume, o.invoices_due,
                       CASE WHEN o.invoices_due > 0 THEN ROUND(o.on_time * 100.0 / o.invoices_due, 2) END
                           AS on_time_share,
                       CASE WHEN o.invoices_due > o.on_time
                            THEN ROUND(o.late_days::numeric / (o.invoices_due - o.on_time), 2)
                            WHEN o.invoices_due > 0 THEN 0 END AS avg_days_late,
                       CASE WHEN o.invoices_due > 0 THEN GREATEST(0, LEAST(100, ROUND(
                            (o.on_time * 100.0 - o.late_days) / o.invoices_due, 4))) END AS credit_index,
                       CASE WHEN o.prior_year_volume > 0 THEN ROUND(
                            (o.order_volume - o.prior_year_volume) * 100 / o.prior_year_volume, 2) END AS growth_pct,
                       r.relationship_rating, r.strategic_fit_rating
                FROM accounts_account a
                LEFT JOIN (
                    SELECT account_id,
                           COALESCE(SUM(amount) FILTER (WHERE order_date >= %(window)s), 0) AS order_volume,
                           COALESCE(SUM(gross_profit) FILTER (WHERE order_date >= %(window)s), 0) AS gross_profit,
                           COALESCE(SUM(amount) FILTER (WHERE order_date < %(window)s), 0) AS prior_year_volume,
                           COUNT(*) FILTER (WHERE order_date < %(window)s) AS prior_orders,
                           COUNT(*) FILTER (WHERE order_date >= %(window)s AND due_date < %(period)s) AS invoices_due,
                           COUNT(*) FILTER (WHERE order_date >= %(window)s AND due_date < %(period)s
                                              AND paid_date <= due_date) AS on_time,
                           COALESCE(SUM(LEAST(COALESCE(paid_date, %(period)s), %(period)s) - due_date) FILTER (
                               WHERE order_date >= %(window)s AND due_date < %(period)s
                                 AND (paid_date IS NULL OR paid_date > due_date)), 0) AS late_days
                    FROM accounts_order
                    WHERE order_date >= %(prior)s AND order_date < %(period)s
                    GROUP BY account_id
                    ORDER BY account_id
                ) o ON o.account_id = a.id
                LEFT JOIN (
                    SELECT account_id,
                           MAX(value) FILTER (WHERE kind = 'relationship') AS relationship_rating,
                           MAX(value) FILTER (WHERE kind = 'strategic_fit') AS strategic_fit_rating
                    FROM scoring_accountrating GROUP BY account_id ORDER BY account_id
                ) r ON r.account_id = a.id
                WHERE o.account_id IS NOT NULL OR r.account_id IS NOT NULL
            ) b
        ) scored
        OFFSET 0
    ) totals
) graded
ORDER BY account_id
ON CONFLICT (account_id, period) DO UPDATE SET total = EXCLUDED.total, grade = EXCLUDED.grade
"""


class Command(BaseCommand):
    help = "Benchmark the monthly re-grade against a single hand-written SQL statement."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=100_000)
        parser.add_argument(
            "--repeat", type=int, default=3, help="Timed repetitions; the median is reported."
        )
        parser.add_argument(
            "--force", action="store_true", help="Allow generating data in a non-bench database."
        )

    def handle(self, *args, accounts, repeat, force, **options):
        database = connection.settings_dict["NAME"]
        model = active_scoring_model()
        if model is None:
            raise CommandError("No active scoring model.")
        existing = Account.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(account_id), 0) FROM accounts_order")
            last_with_orders = cursor.fetchone()[0]
        last_account = Account.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if existing < accounts or last_with_orders < last_account:
            if "bench" not in database and not force:
                raise CommandError(
                    f"Refusing to generate data in database {database!r}; use a *bench* database."
                )
            self._generate(existing, accounts, last_with_orders)
        self.stdout.write(
            f"Database {database}: {Account.objects.count():,} accounts, "
            f"{self._count('accounts_order'):,} orders."
        )
        period = current_period()
        from scoring.computation import add_months

        reference_params = {
            "period": period,
            "window": add_months(period, -12),
            "prior": add_months(period, -24),
            "model": model.pk,
        }
        with connection.cursor() as cursor:
            # Both sides run without JIT (off for every connection, see DATABASES in kam/settings/base.py).
            cursor.execute("DROP TABLE IF EXISTS bench_reference_snapshot")
            cursor.execute(
                "CREATE TABLE bench_reference_snapshot (LIKE scoring_gradesnapshot INCLUDING DEFAULTS INCLUDING INDEXES"
                " INCLUDING CONSTRAINTS INCLUDING IDENTITY)"
            )
        service_times, reference_times = [], []
        for attempt in range(1, repeat + 1):
            # Both sides write fresh rows (the insert path): clear the period first, outside the timing.
            GradeSnapshot.objects.filter(period=period).delete()
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE bench_reference_snapshot")
                cursor.execute("VACUUM ANALYZE scoring_gradesnapshot")
                cursor.execute("VACUUM ANALYZE bench_reference_snapshot")
            started = time.perf_counter()
            run = regrade_period(period=period, trigger=RegradeRun.Trigger.BENCHMARK)
            service_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            # The same memory per sort or hash as the re-grade, in a transaction of its own like it.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
                cursor.execute(REFERENCE, reference_params)
                reference_rows = cursor.rowcount
            reference_times.append(time.perf_counter() - started)
            self.stdout.write(
                f"  #{attempt}: re-grade {service_times[-1]:.2f} s ({run.accounts_graded:,} snapshots), "
                f"single statement {reference_times[-1]:.2f} s ({reference_rows:,} rows)"
            )
        self._compare(period)
        service, reference = statistics.median(service_times), statistics.median(reference_times)
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-grade: {service:.2f} s · single statement: {reference:.2f} s · ratio {service / reference:.2f}× "
                f"(median of {repeat})"
            )
        )

    def _count(self, table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    def _compare(self, period):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT COUNT(*) FILTER (WHERE r.account_id IS NULL OR s.account_id IS NULL
                                          OR r.total <> s.total OR r.grade <> s.computed_grade)
                FROM (SELECT * FROM scoring_gradesnapshot WHERE period = %(p)s) s
                FULL OUTER JOIN bench_reference_snapshot r ON r.account_id = s.account_id
                """,
                {"p": period},
            )
            differences = cursor.fetchone()[0]
        if differences:
            self.stdout.write(
                self.style.WARNING(f"{differences:,} accounts differ from the single statement!")
            )
        else:
            self.stdout.write("Totals and grades are identical to the single statement's.")

    def _generate(self, existing, target, last_id):
        """Accounts up to ``target``, then orders and ratings for every account after ``last_id``."""
        owner, _ = get_user_model().objects.get_or_create(username="bench-owner")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            if existing < target:
                self.stdout.write(f"Generating {target - existing:,} accounts…")
                cursor.execute(GENERATE_ACCOUNTS, {"owner": owner.pk, "first": existing + 1, "last": target})
            self.stdout.write(f"  accounts done in {time.perf_counter() - started:.0f} s; orders…")
            # Loading is faster without the secondary indexes; they are rebuilt afterwards as they were.
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   WHERE i.tablename = 'accounts_order'
                     AND i.indexname NOT IN (SELECT conname FROM pg_constraint
                                             WHERE conrelid = 'accounts_order'::regclass)"""
            )
            secondary = cursor.fetchall()
            with transaction.atomic():  # the indexes come back even if the load fails
                # Check the foreign keys now: CREATE INDEX refuses a table with pending deferred checks.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for name, _definition in secondary:
                    cursor.execute(f'DROP INDEX "{name}"')
                cursor.execute(GENERATE_ORDERS, {"after": last_id})
                orders = cursor.rowcount
                self.stdout.write(
                    f"  {orders:,} orders in {time.perf_counter() - started:.0f} s; rebuilding indexes…"
                )
                for _name, definition in secondary:
                    cursor.execute(definition)
            self.stdout.write(f"  indexes rebuilt at {time.perf_counter() - started:.0f} s; ratings…")
            cursor.execute(GENERATE_RATINGS, {"owner": owner.pk, "after": last_id})
            self.stdout.write("  VACUUM ANALYZE…")
            for table in ("accounts_account", "accounts_order", "scoring_accountrating"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(f"Generated in {time.perf_counter() - started:.0f} s.")
