"""Service compliance on the dashboard is computed over the accounts in scope: every filter applies.

On top of the book (conftest.py; tiers are the grades of 2026-10: A every 30 days, B 60, C 90), visits
whose revisit falls due in October 2026 (Asia/Shanghai):

  account          owner          region  industry       tier  visit       due     next visit  on time
  own_account      manager        East    manufacturing  B     2026-08-10  10-09   10-01       yes
  east_slipping    manager        East    manufacturing  C     2026-07-10  10-08   09-30       yes
  east_new         manager        East    manufacturing  C     2026-07-15  10-13   —           no
  east_shop        manager        East    retail         B     2026-08-12  10-11   —           no
  east_estate      teammate       East    real estate    A     2026-09-10  10-10   10-08       yes
  foreign_account  other_manager  North   manufacturing  B     2026-08-15  10-14   10-05       yes
  north_rising     other_manager  North   manufacturing  A     2026-09-01  10-01   —           no

and one complaint of east_shop (tier B) to be resolved by 2026-10-08 18:00, resolved on 10-09: late.
"""

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from accounts.models import Account, Complaint, Interaction, Team
from scoring.models import GradeOverride
from segmentation import selectors
from segmentation.selectors import DashboardFilters
from service_tiers.models import ComplaintDeadline, ServiceTier
from tests.factories import AccountFactory, InteractionFactory
from tests.segmentation.conftest import COMPARE, PERIOD, SHANGHAI, snapshot

OCTOBER = f"period={PERIOD:%Y-%m}&compare={COMPARE:%Y-%m}"


def _at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def visits(book):
    w = book.world
    east_shop = AccountFactory(
        name="南京百汇商贸有限公司", owner=w.manager, region=w.east, industry=Account.Industry.RETAIL
    )
    snapshot(east_shop, PERIOD, "B", "66.00", "5000.00")
    for account, day in [
        (w.own_account, _at(8, 10)),
        (book.east_slipping, _at(7, 10)),
        (book.east_new, _at(7, 15)),
        (east_shop, _at(8, 12)),
        (book.east_estate, _at(9, 10)),
        (book.east_estate, _at(10, 8)),
        (w.foreign_account, _at(8, 15)),
        (book.north_rising, _at(9, 1)),
    ]:
        InteractionFactory(account=account, occurred_at=day, kind="visit")
    complaint = Complaint.objects.create(
        account=east_shop,
        received_at=_at(10, 5, 18),
        created_by=w.manager,
        handler=w.manager,
        status="resolved",
        resolved_at=_at(10, 9),
        channel="phone",
        category="delivery",
        description="缺货",
    )
    ComplaintDeadline.objects.create(
        complaint=complaint,
        tier="B",
        respond_by=_at(10, 6, 18),
        resolve_by=_at(10, 8, 18),
        fixed_at=_at(10, 5, 18),
    )
    return book


def _figures(user, **filters):
    chosen = DashboardFilters(period=PERIOD, compare=COMPARE, **filters)
    accounts = selectors.dashboard_accounts(user=user, filters=chosen)
    return {
        (row["manager"].username, row["tier_key"]): (
            row["revisits_on_time"],
            row["revisits_due"],
            row["complaints_on_time"],
            row["complaints_due"],
        )
        for row in selectors.service_compliance(accounts=accounts, filters=chosen)
    }


def test_compliance_of_every_account_the_administrator_sees(visits):
    assert _figures(visits.world.admin) == {
        ("manager", "B"): (1, 2, 0, 1),
        ("manager", "C"): (1, 2, 0, 0),
        ("teammate", "A"): (1, 1, 0, 0),
        ("other_manager", "A"): (0, 1, 0, 0),
        ("other_manager", "B"): (1, 1, 0, 0),
    }


def test_the_director_sees_their_region_only(visits):
    assert set(_figures(visits.world.director)) == {("manager", "B"), ("manager", "C"), ("teammate", "A")}


def test_region_filter_narrows_compliance(visits):
    assert _figures(visits.world.admin, region=visits.world.north) == {
        ("other_manager", "A"): (0, 1, 0, 0),
        ("other_manager", "B"): (1, 1, 0, 0),
    }


def test_industry_filter_counts_only_that_industrys_accounts_of_a_manager(visits):
    # The manager's retail account (a late revisit and a late complaint) is left out.
    assert _figures(visits.world.director, industry=Account.Industry.MANUFACTURING) == {
        ("manager", "B"): (1, 1, 0, 0),
        ("manager", "C"): (1, 2, 0, 0),
    }
    assert _figures(visits.world.director, industry=Account.Industry.RETAIL) == {
        ("manager", "B"): (0, 1, 0, 1),
    }


def test_grade_filter_counts_only_the_accounts_of_that_grade(visits):
    assert _figures(visits.world.director, grade="C") == {("manager", "C"): (1, 2, 0, 0)}


def test_owner_and_team_filters(visits):
    w = visits.world
    assert set(_figures(w.director, owner=w.teammate)) == {("teammate", "A")}
    east_team = Team.objects.get(region=w.east)
    assert set(_figures(w.admin, team=east_team)) == {("manager", "B"), ("manager", "C"), ("teammate", "A")}


def _compliance_csv(client, user, query):
    client.force_login(user)
    url = reverse("segmentation:export", args=["compliance", "csv"]) + f"?{OCTOBER}&{query}"
    raw = b"".join(client.get(url).streaming_content).decode("utf-8")
    return [row[:4] for row in csv.reader(io.StringIO(raw[1:]))][1:]


