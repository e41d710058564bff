"""My day, the alert list, compliance and the home page, through the web client."""

import datetime

from django.urls import reverse

from accounts.models import Account
from accounts.services import interaction_log
from service_tiers.alerts import alerts_sync
from service_tiers.models import Alert
from service_tiers.selectors import service_compliance
from tests.factories import AccountFactory, ComplaintFactory, ContactFactory, SatisfactionSurveyFactory
from tests.service_tiers.conftest import at, open_alerts, snapshot, visit

D = datetime.date


def compliance_of(user, *, month):
    """Compliance as the user's own page shows it: over every account they may see."""
    return service_compliance(accounts=Account.objects.visible_to(user), month=month)


def test_an_account_manager_lands_on_my_day_and_others_do_not(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("home"))["Location"] == reverse("service_tiers:my_day")
    for user in (world.director, world.admin):
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] != reverse("service_tiers:my_day")


def test_my_day_lists_what_is_due_with_one_click_to_the_action(client, world, freeze):
    freeze(2026, 9, 21)
    snapshot(world.own_account, D(2026, 9, 1), "A")
    visit(world.own_account, at(2026, 7, 1))  # revisit due 31 July: overdue
    ComplaintFactory(account=world.own_account, received_at=at(2026, 9, 20, 9))
    ContactFactory(account=world.own_account, name="刘芳", birthday=D(1980, 9, 23))
    SatisfactionSurveyFactory(account=world.own_account, sent_on=D(2026, 6, 22))  # A: next due 22 Sep
    visit(world.foreign_account, at(2026, 1, 1))
    alerts_sync()  # the daily run

    client.force_login(world.manager)
    page = client.get(reverse("service_tiers:my_day"))
    assert page.status_code == 200
    text = page.text
    detail = reverse("accounts:detail", args=[world.own_account.pk])
    assert f'{detail}#activity" data-testid="log-visit-link"' in text
    assert "overdue since 2026-07-31" in text
    assert f"{detail}#complaints" in text
    assert "Birthday of 刘芳" in text and "Mid-Autumn Festival" in text
    assert 'data-testid="my-day-surveys"' in text
    assert world.foreign_account.short_name not in text
    assert 'data-rule="revisit_overdue"' in text


def test_logging_the_visit_clears_it_from_my_day(client, world, freeze):
    freeze(2026, 9, 21)
    visit(world.own_account, at(2026, 1, 1))
    alerts_sync()
    client.force_login(world.manager)
    assert 'data-rule="revisit_overdue"' in client.get(reverse("service_tiers:my_day")).text
    interaction_log(
        actor=world.manager,
        account=world.own_account,
        kind="visit",
        occurred_at=at(2026, 9, 21, 9),
        summary="回访",
    )
    page = client.get(reverse("service_tiers:my_day"))
    assert 'data-rule="revisit_overdue"' not in page.text
    assert not open_alerts(world.own_account).filter(rule="revisit_overdue").exists()


def test_my_day_keeps_a_fixed_number_of_queries(client, world, freeze, django_assert_num_queries):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    freeze(2026, 9, 21)
    client.force_login(world.manager)
    visit(world.own_account, at(2026, 1, 1))
    ComplaintFactory(account=world.own_account, received_at=at(2026, 9, 1))
    ContactFactory(account=world.own_account, birthday=D(1980, 9, 22))
    client.get(reverse("service_tiers:my_day"))
    reset_queries()  # a request resets the log: start from an empty one
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("service_tiers:my_day"))
    expected = len(few)  # now: the next request empties the log
    for _ in range(6):
        account = AccountFactory(owner=world.manager, region=world.east)
        visit(account, at(2026, 1, 1))
        ComplaintFactory(account=account, received_at=at(2026, 9, 1))
        ContactFactory(account=account, birthday=D(1980, 9, 22))
    client.get(reverse("service_tiers:my_day"))  # the new accounts' alerts are opened once
    with django_assert_num_queries(expected):
        page = client.get(reverse("service_tiers:my_day"))
    assert page.text.count('data-testid="log-visit-link"') == 7


