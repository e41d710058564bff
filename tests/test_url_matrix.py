"""Every URL, every role.

ROUTES lists every named URL of the project with how to call it and what it shows. For each route and
each role the test checks the outcome: anonymous users are sent to the login page (or refused by the
API), users who may see the target account get it, everybody else gets 404 — never a 403 that would
confirm the account exists. ``test_every_url_is_in_the_matrix`` fails when a URL is added without an
entry here.

The target is always ``world.own_account`` (see tests/conftest.py): visible to its owner ``manager``,
to ``teammate`` (account team), to ``director`` (directs its region) and to ``admin``; not to
``other_manager`` nor ``other_director``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import ComplaintFactory, InteractionFactory

ROLES = ["anonymous", "manager", "teammate", "other_manager", "director", "other_director", "admin"]
SEES_TARGET = {"manager", "teammate", "director", "admin"}

# Outcomes
LOGIN = "redirect to login"
API_REFUSED = 403


@dataclass
class Route:
    url: Callable  # world -> path
    method: str = "get"
    data: Callable = field(default=lambda world: {})
    # "object": 200/302 when the role sees the target account, 404 otherwise.
    # "list": 200 for every signed-in role; the target appears exactly when the role sees it.
    # "public": the same answer for everybody, signed in or not.
    # "staff": 200 for staff (admin), 403 for every other signed-in role.
    kind: str = "object"
    ok: int = 200
    anonymous: object = LOGIN
    public_status: dict = field(default_factory=dict)  # for "public": {"anonymous": 200, "user": 302}
    shows: Callable = field(default=lambda world, response: world.own_account.name in response.text)
    allowed: frozenset = frozenset({"manager", "teammate", "director", "admin"})  # for "object"


def _own_alert(world):
    from django.utils import timezone

    from service_tiers.models import Alert

    return Alert.objects.create(
        rule=Alert.Rule.INVOICE_OVERDUE,
        account=world.own_account,
        dedup_key=f"invoice_overdue:{world.own_account.pk}",
        due_on=timezone.localdate(),
        responsible=world.manager,
        opened_at=timezone.now(),
    )


def _own_account_graded(world):
    """A grade snapshot for the target account, so dashboard lists and exports can name it."""
    from django.utils import timezone

    from scoring.models import GradeSnapshot, ScoringModel

    GradeSnapshot.objects.get_or_create(
        account=world.own_account,
        period=timezone.localdate().replace(day=1),
        defaults={
            "scoring_model": ScoringModel.objects.get(status=ScoringModel.Status.ACTIVE),
            "total": 80,
            "computed_grade": "A",
            "grade": "A",
            "computed_at": timezone.now(),
        },
    )
    return True


def _own_plan(world):
    from django.utils import timezone

    from account_plans.models import AccountPlan

    plan, _created = AccountPlan.objects.get_or_create(
        account=world.own_account, year=timezone.localdate().year, defaults={"created_by": world.manager}
    )
    return plan


def _own_plan_action(world):
    from django.utils import timezone

    from account_plans.models import PlanAction

    action, _created = PlanAction.objects.get_or_create(
        plan=_own_plan(world),
        description="拜访",
        defaults={"owner": world.manager, "due_on": timezone.localdate()},
    )
    return action


def _own_cross_sell(world):
    from segmentation.models import CrossSellSuggestion

    CrossSellSuggestion.objects.get_or_create(
        account=world.own_account,
        rank=1,
        defaults={"product_line": "运维服务", "peers": 9, "peers_buying": 6, "lift": 2},
    )
    return True


def _team_segment(world):
    """A segment the manager shares with the East team: the manager, teammate and director (who directs
    the team) may open it; admin sees every segment; the North people get 404."""
    from segmentation.models import SavedSegment

    team = world.manager.kam_teams.get()
    segment, _created = SavedSegment.objects.get_or_create(
        owner=world.manager,
        name="华东大客户",
        defaults={"sharing": "team", "team": team, "query": {"grade": ["A"]}},
    )
    return segment


def _streamed_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def _api_ids(response):
    return {item["id"] for item in response.json()["results"]}


EVERYONE_200 = {"anonymous": 200, "user": 200}

ROUTES = {
    # Public and session
    "login": Route(lambda w: reverse("login"), kind="public", public_status={"anonymous": 200, "user": 302}),
    "logout": Route(
        lambda w: reverse("logout"), "post", kind="public", public_status={"anonymous": 302, "user": 302}
    ),
    "set_language": Route(
        lambda w: reverse("set_language"),
        "post",
        data=lambda w: {"language": "zh-hans"},
        kind="public",
        public_status={"anonymous": 302, "user": 302},
    ),
    "home": Route(lambda w: reverse("home"), kind="list", ok=302, shows=None),
    # Password reset (the same pages for everybody) and two-factor sign-in (staff only)
    "password_reset": Route(lambda w: reverse("password_reset"), kind="public", public_status=EVERYONE_200),
    "password_reset_done": Route(
        lambda w: reverse("password_reset_done"), kind="public", public_status=EVERYONE_200
    ),
    "password_reset_confirm": Route(
        lambda w: reverse("password_reset_confirm", args=["MQ", "set-password"]),
        kind="public",
        public_status=EVERYONE_200,
    ),
    "password_reset_complete": Route(
        lambda w: reverse("password_reset_complete"), kind="public", public_status=EVERYONE_200
    ),
    "health": Route(lambda w: reverse("health"), kind="public", public_status=EVERYONE_200),
    "two_factor_verify": Route(lambda w: reverse("two_factor_verify"), kind="list", ok=302, shows=None),
    "two_factor_setup": Route(lambda w: reverse("two_factor_setup"), kind="staff"),
    # Account pages
    "accounts:list": Route(lambda w: reverse("accounts:list"), kind="list"),
    "accounts:list_export": Route(
        lambda w: reverse("accounts:list_export", args=["csv"]),
        kind="list",
        shows=lambda w, r: w.own_account.name in _streamed_text(r),
    ),
    "accounts:detail": Route(lambda w: reverse("accounts:detail", args=[w.own_account.pk])),
    "accounts:history": Route(lambda w: reverse("accounts:history", args=[w.own_account.pk])),
    "accounts:create": Route(lambda w: reverse("accounts:create"), kind="list", shows=None),
    # Only the owner, directors in scope and administrators edit an account; the teammate sees it only.
    "accounts:edit": Route(
        lambda w: reverse("accounts:edit", args=[w.own_account.pk]),
        allowed=frozenset({"manager", "director", "admin"}),
    ),
    "accounts:orders": Route(lambda w: reverse("accounts:orders", args=[w.own_account.pk])),
    "accounts:group": Route(lambda w: reverse("accounts:group", args=[w.own_account.pk])),
    "accounts:contact_create": Route(lambda w: reverse("accounts:contact_create", args=[w.own_account.pk])),
    "accounts:contact_edit": Route(
        lambda w: reverse("accounts:contact_edit", args=[w.own_contact.pk]),
        shows=lambda w, r: "王建国" in r.text,
    ),
    "accounts:contact_set_active": Route(
        lambda w: reverse("accounts:contact_set_active", args=[w.own_contact.pk]),
        "post",
        data=lambda w: {"active": "0"},
        ok=302,
    ),
    # PIPL export and erasure: administrators and the account's owner only.
    "accounts:contact_personal_data": Route(
        lambda w: reverse("accounts:contact_personal_data", args=[w.own_contact.pk]),
        shows=lambda w, r: "王建国" in r.text,
        allowed=frozenset({"manager", "admin"}),
    ),
    "accounts:survey_create": Route(lambda w: reverse("accounts:survey_create", args=[w.own_account.pk])),
    "accounts:complaint_assign": Route(
        lambda w: reverse("accounts:complaint_assign", args=[ComplaintFactory(account=w.own_account).pk]),
        "post",
        data=lambda w: {"handler": w.manager.pk},
        ok=302,
    ),
    "accounts:interaction_create": Route(
        lambda w: reverse("accounts:interaction_create", args=[w.own_account.pk])
    ),
    "accounts:complaint_create": Route(
        lambda w: reverse("accounts:complaint_create", args=[w.own_account.pk])
    ),
    "accounts:complaint_transition": Route(
        lambda w: reverse("accounts:complaint_transition", args=[ComplaintFactory(account=w.own_account).pk]),
        "post",
        data=lambda w: {"status": "in_progress"},
        ok=302,
    ),
    # Grading panel (scoring): GET shows the panel page, POST rates or overrides (tests/scoring/test_views.py)
    "scoring:rating": Route(lambda w: reverse("scoring:rating", args=[w.own_account.pk])),
    "scoring:override": Route(lambda w: reverse("scoring:override", args=[w.own_account.pk])),
    # Service tiers: My day, alerts, compliance (tests/service_tiers/)
    "service_tiers:my_day": Route(lambda w: reverse("service_tiers:my_day"), kind="list", shows=None),
    "service_tiers:alert_list": Route(
        lambda w: _own_alert(w) and reverse("service_tiers:alert_list"),
        kind="list",
        shows=lambda w, r: w.own_account.short_name in r.text,
    ),
    "service_tiers:alert_read": Route(
        lambda w: reverse("service_tiers:alert_read", args=[_own_alert(w).pk]), "post", ok=302
    ),
    "service_tiers:alert_read_all": Route(
        lambda w: reverse("service_tiers:alert_read_all"), "post", kind="list", ok=302, shows=None
    ),
    "service_tiers:compliance": Route(lambda w: reverse("service_tiers:compliance"), kind="list", shows=None),
    # Directors' dashboard (segmentation): figures, drill-down lists, exports, KPI targets
    "segmentation:dashboard": Route(lambda w: reverse("segmentation:dashboard"), kind="list", shows=None),
    "segmentation:accounts": Route(
        lambda w: _own_account_graded(w) and reverse("segmentation:accounts") + "?to_grade=A", kind="list"
    ),
    "segmentation:export": Route(
        lambda w: _own_account_graded(w) and reverse("segmentation:export", args=["accounts", "csv"]),
        kind="list",
        shows=lambda w, r: w.own_account.name in _streamed_text(r),
    ),
    "segmentation:targets": Route(lambda w: reverse("segmentation:targets"), kind="list", shows=None),
    # Segments on the account page (tests/segmentation/test_account_segments.py)
    "segmentation:account_needs": Route(
        lambda w: reverse("segmentation:account_needs", args=[w.own_account.pk])
    ),
    # Saved segments: shared with the East team (tests/segmentation/test_saved_segments.py)
    "segmentation:cross": Route(
        lambda w: _own_account_graded(w) and reverse("segmentation:cross") + "?rows=industry&columns=grade",
        kind="list",
        shows=None,
    ),
    "segmentation:cross_sell": Route(
        lambda w: _own_cross_sell(w) and reverse("segmentation:cross_sell"),
        kind="list",
        shows=lambda w, r: w.own_account.name in r.text,
    ),
    "segmentation:grade_movers": Route(
        lambda w: _own_account_graded(w) and reverse("segmentation:grade_movers"), kind="list", shows=None
    ),
    # Account plans (tests/account_plans/): forms post back to the account page
    "account_plans:summary": Route(lambda w: reverse("account_plans:summary"), kind="list", shows=None),
    "account_plans:plan_create": Route(
        lambda w: _own_account_graded(w) and reverse("account_plans:plan_create", args=[w.own_account.pk]),
        "post",
        data=lambda w: {"plan-year": 2026},
        ok=302,
    ),
    "account_plans:objective_add": Route(
        lambda w: reverse("account_plans:objective_add", args=[_own_plan(w).pk]), "post"
    ),
    "account_plans:action_add": Route(
        lambda w: reverse("account_plans:action_add", args=[_own_plan(w).pk]), "post"
    ),
    "account_plans:review_record": Route(
        lambda w: reverse("account_plans:review_record", args=[_own_plan(w).pk]), "post"
    ),
    "account_plans:action_status": Route(
        lambda w: reverse("account_plans:action_status", args=[_own_plan_action(w).pk]),
        "post",
        data=lambda w: {"status-status": "done"},
        ok=302,
    ),
    "segmentation:saved_segments": Route(
        lambda w: reverse("segmentation:saved_segments"), kind="list", shows=None
    ),
    "segmentation:saved_segment_open": Route(
        lambda w: reverse("segmentation:saved_segment_open", args=[_team_segment(w).pk]), ok=302
    ),
    "segmentation:saved_segment_delete": Route(
        lambda w: reverse("segmentation:saved_segment_delete", args=[_team_segment(w).pk]), "post", ok=302
    ),
    # API
    "api:api-root": Route(lambda w: reverse("api:api-root"), kind="list", anonymous=API_REFUSED, shows=None),
    "api:account-list": Route(
        lambda w: reverse("api:account-list"),
        kind="list",
        anonymous=API_REFUSED,
        shows=lambda w, r: w.own_account.pk in _api_ids(r),
    ),
    "api:account-detail": Route(
        lambda w: reverse("api:account-detail", args=[w.own_account.pk]), anonymous=403
    ),
    "api:account-grade-outlook": Route(
        lambda w: reverse("api:account-grade-outlook", args=[w.own_account.pk]), anonymous=403
    ),
    "api:contact-list": Route(
        lambda w: reverse("api:contact-list"),
        kind="list",
        anonymous=API_REFUSED,
        shows=lambda w, r: w.own_contact.pk in _api_ids(r),
    ),
    "api:contact-detail": Route(
        lambda w: reverse("api:contact-detail", args=[w.own_contact.pk]), anonymous=403
    ),
    "api:interaction-list": Route(
        lambda w: (
            reverse("api:interaction-list") + f"?created={InteractionFactory(account=w.own_account).pk}"
        ),
        kind="list",
        anonymous=API_REFUSED,
        shows=lambda w, r: bool(_api_ids(r)),
    ),
    "api:interaction-detail": Route(
        lambda w: reverse("api:interaction-detail", args=[InteractionFactory(account=w.own_account).pk]),
        anonymous=API_REFUSED,
    ),
    "api:complaint-list": Route(
        lambda w: reverse("api:complaint-list") + f"?created={ComplaintFactory(account=w.own_account).pk}",
        kind="list",
        anonymous=API_REFUSED,
        shows=lambda w, r: bool(_api_ids(r)),
    ),
    "api:complaint-detail": Route(
        lambda w: reverse("api:complaint-detail", args=[ComplaintFactory(account=w.own_account).pk]),
        anonymous=API_REFUSED,
    ),
}

# The Django admin has its own permission system; its querysets go through the visibility rule
# (accounts/admin.py, tested in tests/accounts/test_admin.py).
EXEMPT_NAMESPACES = {"admin"}


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if pattern.namespace and namespace:
                inner = f"{namespace}:{pattern.namespace}"
            if inner in EXEMPT_NAMESPACES:
                continue
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_in_the_matrix():
    names = set(_url_names(get_resolver().url_patterns))
    missing = names - set(ROUTES)
    assert not missing, f"Add these URLs to ROUTES in tests/test_url_matrix.py: {sorted(missing)}"
    assert not set(ROUTES) - names, "ROUTES names a URL that no longer exists"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_role_matrix(client, world, name, role):
    route = ROUTES[name]
    if role != "anonymous":
        client.force_login(getattr(world, role))
    url = route.url(world)
    response = getattr(client, route.method)(url, route.data(world))

    if route.kind == "public":
        expected = route.public_status["anonymous" if role == "anonymous" else "user"]
        assert response.status_code == expected
    elif role == "anonymous":
        if route.anonymous == LOGIN:
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login") + "?next=")
        else:
            assert response.status_code == route.anonymous
    elif route.kind == "staff":
        assert response.status_code == (route.ok if getattr(world, role).is_staff else 403)
    elif route.kind == "list":
        assert response.status_code == route.ok
        if route.shows is not None:
            assert route.shows(world, response) == (role in SEES_TARGET)
    else:
        assert response.status_code == (route.ok if role in route.allowed else 404)
