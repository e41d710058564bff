"""Value and behaviour segments of every account for a period, in one set-based statement.

Written with the monthly re-grade, inside its transaction, from the order aggregates it has just summed
(``scoring.computation.ORDER_AGGREGATES_TABLE``: one pass over the orders serves both). Period P = the
first day of the graded month; figures cover the 12 months before P, like the grade's. Accounts with an
order in the 24 months before P get a row.

* Value segment (Pareto): accounts sorted by 12-month gross profit, largest first (ties by id). An
  account whose predecessors together make less than the high share (default 80 %) of the total positive
  gross profit is high value; less than the medium share (default 95 %), medium; the rest, and every
  account with no positive gross profit, low. So the accounts that make the first 80 % are high.
* Behaviour (RFM): recency (date of the last order), frequency (orders in 12 months) and monetary value
  (order amount in 12 months) each scored 1–5 by quintile: 1 + ⌊5 × (rank − 1) / (n − 1)⌋, capped at 5,
  ranked ascending (older, fewer, smaller → lower) among the accounts with a row; ties share a score.
  The named segment is the first ``RfmSegment`` in position order whose ranges hold the three scores.
* Interaction frequency is shown beside it, counted live for one account (``selectors.account_segments``):
  a pass over every interaction would cost the re-grade seconds for a figure nobody filters by.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction

from scoring.computation import ORDER_AGGREGATES_TABLE, order_aggregates_create

from .models import SegmentationSettings


def segmentation_settings() -> SegmentationSettings:
    """The thresholds in force: the stored row, or the defaults while an admin has saved none."""
    return SegmentationSettings.objects.filter(pk=1).first() or SegmentationSettings(pk=1)


# {orders} is the order aggregates table; everything else is a parameter. Money is ranked as integer
# cents (exact for numeric(18,2), and integer comparisons make the four sorts cheaper than numeric ones).
SEGMENTS_INSERT = """
WITH valued AS (
    SELECT oa.account_id, oa.orders_12m, oa.last_order_date,
           (oa.gross_profit * 100)::bigint AS profit_cents, (oa.order_volume * 100)::bigint AS volume_cents
    FROM {orders} oa
),
ranked AS (
    SELECT v.account_id, v.orders_12m, v.last_order_date, v.profit_cents,
           SUM(GREATEST(v.profit_cents, 0)) OVER (
               ORDER BY v.profit_cents DESC, v.account_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS profit_before,
           SUM(GREATEST(v.profit_cents, 0)) OVER () AS profit_total,
           COUNT(*) OVER () AS n,
           rank() OVER (ORDER BY v.last_order_date) AS recency_rank,
           rank() OVER (ORDER BY v.orders_12m) AS frequency_rank,
           rank() OVER (ORDER BY v.volume_cents) AS monetary_rank
    FROM valued v
),
scored AS (
    SELECT x.*,
           LEAST(5, 1 + COALESCE((x.recency_rank - 1) * 5 / NULLIF(x.n - 1, 0), 0)) AS r,
           LEAST(5, 1 + COALESCE((x.frequency_rank - 1) * 5 / NULLIF(x.n - 1, 0), 0)) AS f,
           LEAST(5, 1 + COALESCE((x.monetary_rank - 1) * 5 / NULLIF(x.n - 1, 0), 0)) AS m
    FROM ranked x
    OFFSET 0
),
-- The segment of each of the 125 score combinations, looked up once (not once per account).
rules AS MATERIALIZED (
    SELECT r, f, m, (
        SELECT s.id FROM segmentation_rfmsegment s
        WHERE r BETWEEN s.recency_min AND s.recency_max
          AND f BETWEEN s.frequency_min AND s.frequency_max
          AND m BETWEEN s.monetary_min AND s.monetary_max
        ORDER BY s.position, s.id LIMIT 1) AS segment_id
    FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
)
INSERT INTO segmentation_accountsegment (
    period, account_id, profit_share_before, value_segment, last_order_on, orders,
    recency_score, frequency_score, monetary_score, rfm_segment_id)
SELECT %(period)s::date, s.account_id,
       CASE WHEN s.profit_total > 0 AND s.profit_cents > 0
            THEN ROUND(COALESCE(s.profit_before, 0) * 100.0 / s.profit_total, 4) END,
       CASE WHEN s.profit_cents <= 0 OR s.profit_total <= 0 THEN 'low'
            WHEN COALESCE(s.profit_before, 0) * 100 < %(high_share)s * s.profit_total THEN 'high'
            WHEN COALESCE(s.profit_before, 0) * 100 < %(medium_share)s * s.profit_total THEN 'medium'
            ELSE 'low' END,
       s.last_order_date, s.orders_12m, s.r, s.f, s.m, rules.segment_id
FROM scored s
JOIN rules ON rules.r = s.r AND rules.f = s.f AND rules.m = s.m
ORDER BY s.account_id
"""


def account_segments_write(*, period: datetime.date, cursor=None) -> int:
    """(Re)write every account's value and behaviour segment for ``period``; returns the rows written.

    Inside the re-grade (``cursor`` given) the order aggregates table of the same transaction is read;
    on its own (back-filling a month graded before segments existed) it sums the orders itself.
    """
    period = period.replace(day=1)
    settings_row = segmentation_settings()
    params = {
        "period": period,
        "high_share": settings_row.high_share,
        "medium_share": settings_row.medium_share,
    }
    if cursor is not None:
        return _write(cursor, period, params)
    with transaction.atomic(), connection.cursor() as own_cursor:
        own_cursor.execute(*order_aggregates_create(period=period))
        written = _write(own_cursor, period, params)
        own_cursor.execute(f"DROP TABLE {ORDER_AGGREGATES_TABLE}")
        return written


def _write(cursor, period, params) -> int:
    cursor.execute("DELETE FROM segmentation_accountsegment WHERE period = %s", [period])
    cursor.execute(SEGMENTS_INSERT.format(orders=ORDER_AGGREGATES_TABLE), params)
    return cursor.rowcount
