"""Signals of the scoring app, so other apps can react to grading without scoring knowing them."""

from django.dispatch import Signal

# Sent once a re-grade run's transaction has committed, with ``run`` (a succeeded RegradeRun).
# The dashboard's aggregate tables are rebuilt on it (see segmentation.apps).
period_regraded = Signal()
