"""When is an account at risk: every service rule of KAM, defined once.

Read this file to learn the rules; every other module imports them from here (alerts, My day, service
plans, the account page, the dashboard's risk list and its export). Each rule is given as a SQL
condition (for the set-based statements over every account) and, where the ORM needs it, as a ``Q`` or
an expression; tests hold the two to the same answer (``tests/service_tiers/test_rules.py``).

Days are days in Asia/Shanghai (the project's TIME_ZONE); "now" is an aware datetime.

Vocabulary
  served account      status active or dormant: it has revisits and surveys planned. Prospects,
                      lost and blacklisted accounts have none.
  visit               an interaction of kind visit or meeting (a call or an e-mail is contact, not a visit).
  open complaint      status open or in progress.
  effective grade     a director's override in force (not revoked, end date today or later), else the
                      computed grade of the account's latest grade snapshot, else none: an ungraded
                      account is served as C. A blacklisted account is served by the blacklist tier.

The rules (each one an alert rule; the risk list shows the last four)
  revisit_overdue     a served account whose next revisit (last visit, or creation, + the tier's revisit
                      cadence) fell due before today.
  no_contact          a served account with no interaction of any kind for twice that cadence.
  complaint_overdue   an open complaint past its response deadline while still "open" (nobody took it
                      in hand), or an open or in-progress complaint past its resolution deadline. The
                      deadlines are fixed from the account's tier when the complaint is opened.
  invoice_overdue     an order not paid whose due date is before today.
  grade_fell          the latest snapshot's effective grade is worse than the one before (A → B/C, B → C);
                      not for lost accounts.
  score_dropped       the latest total is at least SCORE_DROP_POINTS below the one before; not for lost
                      accounts.
  low_satisfaction    the latest answered survey scored LOW_SATISFACTION_SCORE or less; not for lost accounts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Q

SERVED_STATUSES = ("active", "dormant")
OPEN_COMPLAINT_STATUSES = ("open", "in_progress")
VISIT_KINDS = ("visit", "meeting")
NOT_AT_RISK_STATUSES = ("lost",)  # grade, score and satisfaction rules skip these accounts
UNGRADED_TIER = "C"  # an account without a grade is served as C
BLACKLISTED_STATUS, BLACKLIST_TIER = "blacklisted", "blacklist"

NO_CONTACT_CADENCES = 2  # no contact for this many revisit cadences
SCORE_DROP_POINTS = Decimal("10")
LOW_SATISFACTION_SCORE = 6
FOLLOW_UP_DAYS = 7  # grade, score and satisfaction alerts are due a week after the cause appears

RISK_LIST_RULES = ("grade_fell", "score_dropped", "invoice_overdue", "complaint_overdue")


def sql_list(values) -> str:
    """A SQL list literal of this module's constants (never of user input): ``('active', 'dormant')``."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


# --- Accounts: served, effective grade, tier ---------------------------------------------------------


def served_sql(account: str = "a") -> str:
    return f"{account}.status IN {sql_list(SERVED_STATUSES)}"


def effective_grade_sql(*, override: str = "ovr", snapshot: str = "snap") -> str:
    """``override`` is joined only when in force (see ``override_in_force_sql``)."""
    return f"COALESCE({override}.grade, {snapshot}.computed_grade)"


def override_in_force_sql(override: str = "ovr") -> str:
    """The join condition of an override in force; one parameter: today."""
    return f"{override}.revoked_at IS NULL AND {override}.expires_on >= %s"


def tier_key_sql(*, account: str = "a", override: str = "ovr", snapshot: str = "snap") -> str:
    grade = effective_grade_sql(override=override, snapshot=snapshot)
    return (
        f"CASE WHEN {account}.status = '{BLACKLISTED_STATUS}' THEN '{BLACKLIST_TIER}' "
        f"ELSE COALESCE({grade}, '{UNGRADED_TIER}') END"
    )


def override_in_force(override, *, today: date) -> bool:
    return override is not None and override.revoked_at is None and override.expires_on >= today


def effective_grade(*, computed_grade: str | None, override, today: date) -> str | None:
    """The same rule in Python, for one account already loaded (the account page)."""
    if override_in_force(override, today=today):
        return override.grade
    return computed_grade


def override_in_force_q(*, today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}revoked_at__isnull": True, f"{prefix}expires_on__gte": today})


# --- Revisits and contact (columns of the service plan, service_tiers/plans.py) ---------------------


def revisit_due_sql(plan: str = "p", tier: str = "t") -> str:
    return (
        f"CASE WHEN {plan}.served AND {tier}.revisit_cadence_days IS NOT NULL "
        f"THEN COALESCE({plan}.last_visit_on, {plan}.created_on) + {tier}.revisit_cadence_days END"
    )


