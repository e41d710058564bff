"""Seed 003's worked example (某房地产服务商的客户分级体系), reproduced exactly with its preset."""

from decimal import Decimal

import pytest

from accounts.models import Account
from scoring.models import GradeSnapshot, ScoringModel
from scoring.services import account_rating_set, regrade_period, scoring_model_activate
from tests.factories import AccountFactory

from .conftest import IN_PRIOR_WINDOW, PERIOD, add_order

pytestmark = pytest.mark.django_db


def _client(name, ownership, capital, profit, amount, prior_amount, relationship, strategic, admin):
    account = AccountFactory(name=name, ownership_type=ownership, registered_capital=Decimal(capital))
    add_order(account, amount=amount, profit=profit)
    if prior_amount:
        add_order(account, on=IN_PRIOR_WINDOW, amount=prior_amount, profit="0")
    if relationship:
        account_rating_set(actor=admin, account_id=account.pk, kind="relationship", value=relationship)
    if strategic:
        account_rating_set(actor=admin, account_id=account.pk, kind="strategic_fit", value=strategic)
    return account


def test_seed_003_worked_example_is_reproduced_exactly(world, seed_model, frozen_today):
    """Four clients scored with the seed's table: 15/15/15/15/20/20 points, A ≥ 75, 60 ≤ B < 75, C < 60.

    Client strength and profit contribution are ranked among the eleven graded clients (percent rank
    0, 10, …, 100): the top two are strong / large, 40–79 average, below 40 weak / small.
    """
    admin = world.admin
    kind = Account.OwnershipType
    government = _client(
        "国有土地开发集团", kind.GOVERNMENT, "11000", "11000", "150000", "100000", 5, 5, admin
    )
    mixed = _client("股份开发商", kind.JOINT_STOCK, "10000", "10000", "110000", "100000", 4, 3, admin)
    average = _client("一般股份公司", kind.JOINT_STOCK, "7000", "7000", "110000", "100000", 3, 4, admin)
    weak = _client("小型民营开发商", kind.PRIVATE, "1000", "1000", "50000", "100000", 1, 2, admin)
    for capital in ("2000", "3000", "4000", "5000", "6000", "8000", "9000"):
        _client(f"填充客户{capital}", kind.PRIVATE, capital, capital, "60000", None, None, None, admin)
    scoring_model_activate(actor=admin, scoring_model=seed_model)

    run = regrade_period(period=PERIOD)

    assert run.accounts_graded == Account.objects.count() - 2  # world's two accounts have no data
    snapshots = {s.account_id: s for s in GradeSnapshot.objects.filter(period=PERIOD)}
    # 客户性质 15 + 客户实力 12.5 + 成长性 12.5 + 利润贡献 12.5 + 客户关系 17.5 + 战略重要性 17.5
    expected = {
        government: (
            Decimal("87.50"),
            "A",
            ["100.0000", "83.3333", "83.3333", "83.3333", "87.5000", "87.5000"],
        ),
        mixed: (Decimal("67.50"), "B", ["66.6667", "83.3333", "50.0000", "83.3333", "62.5000", "62.5000"]),
        average: (Decimal("57.50"), "C", ["66.6667", "50.0000", "50.0000", "50.0000", "62.5000", "62.5000"]),
        weak: (Decimal("22.50"), "C", ["33.3333", "16.6667", "16.6667", "16.6667", "25.0000", "25.0000"]),
    }
    keys = [
        "ownership_type",
        "client_strength",
        "growth",
        "profit_contribution",
        "relationship",
        "strategic_fit",
    ]
    for account, (total, grade, sub_scores) in expected.items():
        snapshot = snapshots[account.pk]
        assert snapshot.scoring_model_id == seed_model.pk
        assert snapshot.total == total, account.name
        assert snapshot.computed_grade == snapshot.grade == grade
        assert [snapshot.score_for(key) for key in keys] == [Decimal(s) for s in sub_scores]
        assert snapshot.credit_score is None and snapshot.order_volume_score is None
        assert snapshot.provisional is False


def test_seed_preset_is_a_draft_and_the_default_is_active(seed_model, default_model):
    assert seed_model.status == ScoringModel.Status.DRAFT
    assert [(c.key, c.weight) for c in default_model.criteria.all()] == [
        ("credit", Decimal("15")),
        ("order_volume", Decimal("15")),
        ("profit_contribution", Decimal("15")),
        ("growth", Decimal("15")),
        ("relationship", Decimal("20")),
        ("strategic_fit", Decimal("20")),
    ]
    assert (default_model.threshold_a, default_model.threshold_b) == (Decimal("75"), Decimal("60"))
