"""Admins tune a draft in Django admin, preview it, activate it and trigger a re-grade."""

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from scoring.models import GradeSnapshot, RegradeRun, ScoringModel
from scoring.selectors import grade_counts, scoring_model_preview
from scoring.services import (
    account_rating_set,
    regrade_period,
    scoring_model_activate,
    scoring_model_copy_to_draft,
)
from tests.factories import AccountFactory

from .conftest import IN_PRIOR_WINDOW, PERIOD, add_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(world, default_model):
    return scoring_model_copy_to_draft(actor=world.admin, scoring_model=default_model, name="2027 draft")


def _change_form_data(model, **weights):
    data = {
        "name": model.name,
        "description": model.description,
        "threshold_a": str(model.threshold_a),
        "threshold_b": str(model.threshold_b),
    }
    criteria, bands = list(model.criteria.all()), list(model.bands.all())
    for prefix, rows in (("criteria", criteria), ("bands", bands)):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": str(len(rows)),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    for i, c in enumerate(criteria):
        data |= {
            f"criteria-{i}-id": str(c.pk),
            f"criteria-{i}-scoring_model": str(model.pk),
            f"criteria-{i}-position": str(c.position),
            f"criteria-{i}-key": c.key,
            f"criteria-{i}-label_en": c.label_en,
            f"criteria-{i}-label_zh_hans": c.label_zh_hans,
            f"criteria-{i}-weight": weights.get(c.key, str(c.weight)),
            f"criteria-{i}-method": c.method,
        }
    for i, b in enumerate(bands):
        data |= {
            f"bands-{i}-id": str(b.pk),
            f"bands-{i}-scoring_model": str(model.pk),
            f"bands-{i}-criterion": b.criterion,
            f"bands-{i}-lower": str(b.lower),
            f"bands-{i}-upper": str(b.upper),
            f"bands-{i}-points": str(b.points),
            f"bands-{i}-label": b.label,
        }
    return data


def test_admin_edits_a_drafts_weights(client, world, draft):
    client.force_login(world.admin)
    data = _change_form_data(draft, credit="25", growth="5")
    response = client.post(reverse("admin:scoring_scoringmodel_change", args=[draft.pk]), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert draft.criteria.get(key="credit").weight == Decimal("25")


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"credit": "15.0001"}, "add up to 100.0001"),
        ({"credit": "NaN"}, "Enter a number"),
        ({"credit": "Infinity"}, "Enter a number"),
        ({"credit": ""}, "This field is required"),
        ({"credit": "30"}, "add up to 115"),
    ],
)
def test_invalid_weights_show_a_message_and_save_nothing(client, world, draft, weights, message):
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:scoring_scoringmodel_change", args=[draft.pk]), _change_form_data(draft, **weights)
    )
    assert response.status_code == 200
    assert message in response.text
    assert draft.criteria.get(key="credit").weight == Decimal("15")
    assert draft.criteria.get(key="growth").weight == Decimal("15")


def test_band_gap_in_admin_is_refused(client, world, draft):
    client.force_login(world.admin)
    data = _change_form_data(draft)
    index = next(i for i, b in enumerate(draft.bands.all()) if b.criterion == "credit" and b.lower == 50)
    data[f"bands-{index}-lower"] = "55"
    response = client.post(reverse("admin:scoring_scoringmodel_change", args=[draft.pk]), data)
    assert response.status_code == 200 and "leave a gap between 50" in response.text
    assert draft.bands.filter(criterion="credit", lower=50).exists()


def test_active_model_is_read_only_in_admin(client, world, default_model):
    client.force_login(world.admin)
    url = reverse("admin:scoring_scoringmodel_change", args=[default_model.pk])
    response = client.post(url, _change_form_data(default_model, credit="20", growth="10"))
    assert response.status_code == 403
    assert default_model.criteria.get(key="credit").weight == Decimal("15")
    assert "Copy to a new draft" in client.get(url).text