def test_a_director_my_day_covers_the_region_but_refreshes_nothing_outside_their_book(client, world, freeze):
    freeze(2026, 9, 21)
    visit(world.own_account, at(2026, 1, 1))
    client.force_login(world.director)
    page = client.get(reverse("service_tiers:my_day"))
    assert world.own_account.short_name in page.text  # due revisits of the region
    assert not Alert.objects.exists()  # the daily run opens region alerts, not a page view


def test_alert_list_marks_all_read_and_shows_closed(client, world, freeze):
    freeze(2026, 9, 21)
    visit(world.own_account, at(2026, 1, 1))
    alerts_sync()
    client.force_login(world.manager)
    response = client.post(reverse("service_tiers:alert_read_all"))
    assert response.status_code == 302
    assert Alert.objects.visible_to(world.manager).open().unread_by(world.manager).count() == 0
    assert client.get(reverse("service_tiers:alert_list") + "?status=closed").status_code == 200
    assert client.get(reverse("service_tiers:alert_list") + "?status=nonsense").status_code == 200


def test_marking_read_without_javascript_goes_back_safely(client, world, freeze):
    freeze(2026, 9, 21)
    visit(world.own_account, at(2026, 1, 1))
    alerts_sync()
    client.force_login(world.manager)
    alert = open_alerts(world.own_account).first()
    url = reverse("service_tiers:alert_read", args=[alert.pk])
    assert client.post(url, {"next": "/my-day/"})["Location"] == "/my-day/"
    assert client.post(url, {"next": "https://evil.example/"})["Location"] == reverse(
        "service_tiers:alert_list"
    )


def test_compliance_per_manager_and_tier_for_a_month(client, world, freeze):
    freeze(2026, 11, 5)
    snapshot(world.own_account, D(2026, 11, 1), "A")
    # Revisits (A: 30 days): due 31 Aug (next visit 25 Aug: on time), due 24 Sep (late), due 30 Oct.
    visit(world.own_account, at(2026, 8, 1))
    visit(world.own_account, at(2026, 8, 25))  # due 24 September; next visit 30 September: late
    visit(world.own_account, at(2026, 9, 30))  # due 30 October; next visit 20 October: on time
    visit(world.own_account, at(2026, 10, 20))
    october = compliance_of(world.manager, month=D(2026, 10, 1))
    assert len(october) == 1
    row = october[0]
    assert (row["manager"], row["tier_key"]) == (world.manager, "A")
    assert (row["revisits_due"], row["revisits_on_time"], row["revisits_share"]) == (1, 1, 1.0)
    september = compliance_of(world.manager, month=D(2026, 9, 1))[0]
    assert (september["revisits_due"], september["revisits_on_time"]) == (1, 0)
    assert compliance_of(world.other_manager, month=D(2026, 10, 1)) == []

    client.force_login(world.director)
    page = client.get(reverse("service_tiers:compliance") + "?month=2026-10")
    assert page.status_code == 200 and 'data-testid="compliance"' in page.text


def test_compliance_counts_complaints_resolved_within_their_deadline(world, freeze):
    from accounts.services import complaint_open, complaint_transition

    freeze(2026, 10, 10, 9)
    snapshot(world.own_account, D(2026, 10, 1), "B")  # 72 h to resolve
    quick = complaint_open(
        actor=world.manager,
        account=world.own_account,
        received_at=at(2026, 10, 10, 9),
        channel="phone",
        category="delivery",
        severity="high",
        description="晚到",
    )
    slow = complaint_open(
        actor=world.manager,
        account=world.own_account,
        received_at=at(2026, 10, 10, 9),
        channel="phone",
        category="quality",
        severity="low",
        description="划痕",
    )
    freeze(2026, 10, 11, 9)
    complaint_transition(actor=world.manager, complaint=quick, to_status="resolved", resolution="已处理")
    freeze(2026, 10, 20, 9)
    complaint_transition(actor=world.manager, complaint=slow, to_status="resolved", resolution="已处理")
    row = compliance_of(world.director, month=D(2026, 10, 1))[0]
    assert (row["complaints_due"], row["complaints_on_time"], row["complaints_share"]) == (2, 1, 0.5)


