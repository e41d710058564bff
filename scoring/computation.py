"""The grade computation as SQL: one set-based statement over all accounts, never a query per account.

How a grade is computed (period P = first day of the graded month, window = the 12 months before P,
prior window = the 12 months before that):

* Raw values per account, from one pass over the orders covering index (account_id, order_date)
  INCLUDE (amount, gross_profit, due_date, paid_date):
  - credit: invoices of orders in the window that fell due before P; share paid on or before the due
    date, and days late (unpaid invoices count as late up to P). Basis 0–100 = on-time share (in %)
    minus the late days per due invoice, clamped to 0–100. No invoice due → no data.
  - order volume / profit contribution: order amount / gross profit in the window; basis = percentile
    rank, (rank − 1) / (n − 1) × 100 (lowest 0, highest 100, ties share the lower rank), among the
    graded accounts.
  - growth: year-over-year change of order amount (window vs prior window) in %; basis = 50 + change/2
    clamped to 0–100 (−100 % → 0, flat → 50, +100 % or more → 100). No prior-year orders → no data.
  - relationship / strategic fit: the 1–5 rating in force for the month (``rating_cutoff``: today's
    while the month runs, the month-end one once it is over, from the rating's audit trail);
    basis = (rating − 1) × 25.
  - ownership type (seed 003): government / state-owned 100, joint-stock / foreign-invested 50,
    private 0. Client strength (seed 003): percentile rank of the registered capital.
* Sub-score 0–100 (4 places): the band points for the basis value (bands: lower bound included, upper
  excluded, the last band includes 100), or the percentile rank of the raw value ("percentile" method).
* Total = Σ weight × sub-score / Σ weight, the sums over the criteria that have data (so an account is
  graded on what exists), rounded once to 2 places; grade from the model's thresholds, compared exactly.
* Graded accounts: those with an order in the last 24 months or a rating; others are not graded.
  Provisional: no order in the prior window, i.e. less than 12 months of order history (a criterion
  without data, such as a missing rating, shows as "no data" in the breakdown instead).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from .models import Criterion, CriterionKey

SCORE_COLUMNS = {key: f"{key}_score" for key in CriterionKey.values}

# Raw columns of a snapshot, in the order the computation produces them.
RAW_COLUMNS = (
    "invoices_due",
    "on_time_share",
    "avg_days_late",
    "order_volume",
    "gross_profit",
    "prior_year_volume",
    "growth_pct",
    "relationship_rating",
    "strategic_fit_rating",
    "ownership_type",
    "registered_capital",
)

# The 0–100 basis each criterion's bands apply to.
BASIS = {
    CriterionKey.CREDIT: "credit_index",
    CriterionKey.ORDER_VOLUME: "order_volume_pct",
    CriterionKey.PROFIT_CONTRIBUTION: "profit_contribution_pct",
    CriterionKey.GROWTH: "growth_index",
    CriterionKey.RELATIONSHIP: "relationship_index",
    CriterionKey.STRATEGIC_FIT: "strategic_fit_index",
    CriterionKey.OWNERSHIP_TYPE: "ownership_index",
    CriterionKey.CLIENT_STRENGTH: "client_strength_pct",
}
# The raw value a "percentile" criterion is ranked by.
RANKED_VALUE = {
    CriterionKey.CREDIT: "credit_index",
    CriterionKey.ORDER_VOLUME: "order_volume",
    CriterionKey.PROFIT_CONTRIBUTION: "gross_profit",
    CriterionKey.GROWTH: "growth_pct",
    CriterionKey.CLIENT_STRENGTH: "registered_capital",
}
# Criteria whose band basis is itself a percentile rank.
RANKED_BASIS = {CriterionKey.ORDER_VOLUME, CriterionKey.PROFIT_CONTRIBUTION, CriterionKey.CLIENT_STRENGTH}


# Order aggregates per account for the period: one ordered pass over the covering index. The re-grade
# writes them to a temporary table first (CREATE TABLE AS can use parallel workers, INSERT … SELECT
# cannot); the what-if preview reads them inline. The order count and last order date are not graded:
# the value and behaviour segments written in the same transaction read them (segmentation/segments.py).
ORDER_AGGREGATES = """
SELECT o.account_id,
       COALESCE(SUM(o.amount) FILTER (WHERE o.order_date >= %(window_start)s), 0) AS order_volume,
       COALESCE(SUM(o.gross_profit) FILTER (WHERE o.order_date >= %(window_start)s), 0)
           AS gross_profit,
       COALESCE(SUM(o.amount) FILTER (WHERE o.order_date < %(window_start)s), 0)
           AS prior_year_volume,
       COUNT(*) FILTER (WHERE o.order_date < %(window_start)s) AS prior_orders,
       COUNT(*) FILTER (WHERE o.order_date >= %(window_start)s) AS orders_12m,
       MAX(o.order_date) AS last_order_date,
       COUNT(*) FILTER (WHERE o.order_date >= %(window_start)s AND o.due_date < %(period)s)
           AS invoices_due,
       COUNT(*) FILTER (WHERE o.order_date >= %(window_start)s AND o.due_date < %(period)s
                          AND o.paid_date <= o.due_date) AS invoices_on_time,
       COALESCE(SUM(LEAST(COALESCE(o.paid_date, %(period)s), %(period)s) - o.due_date)
           FILTER (WHERE o.order_date >= %(window_start)s AND o.due_date < %(period)s
                     AND (o.paid_date IS NULL OR o.paid_date > o.due_date)), 0) AS late_days
