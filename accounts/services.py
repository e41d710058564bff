"""Writes to accounts data. Every service takes the acting user and checks visibility itself, so views,
the API and the admin share one set of rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Account, Complaint, Contact, Interaction


def _require_visible(*, actor, account: Account) -> None:
    # A foreign account is "not found", never "forbidden": we do not confirm that it exists.
    if not Account.objects.visible_to(actor).filter(pk=account.pk).exists():
        raise Http404


def validate_occurred_at(value: datetime) -> None:
    """An interaction or complaint happened in the past, or at most a little ahead (logged tonight for
    tomorrow morning's visit)."""
    max_days = settings.KAM_INTERACTION_MAX_FUTURE_DAYS
    if value > timezone.now() + timedelta(days=max_days):
        raise ValidationError(
            ngettext(
                "This is too far in the future: at most %(days)d day ahead.",
                "This is too far in the future: at most %(days)d days ahead.",
                max_days,
            ),
            code="too_far_in_future",
            params={"days": max_days},
        )


def _validate_contacts(*, account: Account, contacts: Iterable[Contact]) -> list[Contact]:
    contacts = list(contacts)
    if any(contact.account_id != account.pk for contact in contacts):
        raise ValidationError(
            {"contacts": _("A contact of another account cannot take part in this interaction.")}
        )
    return contacts


def _alerts_follow(account_id: int) -> None:
    # The account's alerts follow the write in the same transaction (service_tiers app).
    from service_tiers.services import alerts_follow

    alerts_follow(account_ids=[account_id])


@transaction.atomic
def interaction_log(
    *,
    actor,
    account: Account,
    kind: str,
    occurred_at: datetime,
    summary: str,
    outcome: str = "",
    contacts: Iterable[Contact] = (),
    next_step: str = "",
    next_step_due: date | None = None,
) -> Interaction:
    _require_visible(actor=actor, account=account)
    contacts = _validate_contacts(account=account, contacts=contacts)
    errors = {}
    try:
        validate_occurred_at(occurred_at)
    except ValidationError as error:
        errors["occurred_at"] = error.messages
    if next_step_due and not next_step.strip():
        errors["next_step"] = [_("Say what the next step is, or leave its due date empty.")]
    if next_step_due and next_step_due < timezone.localdate(occurred_at):
        errors["next_step_due"] = [_("The next step cannot be due before the interaction took place.")]
    if errors:
        raise ValidationError(errors)
    interaction = Interaction(
        account=account,
        kind=kind,
        occurred_at=occurred_at,
        author=actor,
        summary=summary.strip(),
        outcome=outcome.strip(),
        next_step=next_step.strip(),
        next_step_due=next_step_due,
    )
    interaction.full_clean()
    interaction.save()
    interaction.contacts.set(contacts)
    _alerts_follow(account.pk)
    return interaction


@transaction.atomic
def complaint_open(
    *,
    actor,
    account: Account,
    received_at: datetime,
    channel: str,
    category: str,
    severity: str,
    description: str,
    contact: Contact | None = None,
) -> Complaint:
    _require_visible(actor=actor, account=account)
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": _("This contact belongs to another account.")})
    try:
        validate_occurred_at(received_at)
    except ValidationError as error:
        raise ValidationError({"received_at": error.messages}) from error
    complaint = Complaint(
        account=account,
        contact=contact,
        received_at=received_at,
        channel=channel,
        category=category,
        severity=severity,
        description=description.strip(),
        created_by=actor,
    )
    complaint.full_clean()
    complaint.save()
    # Its deadlines are fixed now, from the account's service tier in force now (service_tiers app).
    from service_tiers.services import complaint_deadline_fix

    complaint_deadline_fix(complaint=complaint)
    _alerts_follow(account.pk)
    return complaint


@transaction.atomic
def complaint_transition(*, actor, complaint: Complaint, to_status: str, resolution: str = "") -> Complaint:
    """Move a complaint along its lifecycle: open → in progress → resolved → closed; resolved or closed
    complaints may be reopened. Anything else is refused."""
    # Lock the row: two people pressing "resolve" at once must not both win.
    complaint = Complaint.objects.visible_to(actor).select_for_update().filter(pk=complaint.pk).first()
    if complaint is None:
        raise Http404
    Status = Complaint.Status
    if to_status not in complaint.TRANSITIONS[complaint.status]:
        raise ValidationError(
            {
                "status": _("A complaint that is “%(current)s” cannot become “%(target)s”.")
                % {
                    "current": complaint.get_status_display(),
                    "target": dict(Status.choices).get(to_status, to_status),
                }
            }
        )
    resolution = resolution.strip()
    if to_status == Status.RESOLVED:
        if not resolution:
            raise ValidationError({"resolution": _("Describe how the complaint was resolved.")})
        complaint.resolution = resolution
        complaint.resolved_at = timezone.now()
    elif to_status == Status.OPEN:
        complaint.resolved_at = None  # reopened: the earlier resolution text stays for the record
    if complaint.handler_id is None or to_status == Status.IN_PROGRESS:
        complaint.handler = actor
    complaint.status = to_status
    complaint.full_clean()
    complaint.save()
    _alerts_follow(complaint.account_id)
    return complaint