def test_my_day_in_spring_festival_week_greets_every_tier_with_that_care(client, world, freeze):
    freeze(2025, 1, 27)  # Spring Festival 2025 is on 29 January
    snapshot(world.own_account, D(2025, 1, 1), "C")  # C: Spring Festival greetings only
    client.force_login(world.manager)
    page = client.get(reverse("service_tiers:my_day"))
    assert "Spring Festival" in page.text
    assert "01-29" in page.text
    freeze(2025, 1, 30)
    assert "Spring Festival" not in client.get(reverse("service_tiers:my_day")).text


def test_compliance_counts_surveys_due_and_sent(world, freeze):
    freeze(2026, 11, 5)
    snapshot(world.own_account, D(2026, 11, 1), "A")  # every 3 months
    SatisfactionSurveyFactory(account=world.own_account, sent_on=D(2026, 4, 10))  # next due 10 July
    SatisfactionSurveyFactory(account=world.own_account, sent_on=D(2026, 7, 8))  # on time; next due 8 Oct
    SatisfactionSurveyFactory(account=world.own_account, sent_on=D(2026, 10, 15))  # late
    july = compliance_of(world.manager, month=D(2026, 7, 1))[0]
    assert (july["surveys_due"], july["surveys_on_time"], july["surveys_sent"]) == (1, 1, 1)
    october = compliance_of(world.manager, month=D(2026, 10, 1))[0]
    assert (october["surveys_due"], october["surveys_on_time"], october["surveys_sent"]) == (1, 0, 1)


def test_my_day_writes_nothing_and_shows_what_the_writes_left(client, world, freeze):
    """My day used to run the alert sync on every GET (3.2–3.6 s at 100k); alerts now follow the writes
    and the daily run, and the page only reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    freeze(2026, 9, 21)
    visit(world.own_account, at(2026, 1, 1))  # overdue, but no run since: no alert yet
    client.force_login(world.manager)
    client.get(reverse("service_tiers:my_day"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("service_tiers:my_day"))
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "CREATE", "DROP"))
    ]
    assert writes == []
    assert not Alert.objects.exists()
    assert 'data-rule="revisit_overdue"' not in page.text
    assert world.own_account.short_name in page.text  # the revisit is due all the same (the plan)
    assert len(queries) <= 15


def test_alert_list_is_unread_and_most_urgent_first_and_filters_by_cause_and_manager(client, db):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from accounts import roles
    from service_tiers.models import Alert
    from tests.factories import AccountFactory, UserFactory

    director = UserFactory(username="lead", role=roles.ADMINISTRATOR)
    one, two = (UserFactory(username=name, role=roles.ACCOUNT_MANAGER) for name in ("zhang", "li"))
    now = timezone.now()
    rows = [
        (one, Alert.Rule.REVISIT_OVERDUE, 1),
        (one, Alert.Rule.COMPLAINT_OVERDUE, 5),
        (two, Alert.Rule.REVISIT_OVERDUE, 0),
    ]
    for number, (manager, rule, days_ago) in enumerate(rows):
        Alert.objects.create(
            rule=rule,
            account=AccountFactory(name=f"预警客户{number}有限公司", owner=manager),
            dedup_key=f"test-{number}",
            due_on=timezone.localdate(),
            responsible=manager,
            opened_at=now - timedelta(days=days_ago),
        )
    client.force_login(director)
    listed = list(client.get(reverse("service_tiers:alert_list")).context["page"].object_list)
    assert [(a.rule, a.responsible.username) for a in listed] == [
        ("complaint_overdue", "zhang"),  # most urgent, though the oldest
        ("revisit_overdue", "li"),  # then the newest
        ("revisit_overdue", "zhang"),
    ]
    by_cause = client.get(reverse("service_tiers:alert_list"), {"rule": "revisit_overdue"}).context["page"]
    assert {a.rule for a in by_cause.object_list} == {"revisit_overdue"}
    by_manager = client.get(reverse("service_tiers:alert_list"), {"manager": two.pk}).context["page"]
    assert [a.responsible.username for a in by_manager.object_list] == ["li"]