def test_the_filtered_compliance_export_and_fragment_show_the_filtered_figures(client, visits):
    w = visits.world
    assert _compliance_csv(client, w.director, "industry=retail") == [["manager", "B", "1", "0"]]
    assert sorted(_compliance_csv(client, w.admin, f"region={w.north.pk}")) == [
        ["other_manager", "A", "1", "0"],
        ["other_manager", "B", "1", "1"],
    ]
    fragment = client.get(
        f"{reverse('segmentation:dashboard')}?{OCTOBER}&region={w.north.pk}&section=compliance",
        headers={"HX-Request": "true", "HX-Target": "compliance-figures"},
    ).content.decode()
    assert "other_manager" in fragment and ">manager<" not in fragment


# --- Live in every state (service_tiers/compliance.py): no stored copy, no change log, no trigger -----

ADMIN_FIGURES = {
    ("manager", "B"): (1, 2, 0, 1),
    ("manager", "C"): (1, 2, 0, 0),
    ("teammate", "A"): (1, 1, 0, 0),
    ("other_manager", "A"): (0, 1, 0, 0),
    ("other_manager", "B"): (1, 1, 0, 0),
}


def test_the_figures_are_the_hand_computed_ones_for_every_scope(visits):
    w = visits.world
    assert _figures(w.admin) == ADMIN_FIGURES
    assert set(_figures(w.director)) == {("manager", "B"), ("manager", "C"), ("teammate", "A")}
    assert _figures(w.director, industry=Account.Industry.RETAIL) == {("manager", "B"): (0, 1, 0, 1)}
    assert _figures(w.director, grade="C") == {("manager", "C"): (1, 2, 0, 0)}
    assert _figures(w.admin, region=w.north) == {
        ("other_manager", "A"): (0, 1, 0, 0),
        ("other_manager", "B"): (1, 1, 0, 0),
    }


def test_the_figures_follow_the_accounts_current_owner(visits):
    w = visits.world
    Account.objects.filter(pk=visits.north_rising.pk).update(owner=w.teammate)
    assert _figures(w.admin)[("teammate", "A")] == (1, 2, 0, 0)
    assert ("other_manager", "A") not in _figures(w.admin)


@pytest.mark.django_db(transaction=True)
def test_one_visit_logged_shows_at_once(visits):
    w = visits.world
    assert _figures(w.admin) == ADMIN_FIGURES
    # north_rising (tier A, 30 days): its 1 September visit was due on 1 October; a visit on
    # 25 September makes it on time and is itself due on 25 October, with no visit after it.
    InteractionFactory(account=visits.north_rising, occurred_at=_at(9, 25), kind="visit")
    assert _figures(w.admin) == {**ADMIN_FIGURES, ("other_manager", "A"): (1, 2, 0, 0)}
    # A lost account is no longer served: its revisits leave the figures.
    Account.objects.filter(pk=visits.north_rising.pk).update(status=Account.Status.LOST)
    assert ("other_manager", "A") not in _figures(w.admin)


def test_many_visits_logged_at_once_each_count(visits):
    """A bulk insert (an import, 2,000 visits logged in a day) is read like any other visit."""
    w = visits.world
    Interaction.objects.bulk_create(
        Interaction(account=account, author=w.manager, kind="visit", occurred_at=_at(9, 28), summary="拜访")
        for account in (visits.north_rising, w.foreign_account)
        for _ in range(3)
    )
    # north_rising's 1 September visit is on time now; the 28 September ones are due on 28 October
    # (tier A): the first two have a later visit by then (ties by id), the last has none.
    assert _figures(w.admin)[("other_manager", "A")] == (3, 4, 0, 0)


def test_a_complaint_resolved_in_time_counts_at_once(visits):
    w = visits.world
    assert _figures(w.admin)[("manager", "B")] == (1, 2, 0, 1)
    Complaint.objects.filter(account__name="南京百汇商贸有限公司").update(resolved_at=_at(10, 7))
    assert _figures(w.admin)[("manager", "B")] == (1, 2, 1, 1)


def test_a_moved_complaint_deadline_moves_the_complaint_to_its_month(visits):
    w = visits.world
    ComplaintDeadline.objects.update(resolve_by=_at(11, 8, 18))  # due in November now
    assert _figures(w.admin)[("manager", "B")] == (1, 2, 0, 0)


def test_a_tier_change_applies_to_every_account_at_once(visits):
    w = visits.world
    ServiceTier.objects.filter(key="A").update(revisit_cadence_days=20)  # 1 Sept + 20 days: September
    assert ("other_manager", "A") not in _figures(w.admin)


def test_an_override_that_expired_applies_the_next_day(visits):
    """No write changes the tier when an override runs out: the day does."""
    w = visits.world
    GradeOverride.objects.create(
        account=visits.north_rising,
        grade="C",
        reason="试用期",
        expires_on=datetime.date(2026, 11, 15),
        author=w.admin,
    )
    # Served as C (every 90 days) while the override lasts: its 1 September visit is due in November.
    assert ("other_manager", "A") not in _figures(w.admin)
    with time_machine.travel(datetime.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI), tick=False):
        assert _figures(w.admin)[("other_manager", "A")] == (0, 1, 0, 0)


@pytest.mark.django_db
def test_the_compliance_triggers_change_logs_and_stored_figures_are_gone():
    """Migration 0009 dropped them; only an audit library's triggers (pghistory) remain on the tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, t.tgrelid::regclass::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE NOT t.tgisinternal AND p.proname NOT LIKE 'pgtrigger%%'"
        )
        assert cursor.fetchall() == []
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'service_tiers_compliance%%'")
        assert cursor.fetchall() == []
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'service_tiers_compliance%%'")
        assert cursor.fetchall() == []
    from django_celery_beat.models import PeriodicTask

    assert not PeriodicTask.objects.filter(task__startswith="service_tiers.tasks.compliance").exists()
