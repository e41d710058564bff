"""Reads of the scoring app: an account's grade panel, grade counts, the what-if preview of a draft."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, F, Q, When
from django.utils import timezone

from accounts.models import Account
from service_tiers.rules import override_in_force_q

from .computation import WORK_MEM, ModelSpec, comparison_select
from .models import HUNDRED, AccountRating, Criterion, Grade, GradeOverride, GradeSnapshot, ScoringModel
from .services import active_scoring_model, can_override, can_rate, current_period

HISTORY_MONTHS = 12
PREVIEW_CHANGED_LIMIT = 500
GRADES = tuple(Grade.values)


# --- Account panel ---------------------------------------------------------------------------------


@dataclass
class BreakdownRow:
    criterion: Criterion
    raw: dict  # what the template shows as the raw value
    sub_score: Decimal | None
    contribution: Decimal | None  # weight × sub-score / 100, in points of the total
    # A rating given since the snapshot was computed: shown at once, counted at the next grading.
    pending_rating: int | None = None


@dataclass
class GradePanel:
    account: Account
    snapshot: GradeSnapshot | None
    effective_grade: str | None
    override: GradeOverride | None  # the override in force today, if any
    breakdown: list[BreakdownRow]
    history: list[GradeSnapshot]
    ratings: dict[str, AccountRating]
    can_rate_strategic_fit: bool
    can_override: bool
    missing_weight: Decimal = field(default=Decimal(0))
    next_grading_on: datetime.date | None = None  # when the monthly re-grade next computes the score


def _raw_value(snapshot: GradeSnapshot, key: str) -> dict:
    return {
        "credit": {
            "invoices_due": snapshot.invoices_due,
            "on_time_share": snapshot.on_time_share,
            "avg_days_late": snapshot.avg_days_late,
        },
        "order_volume": {"amount": snapshot.order_volume},
        "profit_contribution": {"amount": snapshot.gross_profit},
        "growth": {"percent": snapshot.growth_pct, "prior": snapshot.prior_year_volume},
        "relationship": {"rating": snapshot.relationship_rating},
        "strategic_fit": {"rating": snapshot.strategic_fit_rating},
        "ownership_type": {
            "ownership_type": dict(Account.OwnershipType.choices).get(
                snapshot.ownership_type, snapshot.ownership_type
            )
        },
        "client_strength": {"amount": snapshot.registered_capital},
    }[key]


def account_grade_panel(*, user, account: Account) -> GradePanel:
    """Everything the account page shows about grading, in a fixed number of queries.

    The caller has already fetched ``account`` through ``Account.objects.visible_to(user)``.
    """
    today = timezone.localdate()
    history = list(
        GradeSnapshot.objects.filter(account=account)
        .select_related("scoring_model")
        .order_by("-period")[:HISTORY_MONTHS]
    )
    snapshot = history[0] if history else None
    override = (
        GradeOverride.objects.filter(account=account, revoked_at__isnull=True, expires_on__gte=today)
        .select_related("author")
        .first()
    )
    breakdown, missing = [], Decimal(0)
    if snapshot is not None:
        for criterion in Criterion.objects.filter(scoring_model_id=snapshot.scoring_model_id):
            sub_score = snapshot.score_for(criterion.key)
            if sub_score is None:
                missing += criterion.weight
            contribution = None if sub_score is None else (criterion.weight * sub_score / HUNDRED)
            breakdown.append(
                BreakdownRow(criterion, _raw_value(snapshot, criterion.key), sub_score, contribution)
            )
    ratings = {r.kind: r for r in AccountRating.objects.filter(account=account).select_related("rated_by")}
    for row in breakdown:
        rating = ratings.get(row.criterion.key)
        if rating is not None and rating.value != row.raw.get("rating"):
            row.pending_rating = rating.value
    effective = None
    if snapshot is not None:
        # The end date decides, whether or not the nightly expiry has already run.
        effective = override.grade if override is not None else snapshot.computed_grade
    return GradePanel(
        account=account,
        snapshot=snapshot,
        effective_grade=effective,
        override=override,
        breakdown=breakdown,
        history=history,
        ratings=ratings,
        can_rate_strategic_fit=can_rate(user, AccountRating.Kind.STRATEGIC_FIT),
        can_override=can_override(user),
        missing_weight=missing,
        next_grading_on=next_grading_on(today),
    )


def next_grading_on(today: datetime.date) -> datetime.date:
    """The monthly re-grade runs on the first of each month (scoring.tasks.regrade_scheduled)."""
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def effective_grades(*, user, period: datetime.date | None = None):
    """Visible accounts' snapshots of a period, with the grade in force (overrides past their end ignored)."""
    period = period or current_period()
    today = timezone.localdate()
    return (
        GradeSnapshot.objects.filter(period=period, account__in=Account.objects.visible_to(user))
        .annotate(
            effective_grade=Case(
                When(
                    Q(override__isnull=False) & override_in_force_q(today=today, prefix="override__"),
                    then=F("override__grade"),
                ),
                default=F("computed_grade"),
            )
        )
        .select_related("account")
    )


