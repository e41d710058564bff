"""Service tiers: defaults from DOMAIN.md, admin editing, validation, and what a change affects."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.services import complaint_open
from service_tiers.models import ServiceTier
from service_tiers.selectors import account_service_plan
from service_tiers.services import service_tier_update
from tests.service_tiers.conftest import at


def test_default_tiers_follow_the_domain(db):
    tiers = {tier.key: tier for tier in ServiceTier.objects.all()}
    assert set(tiers) == {"A", "B", "C", "blacklist"}
    assert [tiers[key].revisit_cadence_days for key in "ABC"] == [30, 60, 90]
    assert [tiers[key].complaint_response_hours for key in "ABC"] == [4, 24, 72]
    assert [tiers[key].survey_cadence_months for key in "ABC"] == [3, 6, 12]
    assert tiers["A"].dedicated_manager and not tiers["B"].dedicated_manager
    assert tiers["A"].care_birthday and not tiers["B"].care_birthday
    assert tiers["B"].care_mid_autumn and not tiers["C"].care_mid_autumn
    assert tiers["blacklist"].revisit_cadence_days is None
    assert tiers["blacklist"].service_priority > tiers["C"].service_priority


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("revisit_cadence_days", 0, "positive"),
        ("revisit_cadence_days", None, "only the blacklist tier"),
        ("survey_cadence_months", None, "only the blacklist tier"),
        ("complaint_response_hours", 0, "positive"),
        ("complaint_resolution_hours", 2, "before it has to be taken in hand"),
    ],
)
def test_invalid_tier_values_are_refused_and_nothing_is_saved(world, field, value, message):
    tier = ServiceTier.objects.get(key="A")
    with pytest.raises(ValidationError) as error:
        service_tier_update(actor=world.admin, tier=tier, **{field: value})
    assert message in " ".join(error.value.message_dict[field])
    assert ServiceTier.objects.get(key="A").revisit_cadence_days == 30
    assert ServiceTier.objects.get(key="A").complaint_response_hours == 4


def test_only_an_administrator_changes_tiers(world):
    with pytest.raises(PermissionDenied):
        service_tier_update(
            actor=world.director, tier=ServiceTier.objects.get(key="A"), revisit_cadence_days=20
        )


def test_admin_edits_a_tier_and_sees_a_clear_error_for_bad_values(client, world):
    client.force_login(world.admin)
    tier = ServiceTier.objects.get(key="B")
    url = reverse("admin:service_tiers_servicetier_change", args=[tier.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "service_priority": 2,
        "revisit_cadence_days": -5,
        "survey_cadence_months": 6,
        "complaint_response_hours": 24,
        "complaint_resolution_hours": 72,
        "care_spring_festival": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0" in response.text or "positive" in response.text
    assert ServiceTier.objects.get(key="B").revisit_cadence_days == 60

    response = client.post(url, {**data, "revisit_cadence_days": 45})
    assert response.status_code == 302
    tier.refresh_from_db()
    assert tier.revisit_cadence_days == 45
    assert tier.updated_by == world.admin


def test_admin_cannot_add_or_delete_tiers(client, world):
    client.force_login(world.admin)
    assert client.get(reverse("admin:service_tiers_servicetier_add")).status_code == 403


def test_a_tier_change_moves_plans_at_once_but_not_deadlines_already_fixed(world, freeze):
    freeze(2026, 3, 2)
    complaint = complaint_open(
        actor=world.manager,
        account=world.own_account,
        received_at=at(2026, 3, 2, 9),
        channel="phone",
        category="delivery",
        severity="high",
        description="交货延迟",
    )
    # Not graded yet: served as C, 72 h to respond, 168 h to resolve.
    assert complaint.deadline.tier == "C"
    assert complaint.deadline.respond_by == at(2026, 3, 5, 9)
    assert complaint.deadline.resolve_by == at(2026, 3, 9, 9)
    before = account_service_plan(account=world.own_account)["plan"]["revisit_due_on"]

    service_tier_update(
        actor=world.admin,
        tier=ServiceTier.objects.get(key="C"),
        revisit_cadence_days=45,
        complaint_response_hours=12,
        complaint_resolution_hours=48,
    )

    after = account_service_plan(account=world.own_account)["plan"]["revisit_due_on"]
    assert (before - after).days == 45
    complaint.deadline.refresh_from_db()
    assert complaint.deadline.resolve_by == at(2026, 3, 9, 9)  # promised before the change: kept
    later = complaint_open(
        actor=world.manager,
        account=world.own_account,
        received_at=at(2026, 3, 2, 10),
        channel="phone",
        category="quality",
        severity="low",
        description="包装破损",
    )
    assert later.deadline.resolve_by == at(2026, 3, 4, 10)  # opened after the change: new figures