def test_activation_in_admin(client, world, draft, default_model):
    client.force_login(world.admin)
    response = client.post(reverse("admin:scoring_scoringmodel_activate", args=[draft.pk]), follow=True)
    assert "is now the active model" in response.text
    draft.refresh_from_db()
    default_model.refresh_from_db()
    assert (draft.status, default_model.status) == ("active", "retired")


def _population(world):
    """Accounts spread over all grades."""
    for index in range(12):
        account = AccountFactory()
        add_order(
            account, amount=str(1000 * (index + 1)), profit=str(100 * (index + 1)), paid_days=index % 3 * 10
        )
        if index % 2:
            add_order(account, on=IN_PRIOR_WINDOW, amount="5000", profit="500", paid_days=0)
        account_rating_set(actor=world.admin, account_id=account.pk, kind="relationship", value=1 + index % 5)
        account_rating_set(
            actor=world.admin, account_id=account.pk, kind="strategic_fit", value=1 + index * 2 % 5
        )


def test_what_if_counts_equal_the_counts_after_activation(client, world, draft, frozen_today):
    _population(world)
    regrade_period(period=PERIOD)
    before = grade_counts(period=PERIOD)
    # The draft favours relationships and relaxes the A threshold.
    draft.criteria.filter(key="relationship").update(weight=Decimal("40"))
    draft.criteria.filter(key="strategic_fit").update(weight=Decimal("0"))
    ScoringModel.objects.filter(pk=draft.pk).update(threshold_a=Decimal("65"), threshold_b=Decimal("40"))
    draft.refresh_from_db()

    preview = scoring_model_preview(draft=draft, period=PERIOD)
    assert preview.current_counts == before
    assert preview.draft_counts != before
    assert sum(preview.matrix[row][column] for row in "ABC" for column in "ABC" if row != column) == (
        preview.changed_total
    )

    client.force_login(world.admin)
    page = client.get(reverse("admin:scoring_scoringmodel_preview", args=[draft.pk]))
    assert page.status_code == 200 and 'data-testid="preview-matrix"' in page.text

    scoring_model_activate(actor=world.admin, scoring_model=draft)
    regrade_period(period=PERIOD)
    assert grade_counts(period=PERIOD) == preview.draft_counts
    changed = {row.account_id: row for row in preview.changed}
    for snapshot in GradeSnapshot.objects.filter(account_id__in=changed):
        assert (snapshot.total, snapshot.computed_grade) == (
            changed[snapshot.account_id].draft_total,
            changed[snapshot.account_id].draft_grade,
        )


def test_regrade_now_is_queued_after_commit(client, world, default_model, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    with (
        mock.patch("scoring.tasks.regrade.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(reverse("admin:scoring_scoringmodel_regrade"))
    assert response.status_code == 302
    run = RegradeRun.objects.get()
    assert (run.trigger, run.triggered_by, run.status) == ("manual", world.admin, "pending")
    assert len(callbacks) == 1
    apply_async.assert_called_once_with(args=(run.pk,), retry=False)


def test_non_staff_cannot_reach_the_scoring_admin(client, world, draft):
    client.force_login(world.director)
    response = client.get(reverse("admin:scoring_scoringmodel_preview", args=[draft.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_copying_a_model_asks_for_a_name(client, world, default_model):
    client.force_login(world.admin)
    copy_url = reverse("admin:scoring_scoringmodel_copy", args=[default_model.pk])
    before = ScoringModel.objects.count()
    client.post(copy_url, {"name": "  "})
    assert ScoringModel.objects.count() == before  # no nameless "Copy of …" draft
    client.post(copy_url, {"name": "2027 model, more weight on growth"})
    draft = ScoringModel.objects.latest("pk")
    assert (draft.name, draft.status) == ("2027 model, more weight on growth", ScoringModel.Status.DRAFT)