FROM accounts_order o
WHERE o.order_date >= %(prior_start)s AND o.order_date < %(period)s
GROUP BY o.account_id
ORDER BY o.account_id
"""  # noqa: S608 -- every value is a query parameter
ORDER_AGGREGATES_TABLE = "regrade_order_aggregates"

# Memory per sort or hash for the scoring statements (PostgreSQL's default is 4 MB): the joins and
# percentile sorts over every account stay in memory instead of spilling to disk.
WORK_MEM = "128MB"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Month arithmetic for first-of-month periods."""
    index = day.year * 12 + (day.month - 1) + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    weight: Decimal
    method: str = Criterion.Method.BANDS
    label_en: str = ""
    label_zh_hans: str = ""


@dataclass(frozen=True)
class BandSpec:
    criterion: str
    lower: Decimal
    upper: Decimal
    points: Decimal
    label: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """A scoring model as plain values: what the SQL builder and the validation service read."""

    threshold_a: Decimal
    threshold_b: Decimal
    criteria: tuple[CriterionSpec, ...]
    bands: tuple[BandSpec, ...] = field(default=())

    @classmethod
    def from_model(cls, scoring_model) -> ModelSpec:
        criteria = tuple(
            CriterionSpec(c.key, c.weight, c.method, c.label_en, c.label_zh_hans)
            for c in scoring_model.criteria.all()
        )
        bands = tuple(
            BandSpec(b.criterion, b.lower, b.upper, b.points, b.label) for b in scoring_model.bands.all()
        )
        return cls(scoring_model.threshold_a, scoring_model.threshold_b, criteria, bands)

    def bands_for(self, key: str) -> list[BandSpec]:
        return sorted((b for b in self.bands if b.criterion == key), key=lambda b: b.lower)

    def percentile_columns(self) -> set[str]:
        needed = set()
        for criterion in self.criteria:
            if criterion.method == Criterion.Method.PERCENTILE or criterion.key in RANKED_BASIS:
                needed.add(criterion.key)
        return needed


class _Params:
    """Collects query parameters under generated names, so model values never end up in SQL text."""

    def __init__(self, **initial):
        self.values = dict(initial)

    def add(self, prefix: str, value) -> str:
        name = f"{prefix}_{len(self.values)}"
        self.values[name] = value
        return f"%({name})s::numeric"