def grade_counts(*, period: datetime.date, field: str = "computed_grade") -> dict[str, int]:
    """Snapshots per grade for a period (``field``: "computed_grade" or the stored "grade")."""
    counts = dict.fromkeys(GRADES, 0)
    rows = GradeSnapshot.objects.filter(period=period).values(field).annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row[field]] = row["n"]
    return counts


# --- What-if preview --------------------------------------------------------------------------------


@dataclass
class ChangedAccount:
    account_id: int
    name: str
    current_total: Decimal | None
    current_grade: str | None
    draft_total: Decimal | None
    draft_grade: str | None


@dataclass
class Preview:
    draft: ScoringModel
    current: ScoringModel | None
    period: datetime.date
    current_counts: dict[str, int]
    draft_counts: dict[str, int]
    matrix: dict[str, dict[str, int]]  # matrix[current grade or "—"][draft grade or "—"]
    changed: list[ChangedAccount]
    changed_total: int
    seconds: float


def scoring_model_preview(*, draft: ScoringModel, period: datetime.date | None = None) -> Preview:
    """What activating ``draft`` would do on today's data, next to the active model, without writing.

    Both models are scored in one statement over the same raw values (computed once); the comparison
    is materialised in a temporary table for the counts, the matrix and the list of changed accounts.
    """
    started = time.perf_counter()
    period = period or current_period()
    current = active_scoring_model()
    sql, params = comparison_select(
        current=ModelSpec.from_model(current) if current is not None else None,
        draft=ModelSpec.from_model(draft),
        period=period,
    )
    keys = [*GRADES, "—"]
    matrix = {row: dict.fromkeys(keys, 0) for row in keys}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        cursor.execute("CREATE TEMPORARY TABLE scoring_preview ON COMMIT DROP AS " + sql, params)
        cursor.execute(
            "SELECT COALESCE(current_grade, '—'), COALESCE(draft_grade, '—'), COUNT(*) "
            "FROM scoring_preview GROUP BY 1, 2"
        )
        for row, column, count in cursor.fetchall():
            matrix[row][column] = count
        cursor.execute(
            "SELECT COUNT(*) FROM scoring_preview WHERE current_grade IS DISTINCT FROM draft_grade"
        )
        changed_total = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT p.account_id, a.name, p.current_total, p.current_grade, p.draft_total, p.draft_grade
            FROM scoring_preview p JOIN accounts_account a ON a.id = p.account_id
            WHERE p.current_grade IS DISTINCT FROM p.draft_grade
            ORDER BY ABS(COALESCE(p.draft_total, 0) - COALESCE(p.current_total, 0)) DESC, a.name, p.account_id
            LIMIT %s
            """,
            [PREVIEW_CHANGED_LIMIT],
        )
        changed = [ChangedAccount(*row) for row in cursor.fetchall()]
        cursor.execute("DROP TABLE scoring_preview")
    current_counts = {grade: sum(matrix[grade].values()) for grade in GRADES}
    draft_counts = {grade: sum(matrix[row][grade] for row in keys) for grade in GRADES}
    return Preview(
        draft=draft,
        current=current,
        period=period,
        current_counts=current_counts,
        draft_counts=draft_counts,
        matrix=matrix,
        changed=changed,
        changed_total=changed_total,
        seconds=time.perf_counter() - started,
    )


def latest_snapshot(*, account: Account) -> GradeSnapshot | None:
    """The account's most recent grade snapshot (the caller has the account through the visibility rule)."""
    return GradeSnapshot.objects.filter(account=account).order_by("-period").first()
