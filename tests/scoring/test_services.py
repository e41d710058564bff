"""Model lifecycle and validation, ratings and their audit trail, director overrides."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account
from scoring.computation import BandSpec, CriterionSpec
from scoring.models import AccountRating, AccountRatingChange, Band, GradeSnapshot, ScoringModel
from scoring.services import (
    account_rating_set,
    grade_override_revoke,
    grade_override_set,
    grade_overrides_expire,
    regrade_period,
    scoring_definition_validate,
    scoring_model_activate,
    scoring_model_copy_to_draft,
)

from .conftest import PERIOD, add_order

pytestmark = pytest.mark.django_db

RATING_BANDS = [("0", "50", "0"), ("50", "100", "100")]


def _definition(weights=("50", "50"), bands=RATING_BANDS, threshold_a="75", threshold_b="60"):
    keys = ["relationship", "strategic_fit"]
    return {
        "threshold_a": threshold_a,
        "threshold_b": threshold_b,
        "criteria": [CriterionSpec(key, weight) for key, weight in zip(keys, weights, strict=False)],
        "bands": [BandSpec(key, *band) for key in keys for band in bands],
    }


def test_a_complete_definition_is_valid():
    scoring_definition_validate(**_definition())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights": ("50", "50.0001")}, "add up to 100.0001"),
        ({"weights": ("50", "49.9999")}, "add up to 99.9999"),
        ({"weights": ("110", "-10")}, "must not be negative"),
        ({"weights": ("NaN", "50")}, "not NaN"),
        ({"weights": ("Infinity", "50")}, "not NaN or infinity"),
        ({"weights": ("", "50")}, "is empty"),
        ({"weights": (None, "50")}, "is empty"),
        ({"weights": ("fifty", "50")}, "not a number"),
        ({"bands": [("0", "40", "0"), ("50", "100", "100")]}, "gap between 40 and 50"),
        ({"bands": [("0", "60", "0"), ("50", "100", "100")]}, "overlap"),
        ({"bands": [("10", "50", "0"), ("50", "100", "100")]}, "must start at 0"),
        ({"bands": [("0", "50", "0"), ("50", "99", "100")]}, "must end at 100"),
        ({"bands": [("0", "50", "0"), ("50", "100", "101")]}, "between 0 and 100"),
        ({"bands": [("0", "50", "NaN"), ("50", "100", "100")]}, "not NaN"),
        ({"bands": []}, "has none"),
        ({"threshold_a": "60", "threshold_b": "60"}, "0 < B < A ≤ 100"),
        ({"threshold_a": "100.01"}, "0 < B < A ≤ 100"),
        ({"threshold_b": "0"}, "0 < B < A ≤ 100"),
        ({"threshold_a": "Infinity"}, "not NaN or infinity"),
        ({"threshold_b": ""}, "is empty"),
    ],
)
def test_invalid_definitions_are_rejected_with_a_clear_message(changes, message):
    with pytest.raises(ValidationError) as raised:
        scoring_definition_validate(**_definition(**changes))
    assert any(message in text for text in raised.value.messages), raised.value.messages


def test_percentile_is_refused_for_ratings():
    definition = _definition()
    definition["criteria"][0] = CriterionSpec("relationship", Decimal(50), "percentile")
    with pytest.raises(ValidationError, match="cannot be ranked by percentile"):
        scoring_definition_validate(**definition)


def test_invalid_draft_is_not_activated(world, default_model):
    draft = scoring_model_copy_to_draft(actor=world.admin, scoring_model=default_model)
    criterion = draft.criteria.get(key="credit")
    criterion.weight = Decimal("15.0001")
    criterion.save()
    with pytest.raises(ValidationError, match="100.0001"):
        scoring_model_activate(actor=world.admin, scoring_model=draft)
    draft.refresh_from_db()
    default_model.refresh_from_db()
    assert (draft.status, default_model.status) == ("draft", "active")


def test_activating_a_copy_retires_the_active_model(world, default_model):
    draft = scoring_model_copy_to_draft(actor=world.admin, scoring_model=default_model)
    assert (
        draft.criteria.count() == 6
        and draft.bands.count() == Band.objects.filter(scoring_model=default_model).count()
    )
    scoring_model_activate(actor=world.admin, scoring_model=draft)
    default_model.refresh_from_db()
    assert default_model.status == "retired" and default_model.retired_at is not None
    assert list(ScoringModel.objects.filter(status="active")) == [draft]


def test_only_one_active_model_is_possible_in_the_database(default_model):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModel.objects.create(name="second", status="active", activated_at=default_model.activated_at)


def test_an_active_model_cannot_be_edited(default_model):
    criterion = default_model.criteria.first()
    criterion.weight = Decimal(20)
    with pytest.raises(ValidationError, match="copy the model"):
        criterion.save()
    with pytest.raises(ValidationError):
        default_model.bands.first().delete()


def test_only_administrators_activate_models(world, seed_model):
    with pytest.raises(PermissionDenied):
        scoring_model_activate(actor=world.director, scoring_model=seed_model)


# --- Ratings ---------------------------------------------------------------------------------------


def test_rating_changes_are_audited(world, frozen_today):
    account = world.own_account
    account_rating_set(actor=world.manager, account_id=account.pk, kind="relationship", value=3)
    account_rating_set(
        actor=world.teammate, account_id=account.pk, kind="relationship", value=5, note="新总经理"
    )

    rating = AccountRating.objects.get(account=account, kind="relationship")
    assert (rating.value, rating.rated_by, rating.rated_on) == (
        5,
        world.teammate,
        datetime.date(2026, 11, 15),
    )
    trail = list(AccountRatingChange.objects.filter(account=account).order_by("changed_at", "pk"))
    assert [(c.changed_by, c.old_value, c.new_value) for c in trail] == [
        (world.manager, None, 3),
        (world.teammate, 3, 5),
    ]
    assert trail[1].note == "新总经理" and trail[1].changed_at is not None


def test_strategic_fit_is_rated_by_directors_only(world):
    with pytest.raises(PermissionDenied):
        account_rating_set(
            actor=world.manager, account_id=world.own_account.pk, kind="strategic_fit", value=4
        )
    account_rating_set(actor=world.director, account_id=world.own_account.pk, kind="strategic_fit", value=4)


def test_foreign_account_cannot_be_rated(world):
    with pytest.raises(Account.DoesNotExist):
        account_rating_set(
            actor=world.manager, account_id=world.foreign_account.pk, kind="relationship", value=4
        )
    with pytest.raises(Account.DoesNotExist):
        account_rating_set(
            actor=world.other_director, account_id=world.own_account.pk, kind="strategic_fit", value=4
        )


@pytest.mark.parametrize("value", [0, 6, "5", True])
def test_rating_out_of_range_is_rejected(world, value):
    with pytest.raises(ValidationError):
        account_rating_set(
            actor=world.manager, account_id=world.own_account.pk, kind="relationship", value=value
        )
    assert not AccountRatingChange.objects.exists()


# --- Overrides -------------------------------------------------------------------------------------


def _graded(world):
    add_order(world.own_account, paid_days=0)
    regrade_period(period=PERIOD)
    return GradeSnapshot.objects.get(account=world.own_account, period=PERIOD)


def test_override_keeps_the_computed_grade_and_expires_by_itself(world, frozen_today):
    snapshot = _graded(world)
    computed = snapshot.computed_grade
    override = grade_override_set(
        actor=world.director,
        account_id=world.own_account.pk,
        grade="A",
        reason="战略合作伙伴",
        expires_on=datetime.date(2026, 12, 31),
    )
    snapshot.refresh_from_db()
    assert (snapshot.grade, snapshot.computed_grade, snapshot.override) == ("A", computed, override)
    # A re-grade while the override holds keeps it.
    regrade_period(period=PERIOD)
    snapshot.refresh_from_db()
    assert snapshot.grade == "A" and snapshot.override == override

    with time_machine.travel(datetime.datetime(2027, 1, 1, 0, 10, tzinfo=datetime.UTC), tick=False):
        assert not override.is_in_force()
        assert grade_overrides_expire() == 1
        snapshot.refresh_from_db()
        assert (snapshot.grade, snapshot.override) == (computed, None)
        regrade_period(period=datetime.date(2027, 1, 1))
        assert GradeSnapshot.objects.get(account=world.own_account, period="2027-01-01").override is None


def test_override_needs_reason_and_future_end(world, frozen_today):
    with pytest.raises(ValidationError) as raised:
        grade_override_set(
            actor=world.director,
            account_id=world.own_account.pk,
            grade="D",
            reason="  ",
            expires_on=datetime.date(2026, 11, 14),
        )
    assert set(raised.value.message_dict) == {"grade", "reason", "expires_on"}


def test_override_permissions(world, frozen_today):
    arguments = {"grade": "A", "reason": "x", "expires_on": datetime.date(2026, 12, 1)}
    with pytest.raises(PermissionDenied):
        grade_override_set(actor=world.manager, account_id=world.own_account.pk, **arguments)
    with pytest.raises(Account.DoesNotExist):
        grade_override_set(actor=world.other_director, account_id=world.own_account.pk, **arguments)


def test_revoking_an_override_restores_the_computed_grade(world, frozen_today):
    snapshot = _graded(world)
    grade_override_set(
        actor=world.admin,
        account_id=world.own_account.pk,
        grade="A",
        reason="x",
        expires_on=datetime.date(2026, 12, 1),
    )
    assert grade_override_revoke(actor=world.director, account_id=world.own_account.pk) == 1
    snapshot.refresh_from_db()
    assert snapshot.grade == snapshot.computed_grade and snapshot.override is None


def test_a_model_that_graded_accounts_cannot_be_deleted(world, default_model, frozen_today):
    from django.db.models import ProtectedError

    _graded(world)
    with pytest.raises(ProtectedError):
        default_model.delete()