def _raw_ctes(*, specs: list[ModelSpec], orders: str) -> str:
    """The WITH clauses up to ``ranked``: one row per graded account with raw values, bases, percentiles.

    ``orders`` is where the order aggregates come from: ``ORDER_AGGREGATES_TABLE`` or the inline query.
    Percentile ranks are computed on narrow rows (account and ranked value) and joined back, so the
    sorts they need move a few bytes per account instead of the whole row.
    """
    percentile_keys = sorted(set().union(*(spec.percentile_columns() for spec in specs)))
    # percent_rank among the accounts that have the value: (rank − 1) / (n − 1), 0 when n = 1, with
    # exact numeric division. NULLs sort last, so they do not change the ranks of the others.
    percentiles = ",\n".join(
        f"CASE WHEN i.{RANKED_VALUE[key]} IS NULL THEN NULL ELSE ROUND(COALESCE("
        f"(rank() OVER (ORDER BY i.{RANKED_VALUE[key]}) - 1) * 100.0 / NULLIF(n.{key}_n - 1, 0), 0), 4) END "
        f"AS {key}_pct"
        for key in percentile_keys
    )
    counts = ", ".join(f"count({RANKED_VALUE[key]}) AS {key}_n" for key in percentile_keys)
    if percentiles:
        ranked = f"""
    ranks AS (
        SELECT i.account_id,
               {percentiles}
        FROM indexed i CROSS JOIN (SELECT {counts} FROM indexed) n
    ),
    ranked AS (
        SELECT i.*, {", ".join(f"r.{key}_pct" for key in percentile_keys)}
        FROM indexed i JOIN ranks r ON r.account_id = i.account_id
    )"""  # noqa: S608 -- identifiers come from this module
    else:
        ranked = """
    ranked AS (SELECT i.* FROM indexed i)"""
    return f"""
    merged AS (
        SELECT acc.id AS account_id, acc.ownership_type, acc.registered_capital,
               oa.order_volume, oa.gross_profit, oa.prior_year_volume, oa.prior_orders,
               oa.invoices_due, oa.invoices_on_time, oa.late_days,
               ra.relationship_rating, ra.strategic_fit_rating
        FROM accounts_account acc
        LEFT JOIN {orders} oa ON oa.account_id = acc.id
        LEFT JOIN (
            SELECT r.account_id,
                   MAX(v.value) FILTER (WHERE r.kind = 'relationship') AS relationship_rating,
                   MAX(v.value) FILTER (WHERE r.kind = 'strategic_fit') AS strategic_fit_rating
            FROM scoring_accountrating r
            CROSS JOIN LATERAL (
                SELECT CASE WHEN r.rated_on < %(rating_cutoff)s THEN r.value ELSE (
                    SELECT c.new_value FROM scoring_accountratingchange c
                    WHERE c.account_id = r.account_id AND c.kind = r.kind AND c.rated_on < %(rating_cutoff)s
                    ORDER BY c.rated_on DESC, c.changed_at DESC, c.id DESC LIMIT 1) END AS value
            ) v
            GROUP BY r.account_id
            ORDER BY r.account_id
        ) ra ON ra.account_id = acc.id
        WHERE oa.account_id IS NOT NULL OR ra.account_id IS NOT NULL
    ),
    based AS (
        SELECT b.*,
               CASE WHEN b.invoices_due > 0
                    THEN ROUND(b.invoices_on_time * 100.0 / b.invoices_due, 2) END AS on_time_share,
               CASE WHEN b.invoices_due > b.invoices_on_time
                    THEN ROUND(b.late_days::numeric / (b.invoices_due - b.invoices_on_time), 2)
                    WHEN b.invoices_due > 0 THEN 0 END AS avg_days_late,
               CASE WHEN b.invoices_due > 0
                    THEN GREATEST(0, LEAST(100, ROUND(
                        (b.invoices_on_time * 100.0 - b.late_days) / b.invoices_due, 4))) END AS credit_index,
               CASE WHEN b.prior_year_volume > 0
                    THEN ROUND((b.order_volume - b.prior_year_volume) * 100 / b.prior_year_volume, 2)
                    END AS growth_pct,
               (b.relationship_rating - 1) * 25 AS relationship_index,
               (b.strategic_fit_rating - 1) * 25 AS strategic_fit_index
        FROM merged b
    ),
    indexed AS MATERIALIZED (
        SELECT x.*,
               CASE WHEN x.growth_pct IS NOT NULL
                    THEN GREATEST(0, LEAST(100, 50 + x.growth_pct / 2)) END AS growth_index,
               CASE x.ownership_type WHEN 'government' THEN 100 WHEN 'state_owned' THEN 100
                    WHEN 'joint_stock' THEN 50 WHEN 'foreign' THEN 50 WHEN 'private' THEN 0 END
                    AS ownership_index
        FROM based x
    ),{ranked}"""  # noqa: S608 -- identifiers come from this module; every value is a query parameter


