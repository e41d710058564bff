from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone

from accounts import services
from accounts.models import Complaint, Interaction
from tests.factories import ComplaintFactory, OrderFactory, SatisfactionSurveyFactory

Status = Complaint.Status


def log(world, **overrides):
    arguments = {
        "actor": world.manager,
        "account": world.own_account,
        "kind": Interaction.Kind.VISIT,
        "occurred_at": timezone.now() - timedelta(hours=1),
        "summary": "与采购总监面谈，确认下季度订单",
    }
    arguments.update(overrides)
    return services.interaction_log(**arguments)


def test_manager_logs_a_visit_with_contacts(world):
    interaction = log(
        world, contacts=[world.own_contact], next_step="寄送报价", next_step_due=timezone.localdate()
    )
    assert interaction.author == world.manager
    assert list(interaction.contacts.all()) == [world.own_contact]


def test_logging_on_a_foreign_account_is_not_found(world):
    with pytest.raises(Http404):
        log(world, account=world.foreign_account)
    assert not Interaction.objects.exists()


def test_contact_of_another_account_is_refused(world):
    with pytest.raises(ValidationError) as error:
        log(world, contacts=[world.foreign_contact])
    assert "contacts" in error.value.message_dict
    assert not Interaction.objects.exists()


def test_interaction_too_far_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as error:
        log(world, occurred_at=timezone.now() + timedelta(days=3))
    assert "occurred_at" in error.value.message_dict


def test_next_step_due_before_the_interaction_is_refused(world):
    with pytest.raises(ValidationError) as error:
        log(world, next_step="回访", next_step_due=timezone.localdate() - timedelta(days=5))
    assert "next_step_due" in error.value.message_dict


def test_blank_summary_is_refused(world):
    with pytest.raises(ValidationError):
        log(world, summary="   ")
    assert not Interaction.objects.exists()


def open_complaint(world):
    return services.complaint_open(
        actor=world.manager,
        account=world.own_account,
        contact=world.own_contact,
        received_at=timezone.now() - timedelta(minutes=30),
        channel=Complaint.Channel.PHONE,
        category=Complaint.Category.QUALITY,
        severity=Complaint.Severity.HIGH,
        description="设备异响",
    )


def test_complaint_lifecycle_open_to_closed_and_reopened(world):
    complaint = open_complaint(world)
    assert complaint.status == Status.OPEN
    complaint = services.complaint_transition(
        actor=world.manager, complaint=complaint, to_status=Status.IN_PROGRESS
    )
    assert complaint.handler == world.manager
    complaint = services.complaint_transition(
        actor=world.manager, complaint=complaint, to_status=Status.RESOLVED, resolution="更换轴承"
    )
    assert complaint.resolved_at is not None
    complaint = services.complaint_transition(
        actor=world.manager, complaint=complaint, to_status=Status.CLOSED
    )
    complaint = services.complaint_transition(
        actor=world.manager, complaint=complaint, to_status=Status.OPEN, note="轴承再次损坏"
    )
    assert complaint.status == Status.OPEN
    assert complaint.resolved_at is None
    # Reopened: the old resolution no longer holds; it stays in the status history.
    assert complaint.resolution == ""
    assert complaint.status_changes.get(to_status=Status.RESOLVED).note == "更换轴承"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.OPEN, Status.CLOSED),
        (Status.IN_PROGRESS, Status.OPEN),
        (Status.IN_PROGRESS, Status.CLOSED),
        (Status.CLOSED, Status.RESOLVED),
        (Status.CLOSED, Status.IN_PROGRESS),
        (Status.OPEN, "nonsense"),
    ],
)
def test_invalid_complaint_transitions_are_rejected(world, start, target):
    resolved_at = timezone.now() if start in (Status.RESOLVED, Status.CLOSED) else None
    complaint = ComplaintFactory(account=world.own_account, status=start, resolved_at=resolved_at)
    with pytest.raises(ValidationError):
        services.complaint_transition(
            actor=world.manager, complaint=complaint, to_status=target, resolution="x"
        )
    complaint.refresh_from_db()
    assert complaint.status == start


def test_resolving_needs_a_resolution(world):
    complaint = open_complaint(world)
    with pytest.raises(ValidationError) as error:
        services.complaint_transition(actor=world.manager, complaint=complaint, to_status=Status.RESOLVED)
    assert "resolution" in error.value.message_dict


def test_foreign_complaint_cannot_be_moved(world):
    complaint = ComplaintFactory(account=world.foreign_account)
    with pytest.raises(Http404):
        services.complaint_transition(actor=world.manager, complaint=complaint, to_status=Status.IN_PROGRESS)


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": Decimal("-1.00"), "gross_profit": Decimal("-2.00")},
        {"amount": Decimal("100.00"), "gross_profit": Decimal("150.00")},
        {"paid_date": timezone.localdate() - timedelta(days=400)},
    ],
    ids=["negative-amount", "profit-above-amount", "paid-before-invoice"],
)
def test_database_refuses_impossible_orders(world, fields):
    with pytest.raises(IntegrityError):
        OrderFactory(account=world.own_account, **fields)


def test_database_refuses_a_survey_score_outside_0_to_10(world):
    with pytest.raises(IntegrityError):
        SatisfactionSurveyFactory(account=world.own_account, answered_on=timezone.localdate(), score=11)
