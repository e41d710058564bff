"""Signals of the scoring app, so other apps can react to grading without scoring knowing them."""

from django.dispatch import Signal

# Sent once a re-grade run's transaction has committed, with ``run`` (a succeeded RegradeRun).
# The dashboard's aggregate tables are rebuilt on it (see segmentation.apps).
period_regraded = Signal()

# Sent inside a re-grade run's transaction, after the snapshots are written and while the order
# aggregates table (``computation.ORDER_AGGREGATES_TABLE``) still exists, with ``run`` and ``cursor``.
# Receivers write what is computed with the grades from the same aggregates (the value and behaviour
# segments); an exception rolls the whole run back.
period_scored = Signal()