def _score_select(spec: ModelSpec, params: _Params, source: str) -> str:
    """SELECT over ``source`` giving the sub-scores, total, grade and provisional flag for one model."""
    in_model = {c.key: c for c in spec.criteria}
    sub_scores = []
    for key in CriterionKey.values:
        criterion = in_model.get(key)
        column = SCORE_COLUMNS[key]
        if criterion is None:
            sub_scores.append(f"NULL::numeric AS {column}")
        elif criterion.method == Criterion.Method.PERCENTILE:
            sub_scores.append(f"s.{key}_pct AS {column}")
        else:
            basis = BASIS[key]
            bands = spec.bands_for(key)
            whens = " ".join(
                f"WHEN s.{basis} < {params.add('upper', band.upper)} THEN {params.add('points', band.points)}"
                for band in bands[:-1]
            )
            last = params.add("points", bands[-1].points) if bands else "NULL"
            sub_scores.append(f"CASE WHEN s.{basis} IS NULL THEN NULL {whens} ELSE {last} END AS {column}")
    weighted = list(spec.criteria)
    numerator = (
        " + ".join(
            f"COALESCE({params.add('weight', c.weight)} * {SCORE_COLUMNS[c.key]}, 0)" for c in weighted
        )
        or "0"
    )
    denominator = (
        " + ".join(
            f"CASE WHEN {SCORE_COLUMNS[c.key]} IS NULL THEN 0 ELSE {params.add('weight', c.weight)} END"
            for c in weighted
        )
        or "0"
    )
    threshold_a = params.add("threshold_a", spec.threshold_a)
    threshold_b = params.add("threshold_b", spec.threshold_b)
    raw = ", ".join(f"t.{column}" for column in RAW_COLUMNS)
    scores = ", ".join(f"t.{column}" for column in SCORE_COLUMNS.values())
    return f"""
        SELECT t.account_id, {raw}, {scores}, t.total,
               CASE WHEN t.total >= {threshold_a} THEN 'A' WHEN t.total >= {threshold_b} THEN 'B' ELSE 'C' END
                   AS computed_grade,
               COALESCE(t.prior_orders, 0) = 0 AS provisional
        FROM (
            SELECT w.*, ROUND(w.numerator / w.denominator, 2) AS total
            FROM (
                SELECT u.*, ({numerator}) AS numerator, ({denominator}) AS denominator
                FROM (
                    SELECT s.account_id, s.prior_orders, {", ".join(f"s.{c}" for c in RAW_COLUMNS)},
                           {", ".join(sub_scores)}
                    FROM {source} s
                    OFFSET 0
                ) u
            ) w
            WHERE w.denominator > 0
            OFFSET 0
        ) t"""  # noqa: S608 -- identifiers come from this module; every value is a query parameter


def rating_cutoff(period: datetime.date, today: datetime.date) -> datetime.date:
    """Ratings dated before this day count for ``period``: those given up to today while the month runs
    (a re-grade now reflects a rating given this morning), those given up to the month's end once it is
    over (back-grading a past month uses the ratings of that time, not today's)."""
    return min(today + datetime.timedelta(days=1), add_months(period, 1))


def _base_params(period: datetime.date, today: datetime.date | None = None) -> dict:
    return {
        "period": period,
        "window_start": add_months(period, -12),
        "prior_start": add_months(period, -24),
        "rating_cutoff": rating_cutoff(period, today or timezone.localdate()),
    }


def order_aggregates_create(*, period: datetime.date) -> tuple[str, dict]:
    """CREATE TEMPORARY TABLE of the order aggregates for ``period``, dropped when the transaction ends."""
    sql = f"CREATE TEMPORARY TABLE {ORDER_AGGREGATES_TABLE} ON COMMIT DROP AS {ORDER_AGGREGATES}"
    return sql, _base_params(period)


