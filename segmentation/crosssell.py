"""Cross-sell suggestions (seed 003: find what similar accounts buy and suggest it before they ask).

Rebuilt nightly in one set-based statement, over the orders from the first day of the same month a year
ago up to today (Asia/Shanghai), "the last 12 months" below:

* buyers: accounts with an order that names a product line, and an industry;
* peers of an account: the other buyers of its industry; a line is suggested to an account that has not
  bought it in the 12 months when at least ``MIN_PEERS_BUYING`` peers bought it and at least
  ``MIN_SUPPORT`` of the industry's buyers did;
* lift = (industry's buyers of the line ÷ industry's buyers) ÷ (all buyers of the line ÷ all buyers):
  above 1, the line is more typical of the industry than of the customer base as a whole;
* each account keeps its ``SUGGESTIONS_PER_ACCOUNT`` lines of highest lift (ties: more peers buying,
  then the line's name).
"""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from scoring.computation import add_months

from .models import CrossSellRefresh

MIN_PEERS_BUYING = 5
MIN_SUPPORT = Decimal("0.10")
SUGGESTIONS_PER_ACCOUNT = 3

CROSS_SELL_INSERT = """
WITH bought AS MATERIALIZED (
    SELECT DISTINCT o.account_id, o.product_line
    FROM accounts_order o
    WHERE o.order_date >= %(since)s AND o.order_date < %(until)s AND o.product_line <> ''
),
buyers AS MATERIALIZED (
    SELECT a.id AS account_id, a.industry
    FROM accounts_account a
    WHERE a.industry <> '' AND a.id IN (SELECT b.account_id FROM bought b)
),
industry_size AS (SELECT industry, COUNT(*) AS n FROM buyers GROUP BY industry),
industry_line AS (
    SELECT u.industry, b.product_line, COUNT(*) AS k
    FROM bought b JOIN buyers u ON u.account_id = b.account_id
    GROUP BY u.industry, b.product_line
),
line_all AS (
    SELECT b.product_line, COUNT(*) AS k
    FROM bought b JOIN buyers u ON u.account_id = b.account_id
    GROUP BY b.product_line
),
everyone AS (SELECT COUNT(*) AS n FROM buyers),
candidates AS (
    SELECT u.account_id, il.product_line, s.n - 1 AS peers, il.k AS peers_buying,
           ROUND((il.k::numeric / s.n) / (la.k::numeric / e.n), 2) AS lift
    FROM buyers u
    JOIN industry_size s ON s.industry = u.industry
    JOIN industry_line il ON il.industry = u.industry
    JOIN line_all la ON la.product_line = il.product_line
    CROSS JOIN everyone e
    WHERE il.k >= %(min_peers_buying)s AND il.k >= %(min_support)s * s.n
      AND NOT EXISTS (
          SELECT 1 FROM bought mine
          WHERE mine.account_id = u.account_id AND mine.product_line = il.product_line)
),
ranked AS (
    SELECT c.*, row_number() OVER (
        PARTITION BY c.account_id ORDER BY c.lift DESC, c.peers_buying DESC, c.product_line) AS rank
    FROM candidates c
)
INSERT INTO segmentation_crosssellsuggestion (account_id, product_line, rank, peers, peers_buying, lift)
SELECT r.account_id, r.product_line, r.rank, r.peers, r.peers_buying, r.lift
FROM ranked r
WHERE r.rank <= %(per_account)s
ORDER BY r.account_id, r.rank
"""


def cross_sell_refresh(*, today: datetime.date | None = None) -> CrossSellRefresh:
    """Replace every suggestion in one transaction: readers see the old set until it commits."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    params = {
        "since": add_months(today.replace(day=1), -12),
        "until": today + datetime.timedelta(days=1),
        "min_peers_buying": MIN_PEERS_BUYING,
        "min_support": MIN_SUPPORT,
        "per_account": SUGGESTIONS_PER_ACCOUNT,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM segmentation_crosssellsuggestion")
        cursor.execute(CROSS_SELL_INSERT, params)
        written = cursor.rowcount
        return CrossSellRefresh.objects.create(
            refreshed_at=timezone.now(),
            seconds=Decimal(f"{time.perf_counter() - started:.3f}"),
            suggestions=written,
        )
