"""Writes to accounts data. Every service takes the acting user and checks visibility itself, so views,
the API and the admin share one set of rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.conflicts import lock_for_edit
from kam.limits import MAX_LIST_ITEMS

from .models import Account, Complaint, ComplaintStatusChange, Contact, Interaction, SatisfactionSurvey, Team
from .roles import is_administrator, is_sales_director
from .validators import normalise_credit_code


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
    if len(contacts) > MAX_LIST_ITEMS:
        raise ValidationError({"contacts": _("Choose at most %(limit)d items.") % {"limit": MAX_LIST_ITEMS}})
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
    ComplaintStatusChange.objects.create(
        complaint=complaint, from_status="", to_status=complaint.status, changed_by=actor
    )
    # Its deadlines are fixed now, from the account's service tier in force now (service_tiers app).
    from service_tiers.services import complaint_deadline_fix

    complaint_deadline_fix(complaint=complaint)
    _alerts_follow(account.pk)
    return complaint


@transaction.atomic
def complaint_transition(
    *, actor, complaint: Complaint, to_status: str, resolution: str = "", note: str = ""
) -> Complaint:
    """Move a complaint along its lifecycle: open → in progress → resolved → closed; resolved or closed
    complaints may be reopened, with a reason, which clears the old resolution. Anything else is
    refused. Every step is recorded (who, when, from → to, note)."""
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
    resolution, note = resolution.strip(), note.strip()
    if to_status == Status.RESOLVED:
        if not resolution:
            raise ValidationError({"resolution": _("Describe how the complaint was resolved.")})
        complaint.resolution = resolution
        complaint.resolved_at = timezone.now()
        note = note or resolution
    elif to_status == Status.OPEN:
        if not note:
            raise ValidationError({"note": _("Say why the complaint is reopened.")})
        # Reopened: the old resolution no longer holds (it stays in the status history and the audit).
        complaint.resolution = ""
        complaint.resolved_at = None
    if complaint.handler_id is None or to_status == Status.IN_PROGRESS:
        complaint.handler = actor
    from_status = complaint.status
    complaint.status = to_status
    complaint.full_clean()
    complaint.save()
    ComplaintStatusChange.objects.create(
        complaint=complaint, from_status=from_status, to_status=to_status, note=note, changed_by=actor
    )
    _alerts_follow(complaint.account_id)
    return complaint


@transaction.atomic
def complaint_assign(*, actor, complaint: Complaint, handler) -> Complaint:
    """Give a complaint a handler: someone who works the account (its manager or account team) or
    whom the actor may assign."""
    complaint = Complaint.objects.visible_to(actor).select_for_update().filter(pk=complaint.pk).first()
    if complaint is None:
        raise Http404
    account = complaint.account
    allowed = handler.pk == account.owner_id or account.account_team.filter(pk=handler.pk).exists()
    if not allowed and not assignable_users(actor=actor).filter(pk=handler.pk).exists():
        raise ValidationError({"handler": _("Choose someone who works on this account.")})
    complaint.handler = handler
    complaint.save(update_fields=["handler", "updated_at"])
    return complaint


# --- Accounts ------------------------------------------------------------------------------------------

# What each role may set on an account. Fields a role may not change are not offered in its form and
# are refused when posted anyway.
PROFILE_FIELDS = (
    "name", "short_name", "credit_code", "parent", "region", "industry", "ownership_type", "channel",
    "status", "registered_capital", "address",
)  # fmt: skip
PEOPLE_FIELDS = ("owner", "account_team")


def assignable_users(*, actor):
    """Whom this user may make an account's manager or put on its team: anyone, for administrators;
    for a director, the members of the teams they direct (directly or through a region they direct)
    and themselves; for anyone else, nobody."""
    User = get_user_model()
    users = User.objects.filter(is_active=True)
    if is_administrator(actor):
        return users
    if not is_sales_director(actor):
        return users.none()
    teams = Team.objects.filter(Q(directors=actor.pk) | Q(region__directors=actor.pk))
    members = Team.members.through.objects.filter(team__in=teams.values("pk")).values("user_id")
    return users.filter(Q(pk__in=members) | Q(pk=actor.pk))


def account_editable_fields(*, actor, account: Account | None = None) -> tuple[str, ...]:
    """The fields this user may set on this account (``account=None``: on a new one)."""
    if is_administrator(actor):
        return PROFILE_FIELDS + PEOPLE_FIELDS
    if account is not None and not Account.objects.visible_to(actor).filter(pk=account.pk).exists():
        return ()
    if is_sales_director(actor):
        return PROFILE_FIELDS + PEOPLE_FIELDS
    if account is None or account.owner_id == actor.pk:
        return PROFILE_FIELDS
    return ()


def account_check_fields(*, actor, account: Account, fields: dict) -> None:
    """The rules of an account change that need the actor: duplicates, parent, owner and team scope."""
    errors = {}
    code = normalise_credit_code(fields.get("credit_code", account.credit_code))
    if code:
        holder = Account.objects.filter(credit_code=code).exclude(pk=account.pk).first()
        if holder is not None:
            if Account.objects.visible_to(actor).filter(pk=holder.pk).exists():
                errors["credit_code"] = _("This credit code is already used by %(account)s.") % {
                    "account": holder.name
                }
            else:
                errors["credit_code"] = _("This credit code is already used by another account.")
    parent = fields.get("parent")
    if parent is not None and not Account.objects.visible_to(actor).filter(pk=parent.pk).exists():
        errors["parent"] = _("Choose a parent account you can see.")
    if "owner" in fields and fields["owner"] is not None:
        owner_unchanged = account.pk and fields["owner"].pk == account.owner_id
        keeps_it = fields["owner"].pk == actor.pk  # a manager's new account is theirs
        if (
            not owner_unchanged
            and not keeps_it
            and not assignable_users(actor=actor).filter(pk=fields["owner"].pk).exists()
        ):
            errors["owner"] = _("You may only give accounts to members of the teams you direct.")
    if "account_team" in fields:
        team_ids = {user.pk for user in fields["account_team"]}
        current = set(account.account_team.values_list("pk", flat=True)) if account.pk else set()
        added = team_ids - current
        if added and assignable_users(actor=actor).filter(pk__in=added).count() != len(added):
            errors["account_team"] = _("You may only add members of the teams you direct.")
    if errors:
        raise ValidationError(errors)


def _refuse_fields(*, fields: dict, allowed: tuple[str, ...]) -> None:
    refused = sorted(set(fields) - set(allowed))
    if refused:
        raise ValidationError({name: _("You may not change this field.") for name in refused})


def _apply_account_fields(*, actor, account: Account, fields: dict) -> Account:
    account_check_fields(actor=actor, account=account, fields=fields)
    team = fields.pop("account_team", None)
    for name, value in fields.items():
        setattr(account, name, value.strip() if isinstance(value, str) else value)
    # Constraints are the database's (duplicates were checked above, with a better message).
    account.full_clean(validate_constraints=False)
    account.save()
    if team is not None:
        account.account_team.set(team)
    return account


@transaction.atomic
def account_create(*, actor, **fields) -> Account:
    """A new account. A manager becomes its owner; a director or administrator may name another."""
    allowed = account_editable_fields(actor=actor)
    if not allowed:
        raise PermissionDenied
    _refuse_fields(fields=fields, allowed=allowed)
    fields.setdefault("owner", actor)
    if fields["owner"] is None:
        fields["owner"] = actor
    return _apply_account_fields(actor=actor, account=Account(), fields=fields)


@transaction.atomic
def account_update(*, actor, account: Account, expected_version: str | None = None, **fields) -> Account:
    """Change an account's profile (its owner), or also its manager and team (directors in their
    scope, administrators). ``expected_version`` is the version the editor opened (kam/conflicts.py)."""
    account = lock_for_edit(
        Account.objects.visible_to(actor), pk=account.pk, expected_version=expected_version
    )
    allowed = account_editable_fields(actor=actor, account=account)
    if not allowed:
        raise PermissionDenied
    _refuse_fields(fields=fields, allowed=allowed)
    before = (account.status, account.owner_id)
    account = _apply_account_fields(actor=actor, account=account, fields=fields)
    if (account.status, account.owner_id) != before:  # served, lost, blacklisted, or who is responsible
        _alerts_follow(account.pk)
    return account


# --- Contacts ------------------------------------------------------------------------------------------

CONTACT_FIELDS = (
    "name", "title", "department", "decision_role", "reports_to", "relationship_strength", "mobile",
    "phone", "email", "wechat_id", "birthday", "preferred_contact_method", "notes",
)  # fmt: skip


def contact_check_fields(*, contact: Contact, fields: dict) -> None:
    """Reports-to within the account and without loops; no birthday in the future."""
    errors = {}
    boss = fields.get("reports_to")
    if boss is not None:
        if boss.account_id != contact.account_id:
            errors["reports_to"] = _("Choose a contact of this account.")
        else:
            # Walk up the chain: nobody reports to someone who (indirectly) reports to them.
            seen, current = set(), boss
            while current is not None and current.pk not in seen:
                if contact.pk and current.pk == contact.pk:
                    errors["reports_to"] = _("This would make a reporting loop.")
                    break
                seen.add(current.pk)
                current = current.reports_to
    birthday = fields.get("birthday")
    if birthday and birthday > timezone.localdate():
        errors["birthday"] = _("A birthday cannot be in the future.")
    if errors:
        raise ValidationError(errors)


def _apply_contact_fields(*, contact: Contact, fields: dict) -> Contact:
    _refuse_fields(fields=fields, allowed=CONTACT_FIELDS)
    if contact.erased_at:
        raise ValidationError(_("This contact's personal data was erased; it cannot be edited."))
    contact_check_fields(contact=contact, fields=fields)
    for name, value in fields.items():
        setattr(contact, name, value.strip() if isinstance(value, str) else value)
    contact.full_clean(validate_constraints=False)
    contact.save()
    return contact


@transaction.atomic
def contact_create(*, actor, account: Account, **fields) -> Contact:
    _require_visible(actor=actor, account=account)
    return _apply_contact_fields(contact=Contact(account=account), fields=fields)


@transaction.atomic
def contact_update(*, actor, contact: Contact, expected_version: str | None = None, **fields) -> Contact:
    contact = lock_for_edit(
        Contact.objects.visible_to(actor), pk=contact.pk, expected_version=expected_version
    )
    return _apply_contact_fields(contact=contact, fields=fields)


@transaction.atomic
def contact_set_active(*, actor, contact: Contact, active: bool) -> Contact:
    """Deactivate a contact who left (kept for the record and the history), or bring one back."""
    contact = lock_for_edit(Contact.objects.visible_to(actor), pk=contact.pk, expected_version=None)
    contact.is_active = active
    contact.save(update_fields=["is_active"])
    return contact


def may_manage_personal_data(*, actor, account: Account) -> bool:
    """Exporting or erasing a person's data (PIPL): administrators and the account's owner."""
    return is_administrator(actor) or (actor.is_authenticated and account.owner_id == actor.pk)


# --- Satisfaction surveys ------------------------------------------------------------------------------


@transaction.atomic
def survey_record(
    *,
    actor,
    account: Account,
    answered_on: date,
    score: int,
    contact: Contact | None = None,
    comment: str = "",
) -> SatisfactionSurvey:
    """A satisfaction result: who answered, when, the score (0–10) and what they said. The next survey
    falls due one cadence after it (service_tiers reads the latest survey)."""
    _require_visible(actor=actor, account=account)
    errors = {}
    if contact is not None and contact.account_id != account.pk:
        errors["contact"] = _("Choose a contact of this account.")
    if answered_on > timezone.localdate():
        errors["answered_on"] = _("A survey cannot be answered in the future.")
    if errors:
        raise ValidationError(errors)
    survey = SatisfactionSurvey(
        account=account, contact=contact, sent_on=answered_on, answered_on=answered_on, score=score,
        comment=comment.strip(),
    )  # fmt: skip
    survey.full_clean()
    survey.save()
    _alerts_follow(survey.account_id)  # a low score opens, a new survey may close
    return survey