def snapshot_upsert(
    *,
    spec: ModelSpec,
    period: datetime.date,
    scoring_model_id: int,
    run_id: int | None,
    today,
    now,
    rerun: bool = True,
) -> tuple[str, dict]:
    """One INSERT … SELECT writing every graded account's snapshot for the period, reading the order
    aggregates from the temporary table ``order_aggregates_create`` made in the same transaction.

    ``rerun``: the period has snapshots already, which are updated (ON CONFLICT … DO UPDATE). A first run
    inserts only, which spares the speculative insertion of every row; the unique (account, period)
    index still refuses a duplicate, and runs of one period are serialised by the caller's lock.

    Returns the number of snapshots per effective grade and provisional flag (a data-modifying CTE), so
    the run can record its counts without another pass over the table.
    """
    params = _Params(**_base_params(period, today))
    params.values.update(
        {
            "previous_period": add_months(period, -1),
            "scoring_model_id": scoring_model_id,
            "run_id": run_id,
            "today": today,
            "now": now,
        }
    )
    ctes = _raw_ctes(specs=[spec], orders=ORDER_AGGREGATES_TABLE)
    body = _score_select(spec, params, "ranked")
    raw = ", ".join(RAW_COLUMNS)
    scores = ", ".join(SCORE_COLUMNS.values())
    updates = ",\n".join(
        f"{column} = EXCLUDED.{column}"
        for column in (
            "scoring_model_id",
            "run_id",
            *RAW_COLUMNS,
            *SCORE_COLUMNS.values(),
            "total",
            "computed_grade",
            "grade",
            "previous_grade",
            "provisional",
            "override_id",
            "computed_at",
        )
    )
    sql = f"""
    WITH {ctes},
    scored AS ({body}),
    written AS (
        INSERT INTO scoring_gradesnapshot (
            account_id, period, scoring_model_id, run_id, {raw}, {scores},
            total, computed_grade, grade, previous_grade, provisional, override_id, computed_at)
        SELECT sc.account_id, %(period)s::date, %(scoring_model_id)s, %(run_id)s,
               {", ".join(f"sc.{c}" for c in RAW_COLUMNS)},
               {", ".join(f"sc.{c}" for c in SCORE_COLUMNS.values())},
               sc.total, sc.computed_grade, COALESCE(ov.grade, sc.computed_grade), COALESCE(prev.grade, ''),
               sc.provisional, ov.id, %(now)s
        FROM scored sc
        LEFT JOIN scoring_gradesnapshot prev
               ON prev.account_id = sc.account_id AND prev.period = %(previous_period)s::date
        LEFT JOIN scoring_gradeoverride ov
               ON ov.account_id = sc.account_id AND ov.revoked_at IS NULL AND ov.expires_on >= %(today)s::date
        ORDER BY sc.account_id
        {f"ON CONFLICT (account_id, period) DO UPDATE SET {updates}" if rerun else ""}
        RETURNING grade, provisional
    )
    SELECT grade, provisional, COUNT(*) FROM written GROUP BY grade, provisional"""  # noqa: S608
    return sql, params.values


def comparison_select(
    *, current: ModelSpec | None, draft: ModelSpec, period: datetime.date
) -> tuple[str, dict]:
    """Per account: total and grade under the current model and under the draft, on the same data."""
    params = _Params(**_base_params(period))
    specs = [draft] if current is None else [current, draft]
    ctes = _raw_ctes(specs=specs, orders=f"({ORDER_AGGREGATES})")
    draft_body = _score_select(draft, params, "ranked")
    if current is None:
        current_cte = (
            "now_scored AS (SELECT NULL::bigint AS account_id, NULL::numeric AS total,"
            " NULL::text AS computed_grade WHERE false)"
        )
    else:
        current_cte = f"now_scored AS MATERIALIZED ({_score_select(current, params, 'ranked')})"
    sql = f"""
    WITH {ctes},
    {current_cte},
    draft_scored AS MATERIALIZED ({draft_body})
    SELECT COALESCE(n.account_id, d.account_id) AS account_id,
           n.total AS current_total, n.computed_grade AS current_grade,
           d.total AS draft_total, d.computed_grade AS draft_grade
    FROM now_scored n FULL OUTER JOIN draft_scored d ON d.account_id = n.account_id"""  # noqa: S608
    return sql, params.values