def contact_due_sql(plan: str = "p", tier: str = "t") -> str:
    return (
        f"CASE WHEN {plan}.served AND {tier}.revisit_cadence_days IS NOT NULL "
        f"THEN COALESCE({plan}.last_interaction_on, {plan}.created_on) "
        f"+ {NO_CONTACT_CADENCES} * {tier}.revisit_cadence_days END"
    )


def survey_due_sql(plan: str = "p", tier: str = "t") -> str:
    return (
        f"CASE WHEN {plan}.served AND {tier}.survey_cadence_months IS NOT NULL "
        f"THEN (COALESCE({plan}.last_survey_on, {plan}.created_on) "
        f"+ make_interval(months => {tier}.survey_cadence_months))::date END"
    )


def revisit_overdue_sql(plan: str = "plan") -> str:
    """One parameter: today."""
    return f"{plan}.revisit_due_on < %s"


def no_contact_sql(plan: str = "plan") -> str:
    """One parameter: today."""
    return f"{plan}.contact_due_on < %s"


def visit_sql(interaction: str = "i") -> str:
    return f"{interaction}.kind IN {sql_list(VISIT_KINDS)}"


def visit_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}kind__in": VISIT_KINDS})


# --- Complaints --------------------------------------------------------------------------------------


def complaint_overdue_sql(complaint: str = "c", deadline: str = "d") -> str:
    """Two parameters: now, now."""
    return (
        f"{complaint}.status IN {sql_list(OPEN_COMPLAINT_STATUSES)} AND ({deadline}.resolve_by < %s "
        f"OR ({complaint}.status = 'open' AND {deadline}.respond_by < %s))"
    )


def complaint_overdue_q(*, now: datetime, prefix: str = "") -> Q:
    """On Complaint (``prefix`` for a relation to it)."""
    return Q(**{f"{prefix}status__in": OPEN_COMPLAINT_STATUSES}) & (
        Q(**{f"{prefix}deadline__resolve_by__lt": now})
        | Q(**{f"{prefix}status": "open", f"{prefix}deadline__respond_by__lt": now})
    )


def complaint_stage(*, status: str, respond_by: datetime, resolve_by: datetime, now: datetime) -> str | None:
    """Which deadline an overdue complaint missed: "resolution" (it wins), "response", or None."""
    if status not in OPEN_COMPLAINT_STATUSES:
        return None
    if resolve_by < now:
        return "resolution"
    if status == "open" and respond_by < now:
        return "response"
    return None


# --- Invoices ----------------------------------------------------------------------------------------


def invoice_overdue_sql(order: str = "o") -> str:
    """One parameter: today."""
    return f"{order}.paid_date IS NULL AND {order}.due_date < %s"


def invoice_overdue_q(*, today: date, prefix: str = "") -> Q:
    """On Order."""
    return Q(**{f"{prefix}paid_date__isnull": True, f"{prefix}due_date__lt": today})


# --- Grades and scores (two consecutive snapshots: ``previous`` then ``latest``) -----------------------


def grade_fell_sql(latest: str = "grade", previous: str = "previous_grade") -> str:
    # Grades are letters: a later letter is a worse grade. A missing grade on either side is no fall.
    return f"({latest} IN ('A', 'B', 'C') AND {previous} IN ('A', 'B', 'C') AND {latest} > {previous})"


def score_dropped_sql(latest: str = "total", previous: str = "previous_total") -> str:
    return f"({previous} - {latest} >= {SCORE_DROP_POINTS})"


def grade_fell(*, latest: str | None, previous: str | None) -> bool:
    grades = ("A", "B", "C")
    return latest in grades and previous in grades and latest > previous


def score_dropped(*, latest: Decimal | None, previous: Decimal | None) -> bool:
    return latest is not None and previous is not None and previous - latest >= SCORE_DROP_POINTS


def grade_fell_q(*, latest: str, previous: str) -> Q:
    """Over two related snapshots named ``previous`` and ``latest`` (field paths of their grades)."""
    return Q(**{previous: "A", f"{latest}__in": ["B", "C"]}) | Q(**{previous: "B", latest: "C"})


def score_dropped_q(*, latest: str, previous: str) -> Q:
    """Over two related snapshots (field paths of their totals)."""
    return Q(**{f"{previous}__gte": F(latest) + SCORE_DROP_POINTS})


def at_risk_account_q(prefix: str = "") -> Q:
    """Grade, score and satisfaction rules apply to accounts not lost."""
    return ~Q(**{f"{prefix}status__in": NOT_AT_RISK_STATUSES})


def at_risk_account_sql(account: str = "a") -> str:
    return f"{account}.status NOT IN {sql_list(NOT_AT_RISK_STATUSES)}"


# --- Satisfaction ------------------------------------------------------------------------------------


def low_satisfaction_sql(survey: str = "answered") -> str:
    return f"{survey}.score <= {LOW_SATISFACTION_SCORE}"
