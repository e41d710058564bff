"""Writes of the scoring app: model lifecycle and validation, ratings, overrides, re-grading.

How a grade is computed is described (and written as SQL) in ``scoring/computation.py``; this module
decides *when* and *under which rules*: every entry point (admin, views, tasks, commands) calls these.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.roles import is_administrator, is_sales_director
from kam.locks import advisory_lock, advisory_xact_lock
from kam.periods import parse_period

from .computation import (
    ORDER_AGGREGATES_TABLE,
    WORK_MEM,
    BandSpec,
    CriterionSpec,
    ModelSpec,
    add_months,
    order_aggregates_create,
    snapshot_upsert,
)
from .models import (
    HUNDRED,
    PERCENTILE_KEYS,
    AccountRating,
    AccountRatingChange,
    Band,
    Criterion,
    CriterionKey,
    Grade,
    GradeOverride,
    GradeSnapshot,
    RegradeRun,
    ScoringModel,
)
from .signals import period_regraded, period_scored

logger = logging.getLogger(__name__)


MAX_OVERRIDE_DAYS = 366


# --- Periods ---------------------------------------------------------------------------------------


def current_period(today: datetime.date | None = None) -> datetime.date:
    """The first day of the current month in Asia/Shanghai (the project's TIME_ZONE)."""
    today = today or timezone.localdate()
    return today.replace(day=1)


def period_normalise(period: datetime.date | str | None) -> datetime.date:
    if period is None:
        return current_period()
    if isinstance(period, str):
        return parse_period(period)  # a month given by a person (a command's --period)
    return period.replace(day=1)


# --- Validation: the one place that decides whether a model may be active -------------------------


def _number(value, label: str, errors: list[str]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(_("%(field)s is empty.") % {"field": label})
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.append(_("%(field)s is not a number.") % {"field": label})
        return None
    if not number.is_finite():
        errors.append(_("%(field)s must be a finite number (not NaN or infinity).") % {"field": label})
        return None
    return number


def scoring_definition_validate(
    *,
    threshold_a,
    threshold_b,
    criteria: Iterable[CriterionSpec],
    bands: Iterable[BandSpec],
) -> None:
    """Raise ValidationError listing every problem that keeps a model definition from being activated.

    Weights ≥ 0 adding up to exactly 100; each band criterion covered 0–100 by its bands without gaps or
    overlaps; percentile only for quantities; 0 < B < A ≤ 100; no empty, NaN or infinite number.
    """
    criteria, bands, errors = list(criteria), list(bands), []
    a = _number(threshold_a, _("The A threshold"), errors)
    b = _number(threshold_b, _("The B threshold"), errors)
    if a is not None and b is not None and not (0 < b < a <= HUNDRED):
        errors.append(
            _("Thresholds must satisfy 0 < B < A ≤ 100 (A is %(a)s, B is %(b)s).") % {"a": a, "b": b}
        )
    if not criteria:
        errors.append(_("A scoring model needs at least one criterion."))
    seen, total = set(), Decimal(0)
    labels = dict(CriterionKey.choices)
    for criterion in criteria:
        label = labels.get(criterion.key, criterion.key)
        if criterion.key not in labels:
            errors.append(_("Unknown criterion “%(key)s”.") % {"key": criterion.key})
        if criterion.key in seen:
            errors.append(_("%(criterion)s appears more than once.") % {"criterion": label})
        seen.add(criterion.key)
        weight = _number(criterion.weight, _("The weight of %(criterion)s") % {"criterion": label}, errors)
        if weight is not None:
            if weight < 0:
                errors.append(_("The weight of %(criterion)s must not be negative.") % {"criterion": label})
            total += weight
        if criterion.method == Criterion.Method.PERCENTILE:
            if criterion.key not in PERCENTILE_KEYS:
                errors.append(
                    _("%(criterion)s is a rating or a category: it cannot be ranked by percentile.")
                    % {"criterion": label}
                )
            if any(band.criterion == criterion.key for band in bands):
                errors.append(
                    _("%(criterion)s is ranked by percentile and takes no bands; delete its bands.")
                    % {"criterion": label}
                )
        elif criterion.method == Criterion.Method.BANDS:
            errors.extend(_band_errors(label, [band for band in bands if band.criterion == criterion.key]))
        else:
            errors.append(_("%(criterion)s has an unknown method.") % {"criterion": label})
    if criteria and total != HUNDRED:
        errors.append(
            _("The weights add up to %(total)s; they must add up to exactly 100.") % {"total": total}
        )
    for band in bands:
        if band.criterion not in seen:
            errors.append(
                _("There are bands for %(criterion)s, which is not a criterion of this model.")
                % {"criterion": labels.get(band.criterion, band.criterion)}
            )
            break
    if errors:
        raise ValidationError(errors)


def _band_errors(label: str, bands: list[BandSpec]) -> list[str]:
    errors: list[str] = []
    if not bands:
        return [_("%(criterion)s is scored by bands but has none.") % {"criterion": label}]
    parsed = []
    for band in bands:
        lower = _number(band.lower, _("A lower bound of %(criterion)s") % {"criterion": label}, errors)
        upper = _number(band.upper, _("An upper bound of %(criterion)s") % {"criterion": label}, errors)
        points = _number(band.points, _("A sub-score of %(criterion)s") % {"criterion": label}, errors)
        if None in (lower, upper, points):
            continue
        if not (0 <= lower < upper <= HUNDRED):
            errors.append(
                _("The band %(lower)s–%(upper)s of %(criterion)s must run upwards within 0–100.")
                % {"lower": lower, "upper": upper, "criterion": label}
            )
        if not (0 <= points <= HUNDRED):
            errors.append(
                _("The sub-score %(points)s of %(criterion)s must be between 0 and 100.")
                % {"points": points, "criterion": label}
            )
        parsed.append((lower, upper))
    if errors:
        return errors
    parsed.sort()
    if parsed[0][0] != 0:
        errors.append(
            _("The bands of %(criterion)s must start at 0 (they start at %(lower)s).")
            % {"criterion": label, "lower": parsed[0][0]}
        )
    for (_lower, upper), (next_lower, _next_upper) in zip(parsed, parsed[1:], strict=False):
        if next_lower > upper:
            errors.append(
                _("The bands of %(criterion)s leave a gap between %(upper)s and %(lower)s.")
                % {"criterion": label, "upper": upper, "lower": next_lower}
            )
        elif next_lower < upper:
            errors.append(
                _("The bands of %(criterion)s overlap between %(lower)s and %(upper)s.")
                % {"criterion": label, "lower": next_lower, "upper": upper}
            )
    if parsed[-1][1] != HUNDRED:
        errors.append(
            _("The bands of %(criterion)s must end at 100 (they end at %(upper)s).")
            % {"criterion": label, "upper": parsed[-1][1]}
        )
    return errors


def scoring_model_validate(*, scoring_model: ScoringModel) -> None:
    spec = ModelSpec.from_model(scoring_model)
    scoring_definition_validate(
        threshold_a=spec.threshold_a, threshold_b=spec.threshold_b, criteria=spec.criteria, bands=spec.bands
    )


def _require_model_admin(actor) -> None:
    if actor is None:
        return  # system (migration, task)
    if not (is_administrator(actor) or actor.has_perm("scoring.change_scoringmodel")):
        raise PermissionDenied(_("Only an administrator can change scoring models."))


# --- Model lifecycle --------------------------------------------------------------------------------


@transaction.atomic
def scoring_model_activate(*, actor, scoring_model: ScoringModel) -> ScoringModel:
    """Make a valid draft the one active model; the previously active model is retired."""
    _require_model_admin(actor)
    advisory_xact_lock("scoring-model-activation")  # one at a time: the partial unique index stays happy
    model = ScoringModel.objects.select_for_update().get(pk=scoring_model.pk)
    if model.status != ScoringModel.Status.DRAFT:
        raise ValidationError(
            _("Only a draft can be activated; this model is %(status)s.")
            % {"status": model.get_status_display()}
        )
    scoring_model_validate(scoring_model=model)
    now = timezone.now()
    ScoringModel.objects.filter(status=ScoringModel.Status.ACTIVE).update(
        status=ScoringModel.Status.RETIRED, retired_at=now
    )
    model.status = ScoringModel.Status.ACTIVE
    model.activated_at = now
    model.activated_by = actor
    model.save(update_fields=["status", "activated_at", "activated_by"])
    logger.info("Scoring model %s activated by %s", model.pk, actor)
    return model


@transaction.atomic
def scoring_model_copy_to_draft(*, actor, scoring_model: ScoringModel, name: str = "") -> ScoringModel:
    """A new draft with the same thresholds, criteria and bands: the way to change an active model."""
    _require_model_admin(actor)
    copy = ScoringModel.objects.create(
        name=name or _("Copy of %(name)s") % {"name": scoring_model.name},
        description=scoring_model.description,
        threshold_a=scoring_model.threshold_a,
        threshold_b=scoring_model.threshold_b,
        copied_from=scoring_model,
        created_by=actor,
    )
    Criterion.objects.bulk_create(
        Criterion(
            scoring_model=copy,
            key=c.key,
            label_en=c.label_en,
            label_zh_hans=c.label_zh_hans,
            weight=c.weight,
            method=c.method,
            position=c.position,
        )
        for c in scoring_model.criteria.all()
    )
    Band.objects.bulk_create(
        Band(
            scoring_model=copy,
            criterion=b.criterion,
            label=b.label,
            lower=b.lower,
            upper=b.upper,
            points=b.points,
        )
        for b in scoring_model.bands.all()
    )
    return copy


def active_scoring_model() -> ScoringModel | None:
    return ScoringModel.objects.filter(status=ScoringModel.Status.ACTIVE).first()


# --- Ratings ----------------------------------------------------------------------------------------


def _visible_account(actor, account_id) -> Account:
    """The account if the actor may see it; Account.DoesNotExist otherwise (a view turns it into 404)."""
    return Account.objects.visible_to(actor).get(pk=account_id)


def can_rate(actor, kind: str) -> bool:
    if kind == AccountRating.Kind.STRATEGIC_FIT:
        return is_sales_director(actor) or is_administrator(actor)
    return kind == AccountRating.Kind.RELATIONSHIP


def can_override(actor) -> bool:
    return is_sales_director(actor) or is_administrator(actor)


@transaction.atomic
def account_rating_set(
    *, actor, account_id: int, kind: str, value: int, rated_on: datetime.date | None = None, note: str = ""
) -> AccountRating:
    """Set the relationship (any user who sees the account) or strategic-fit rating (directors, admins).

    Every change is written to the audit trail with the old and the new value.
    """
    account = _visible_account(actor, account_id)
    if kind not in AccountRating.Kind.values:
        raise ValidationError({"kind": _("Unknown rating.")})
    if not can_rate(actor, kind):
        raise PermissionDenied(_("Only a sales director or an administrator can rate strategic fit."))
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({"value": _("Choose a rating from 1 to 5.")})
    today = timezone.localdate()
    rated_on = rated_on or today
    if rated_on > today:
        raise ValidationError({"rated_on": _("A rating cannot be dated in the future.")})
    rating = AccountRating.objects.select_for_update().filter(account=account, kind=kind).first()
    old_value = rating.value if rating else None
    if rating is None:
        rating = AccountRating(account=account, kind=kind)
    rating.value, rating.rated_on, rating.rated_by, rating.note = value, rated_on, actor, note.strip()
    rating.full_clean()
    rating.save()
    AccountRatingChange.objects.create(
        account=account,
        kind=kind,
        old_value=old_value,
        new_value=value,
        rated_on=rated_on,
        note=rating.note,
        changed_by=actor,
    )
    return rating


# --- Overrides --------------------------------------------------------------------------------------


def _alerts_follow(account_id: int) -> None:
    from service_tiers.services import alerts_follow  # the effective grade moves the account's tier

    alerts_follow(account_ids=[account_id])


@transaction.atomic
def grade_override_set(
    *, actor, account_id: int, grade: str, reason: str, expires_on: datetime.date
) -> GradeOverride:
    """A director's grade for a visible account until ``expires_on`` (inclusive); the computed grade stays."""
    account = _visible_account(actor, account_id)
    if not can_override(actor):
        raise PermissionDenied(_("Only a sales director or an administrator can override a grade."))
    errors = {}
    if grade not in Grade.values:
        errors["grade"] = _("Choose A, B or C.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the override.")
    today = timezone.localdate()
    if expires_on is None or expires_on < today:
        errors["expires_on"] = _("The end date must be today or later.")
    elif (expires_on - today).days > MAX_OVERRIDE_DAYS:
        errors["expires_on"] = _("An override can last at most one year.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    GradeOverride.objects.filter(account=account, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    override = GradeOverride(
        account=account, grade=grade, reason=reason, expires_on=expires_on, author=actor, created_at=now
    )
    override.full_clean()  # the reason's length limit (kam/limits.py), whatever the entry point
    override.save()
    latest = GradeSnapshot.objects.filter(account=account).order_by("-period").first()
    if latest is not None:
        latest.grade, latest.override = grade, override
        latest.save(update_fields=["grade", "override"])
    _alerts_follow(account.pk)
    return override


@transaction.atomic
def grade_override_revoke(*, actor, account_id: int) -> int:
    """End the account's override now; its snapshots return to the computed grade."""
    account = _visible_account(actor, account_id)
    if not can_override(actor):
        raise PermissionDenied(_("Only a sales director or an administrator can override a grade."))
    overrides = list(
        GradeOverride.objects.select_for_update().filter(account=account, revoked_at__isnull=True)
    )
    GradeOverride.objects.filter(pk__in=[o.pk for o in overrides]).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    _restore_computed_grades(override_ids=[o.pk for o in overrides])
    _alerts_follow(account.pk)
    return len(overrides)


def _restore_computed_grades(*, override_ids) -> int:
    from django.db.models import F

    return GradeSnapshot.objects.filter(override_id__in=override_ids).update(
        grade=F("computed_grade"), override=None
    )


def grade_overrides_expire(*, today: datetime.date | None = None) -> int:
    """Snapshots whose override has ended return to their computed grade (set-based, run daily).

    Reads never depend on this: the effective grade shown anywhere checks the end date itself.
    """
    today = today or timezone.localdate()
    expired = GradeOverride.objects.filter(expires_on__lt=today).values("pk")
    return _restore_computed_grades(override_ids=expired)


# --- Re-grading -------------------------------------------------------------------------------------


def regrade_run_create(*, period=None, trigger: str, actor=None) -> RegradeRun:
    return RegradeRun.objects.create(
        period=period_normalise(period), trigger=trigger, triggered_by=actor, status=RegradeRun.Status.PENDING
    )


def regrade_run_fail(*, run: RegradeRun, error: str) -> None:
    """A run that will never start or finish (its task could not be queued, its worker died)."""
    RegradeRun.objects.filter(
        pk=run.pk, status__in=[RegradeRun.Status.PENDING, RegradeRun.Status.RUNNING]
    ).update(status=RegradeRun.Status.FAILED, finished_at=timezone.now(), error=error[:2000])


def regrade_runs_abandoned_fail(*, now: datetime.datetime | None = None) -> int:
    """Mark failed the re-grade runs no worker is doing or will do (the watchdog, kam/tasks.py).

    A run that is doing its work holds its period's lock, so a run whose period lock is free is not
    being done now; it is abandoned when it was queued longer ago than ``KAM_RUN_ABANDONED_SECONDS``
    (the broker would have redelivered it, and the hard time limit ended any delivery). A run marked
    failed and then delivered after all still runs: the re-grade is idempotent."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.KAM_RUN_ABANDONED_SECONDS)
    candidates = RegradeRun.objects.filter(
        status__in=[RegradeRun.Status.PENDING, RegradeRun.Status.RUNNING], created_at__lt=cutoff
    )
    failed = 0
    for period in candidates.values_list("period", flat=True).distinct():  # a few periods at most
        with advisory_lock(f"regrade:{period.isoformat()}", wait=False) as free:
            if free:
                failed += candidates.filter(period=period).update(
                    status=RegradeRun.Status.FAILED,
                    finished_at=now,
                    error="abandoned: no worker finished this run (worker lost, or the task never arrived)",
                )
    if failed:
        logger.warning("Marked %s abandoned re-grade run(s) failed", failed)
    return failed


def regrade_period(
    *,
    period=None,
    trigger: str = RegradeRun.Trigger.COMMAND,
    actor=None,
    run: RegradeRun | None = None,
    progress: Callable[[str], None] | None = None,
) -> RegradeRun:
    """Grade every account for a period with the active model, in a few set-based statements.

    Idempotent: one snapshot per account and period whatever the number of runs. The run is one
    transaction holding the period's advisory lock (kam.locks): two workers at once queue on it, a
    duplicate delivery of a run that succeeded meanwhile does nothing, and a run killed midway rolls
    back, releasing the lock, and is recorded as failed.
    """
    say = progress or (lambda message: None)
    if run is None:
        run = regrade_run_create(period=period, trigger=trigger, actor=actor)
    say(_("Waiting for other runs of %(period)s…") % {"period": f"{run.period:%Y-%m}"})
    try:
        # The whole run is one transaction holding the period's lock: a run killed midway rolls back
        # and releases it, and no pooled connection keeps it after an error.
        with advisory_lock(f"regrade:{run.period.isoformat()}"), connection.cursor() as cursor:
            _regrade_locked(run, cursor, say)
    except Exception as error:
        logger.exception("Re-grade run %s for %s failed", run.pk, run.period)
        if connection.in_atomic_block and connection.needs_rollback:
            raise
        RegradeRun.objects.filter(pk=run.pk).update(
            status=RegradeRun.Status.FAILED, finished_at=timezone.now(), error=repr(error)[:2000]
        )
        run.refresh_from_db()
        raise
    say(
        _("Graded %(n)s accounts: %(a)s A, %(b)s B, %(c)s C (%(p)s provisional).")
        % {
            "n": run.accounts_graded,
            "a": run.grade_a_count,
            "b": run.grade_b_count,
            "c": run.grade_c_count,
            "p": run.provisional_count,
        }
    )
    return run


def _regrade_locked(run: RegradeRun, cursor, say) -> None:
    run.refresh_from_db()  # a duplicate delivery of the same run waited for the lock: nothing left to do
    if run.status == RegradeRun.Status.SUCCEEDED:
        say(_("Run %(id)s already succeeded; nothing to do.") % {"id": run.pk})
        return
    # Runs still marked running for this period died midway: we hold the lock, they cannot be alive.
    RegradeRun.objects.filter(period=run.period, status=RegradeRun.Status.RUNNING).exclude(pk=run.pk).update(
        status=RegradeRun.Status.FAILED, finished_at=timezone.now(), error="interrupted"
    )
    model = active_scoring_model()
    if model is None:
        raise ValidationError(_("There is no active scoring model."))
    run.scoring_model, run.status, run.started_at, run.error = (
        model,
        RegradeRun.Status.RUNNING,
        timezone.now(),
        "",
    )
    run.save(update_fields=["scoring_model", "status", "started_at", "error"])
    spec = ModelSpec.from_model(model)
    say(_("Summing the orders of the 24 months before %(period)s…") % {"period": f"{run.period:%Y-%m}"})
    # One pass over the orders into a temporary table: CREATE TABLE AS may use parallel workers.
    cursor.execute(*order_aggregates_create(period=run.period))
    cursor.execute(f"ANALYZE {ORDER_AGGREGATES_TABLE}")
    say(_("Computing raw values, sub-scores and grades for %(period)s…") % {"period": f"{run.period:%Y-%m}"})
    # The joins and percentile sorts over every account fit in memory instead of spilling to disk.
    cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
    had_snapshots = GradeSnapshot.objects.filter(period=run.period).exists()
    sql, params = snapshot_upsert(
        spec=spec,
        period=run.period,
        scoring_model_id=model.pk,
        run_id=run.pk,
        today=timezone.localdate(),
        now=timezone.now(),
        rerun=had_snapshots,
    )
    cursor.execute(sql, params)
    counts = cursor.fetchall()
    period_scored.send(sender=RegradeRun, run=run, cursor=cursor)
    cursor.execute(f"DROP TABLE {ORDER_AGGREGATES_TABLE}")  # a caller's outer transaction may go on
    if had_snapshots:  # a rerun: accounts no longer graded lose this period's snapshot
        say(_("Removing snapshots of accounts no longer graded…"))
        GradeSnapshot.objects.filter(period=run.period).exclude(run=run).delete()
    per_grade = dict.fromkeys(Grade.values, 0)
    for grade, _provisional, count in counts:
        per_grade[grade] += count
    run.provisional_count = sum(count for _grade, provisional, count in counts if provisional)
    run.grade_a_count, run.grade_b_count, run.grade_c_count = (per_grade[g] for g in Grade.values)
    run.accounts_graded = sum(per_grade.values())
    run.status, run.finished_at = RegradeRun.Status.SUCCEEDED, timezone.now()
    run.save()
    transaction.on_commit(lambda: period_regraded.send(sender=RegradeRun, run=run))


def previous_period(period: datetime.date) -> datetime.date:
    return add_months(period, -1)
