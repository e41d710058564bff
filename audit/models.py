"""The audit trail: one event table per tracked model, written by PostgreSQL triggers (django-pghistory).

Why triggers (pghistory) and not signals (django-simple-history): the import and the re-grade write in
sets (``bulk_create(update_conflicts=True)``, ``UPDATE … FROM``), which never send model signals; a
trigger sees every row however it was written, in the same transaction, so a rolled-back write leaves
no history either. Who and through which path come from the context (``audit.context``): the
middleware sets it for every request, ``audit_context`` for commands, tasks and imports.

The event models live here, not in the tracked apps, so the audit trail has one home and the tracked
apps' migrations stay theirs. The triggers themselves are not in migrations (PGTRIGGER_MIGRATIONS is
off): ``migrate`` installs or updates them afterwards (audit/apps.py), and
``tests/audit`` holds them to every write path.
"""

import pghistory
import pgtrigger
from django.contrib.auth import get_user_model

from accounts.models import Account, Complaint, Contact, Interaction, SatisfactionSurvey
from scoring.models import AccountRating, Band, Criterion, GradeOverride, ScoringModel
from segmentation.models import KpiTarget
from service_tiers.models import ServiceTier


def _row_events(*, ignore_auto: bool = True):
    """Insert, update (only when a tracked field really changed; ``auto_now`` stamps alone do not
    count) and delete."""
    return (
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(condition=pgtrigger.AnyChange(exclude_auto=ignore_auto)),
        pghistory.DeleteEvent(),
    )


def _event_model(tracked, name, *, trackers=None, **kwargs):
    return pghistory.create_event_model(
        tracked,
        *(trackers or _row_events()),
        model_name=name,
        app_label="audit",
        abstract=False,
        **kwargs,
    )


AccountEvent = _event_model(Account, "AccountEvent")
# The account team (a many-to-many): who was added to or removed from which account's team.
AccountTeamEvent = _event_model(
    Account.account_team.through,
    "AccountTeamEvent",
    trackers=(pghistory.InsertEvent("team.add"), pghistory.DeleteEvent("team.remove")),
    obj_field=None,
)
# Exports of a contact's personal data (PIPL) are recorded as events too (accounts/personal_data.py).
ContactEvent = _event_model(
    Contact, "ContactEvent", trackers=(*_row_events(), pghistory.ManualEvent("personal_data.export"))
)
InteractionEvent = _event_model(Interaction, "InteractionEvent")
ComplaintEvent = _event_model(Complaint, "ComplaintEvent")
SurveyEvent = _event_model(SatisfactionSurvey, "SurveyEvent")
RatingEvent = _event_model(AccountRating, "RatingEvent")
GradeOverrideEvent = _event_model(GradeOverride, "GradeOverrideEvent")
KpiTargetEvent = _event_model(KpiTarget, "KpiTargetEvent")
ServiceTierEvent = _event_model(ServiceTier, "ServiceTierEvent")
ScoringModelEvent = _event_model(ScoringModel, "ScoringModelEvent")
CriterionEvent = _event_model(Criterion, "CriterionEvent")
BandEvent = _event_model(Band, "BandEvent")

User = get_user_model()
# Users: who may sign in and with which powers (never the password hash or the last login).
UserEvent = _event_model(
    User,
    "UserEvent",
    fields=["username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser"],
)
# Roles are group memberships.
UserRoleEvent = _event_model(
    User.groups.through,
    "UserRoleEvent",
    trackers=(pghistory.InsertEvent("role.add"), pghistory.DeleteEvent("role.remove")),
    obj_field=None,
)

# Events whose rows name an account, for the account page's History tab.
ACCOUNT_CHILD_EVENTS = (
    AccountTeamEvent,
    ContactEvent,
    InteractionEvent,
    ComplaintEvent,
    SurveyEvent,
    RatingEvent,
    GradeOverrideEvent,
)
