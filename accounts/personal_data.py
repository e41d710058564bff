"""Personal data of a contact under China's PIPL: export everything KAM holds about the person, and
erase it everywhere, the audit history included. Administrators and the account's owner may do both;
both are recorded in the audit trail (an "export" event, and the erasing update with its context)."""

from __future__ import annotations

import pghistory
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from audit.context import audit_context

from .models import Complaint, Contact, Interaction, SatisfactionSurvey
from .services import may_manage_personal_data

# What identifies the person: removed from the contact and from every audit row about them.
ERASED_FIELDS = ("name", "title", "department", "phone", "mobile", "email", "wechat_id", "birthday", "notes")
EXPORT_LABEL = "personal_data.export"


def _contact_for(*, actor, contact_id) -> Contact:
    contact = Contact.objects.visible_to(actor).select_related("account").filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    if not may_manage_personal_data(actor=actor, account=contact.account):
        raise PermissionDenied
    return contact


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def contact_personal_data(*, actor, contact: Contact) -> dict:
    """Everything KAM holds about this person, by section: the contact record, its change history,
    the interactions they took part in, their complaints and survey answers. Recorded as an export
    event in the audit trail."""
    from audit.models import ContactEvent

    contact = _contact_for(actor=actor, contact_id=contact.pk)
    fields = list(Contact._meta.concrete_fields)
    record = {field.name: _plain(field.value_from_object(contact)) for field in fields}
    history = [
        {
            "at": _plain(event.pgh_created_at),
            "action": event.pgh_label,
            **{name: _plain(getattr(event, name)) for name in ERASED_FIELDS},
        }
        for event in ContactEvent.objects.filter(pgh_obj_id=contact.pk).order_by("pgh_id")
    ]
    interactions = [
        {
            "occurred_at": _plain(item.occurred_at),
            "kind": item.kind,
            "summary": item.summary,
            "outcome": item.outcome,
        }
        for item in Interaction.objects.filter(contacts=contact).order_by("occurred_at")
    ]
    complaints = [
        {"received_at": _plain(item.received_at), "status": item.status, "description": item.description}
        for item in Complaint.objects.filter(contact=contact).order_by("received_at")
    ]
    surveys = [
        {"answered_on": _plain(item.answered_on), "score": item.score, "comment": item.comment}
        for item in SatisfactionSurvey.objects.filter(contact=contact).order_by("sent_on")
    ]
    with audit_context(actor=actor, path="web", action=EXPORT_LABEL):
        pghistory.create_event(contact, label=EXPORT_LABEL)
    return {
        "contact": record,
        "history": history,
        "interactions": interactions,
        "complaints": complaints,
        "surveys": surveys,
    }


@transaction.atomic
def contact_erase(*, actor, contact: Contact) -> Contact:
    """Remove the person's identifying data from the contact and from every audit row about them.
    Interactions, complaints and surveys stay (the account's record), naming an "erased contact"."""
    from audit.models import ContactEvent

    contact = _contact_for(actor=actor, contact_id=contact.pk)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    blank = {name: (None if name == "birthday" else "") for name in ERASED_FIELDS}
    with audit_context(actor=actor, path="web", action="personal_data.erase"):
        for name, value in blank.items():
            setattr(contact, name, value)
        contact.erased_at = timezone.now()
        contact.is_active = False
        contact.save()
        # The history keeps that something changed and when, not who the person was.
        ContactEvent.objects.filter(pgh_obj_id=contact.pk).update(**blank)
        # Earlier contexts may name the person only through the event rows above; nothing else to scrub.
    return contact
