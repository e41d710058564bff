"""Alert rules in frozen time: each opens once, updates in place and closes when its cause is gone."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Complaint
from accounts.services import complaint_open, complaint_transition, interaction_log
from service_tiers.alerts import alerts_sync
from service_tiers.models import Alert, AlertRead
from tests.factories import AccountFactory, ComplaintFactory, OrderFactory, SatisfactionSurveyFactory
from tests.service_tiers.conftest import at, open_alerts, snapshot, visit

D = datetime.date


def test_revisit_overdue_opens_the_day_after_the_due_date_and_closes_when_a_visit_is_logged(world, freeze):
    freeze(2026, 1, 31)
    snapshot(world.own_account, D(2026, 1, 1), "A")
    visit(world.own_account, at(2026, 1, 31, 9))  # due 2 March (30 days, no leap day in 2026)
    freeze(2026, 3, 2, 23)
    alerts_sync()
    assert not open_alerts(world.own_account, "revisit_overdue").exists()
    freeze(2026, 3, 3, 0)
    alerts_sync()
    alert = open_alerts(world.own_account, "revisit_overdue").get()
    assert alert.due_on == D(2026, 3, 2)
    assert alert.responsible == world.manager
    assert "2026-01-31" in alert.message

    interaction_log(
        actor=world.manager,
        account=world.own_account,
        kind="visit",
        occurred_at=at(2026, 3, 3, 0, 0),
        summary="回访",
    )
    # Closed by the write itself, in its transaction: no run, no page refresh needed.
    assert not open_alerts(world.own_account, "revisit_overdue").exists()
    assert Alert.objects.get(pk=alert.pk).closed_at is not None
    assert alerts_sync()["closed"] == 0


def test_revisit_overdue_over_a_leap_day(world, freeze):
    freeze(2024, 1, 31)
    snapshot(world.own_account, D(2024, 1, 1), "A")
    visit(world.own_account, at(2024, 1, 31, 9))  # due 1 March 2024 (29 February exists)
    freeze(2024, 3, 1, 18)
    alerts_sync()
    assert not open_alerts(world.own_account, "revisit_overdue").exists()
    freeze(2024, 3, 2, 8)
    alerts_sync()
    assert open_alerts(world.own_account, "revisit_overdue").get().due_on == D(2024, 3, 1)


def test_running_twice_never_duplicates_an_alert(world, freeze):
    freeze(2026, 5, 10)
    snapshot(world.own_account, D(2026, 5, 1), "A")
    visit(world.own_account, at(2026, 1, 1))
    first = alerts_sync()
    second = alerts_sync()
    assert first["opened"] >= 1
    assert second["opened"] == 0 and second["closed"] == 0
    assert open_alerts(world.own_account, "revisit_overdue").count() == 1


def test_a_changed_due_date_updates_the_open_alert_in_place(world, freeze):
    freeze(2026, 5, 10)
    snapshot(world.own_account, D(2026, 5, 1), "B")
    visit(world.own_account, at(2026, 1, 1))
    alerts_sync()
    alert = open_alerts(world.own_account, "revisit_overdue").get()
    assert alert.due_on == D(2026, 3, 2)
    snapshot(world.own_account, D(2026, 4, 1), "A")  # an older snapshot changes nothing
    alerts_sync()
    assert open_alerts(world.own_account, "revisit_overdue").get().pk == alert.pk


def test_no_contact_for_twice_the_cadence(world, freeze):
    freeze(2026, 1, 1)
    snapshot(world.own_account, D(2026, 1, 1), "A")
    visit(world.own_account, at(2026, 1, 1), kind="call")
    freeze(2026, 3, 2)  # 60 days later: due, not yet overdue
    alerts_sync()
    assert not open_alerts(world.own_account, "no_contact").exists()
    freeze(2026, 3, 3)
    alerts_sync()
    assert open_alerts(world.own_account, "no_contact").get().due_on == D(2026, 3, 2)


def test_complaint_past_its_response_then_resolution_deadline_and_resolved(world, freeze):
    freeze(2026, 2, 28, 20)
    snapshot(world.own_account, D(2026, 2, 1), "A")  # A: respond in 4 h, resolve in 24 h
    complaint = complaint_open(
        actor=world.manager,
        account=world.own_account,
        received_at=at(2026, 2, 28, 20),
        channel="phone",
        category="delivery",
        severity="high",
        description="交货延迟",
    )
    freeze(2026, 2, 28, 23, 59)
    alerts_sync()
    assert not open_alerts(world.own_account, "complaint_overdue").exists()
    freeze(2026, 3, 1, 0, 1)  # past 4 h, across the month end
    alerts_sync()
    alert = open_alerts(world.own_account, "complaint_overdue").get()
    assert alert.details["stage"] == "response"
    assert alert.due_on == D(2026, 3, 1)

    complaint_transition(actor=world.manager, complaint=complaint, to_status=Complaint.Status.IN_PROGRESS)
    alerts_sync()
    assert not open_alerts(world.own_account, "complaint_overdue").exists()

    freeze(2026, 3, 1, 20, 1)  # past 24 h, still in progress
    alerts_sync()
    assert open_alerts(world.own_account, "complaint_overdue").get().details["stage"] == "resolution"

    complaint_transition(actor=world.manager, complaint=complaint, to_status="resolved", resolution="已补发")
    alerts_sync()
    assert not open_alerts(world.own_account, "complaint_overdue").exists()


def test_complaints_opened_elsewhere_get_their_deadline_from_the_daily_run(world, freeze):
    freeze(2026, 6, 1)
    complaint = ComplaintFactory(account=world.own_account, received_at=at(2026, 5, 20))
    counts = alerts_sync()
    assert counts["deadlines_fixed"] == 1
    complaint.refresh_from_db()
    assert complaint.deadline.tier == "C"
    assert open_alerts(world.own_account, "complaint_overdue").exists()


def test_invoice_overdue_opens_per_account_and_closes_when_paid(world, freeze):
    freeze(2026, 3, 31)
    order = OrderFactory(account=world.own_account, order_date=D(2026, 1, 31), due_date=D(2026, 3, 31))
    alerts_sync()
    assert not open_alerts(world.own_account, "invoice_overdue").exists()
    freeze(2026, 4, 1)
    OrderFactory(account=world.own_account, order_date=D(2026, 2, 1), due_date=D(2026, 3, 15))
    alerts_sync()
    alert = open_alerts(world.own_account, "invoice_overdue").get()
    assert alert.details["invoices"] == 2
    assert alert.due_on == D(2026, 3, 15)
    order.paid_date = D(2026, 4, 1)
    order.save()
    alerts_sync()
    assert open_alerts(world.own_account, "invoice_overdue").get().details["invoices"] == 1
    world.own_account.orders.update(paid_date=D(2026, 4, 1))
    alerts_sync()
    assert not open_alerts(world.own_account, "invoice_overdue").exists()


def test_grade_fell_and_score_dropped(world, freeze):
    freeze(2026, 6, 2)
    snapshot(world.own_account, D(2026, 5, 1), "B", total="72.00")
    snapshot(world.own_account, D(2026, 6, 1), "B", total="62.00")  # −10 points, same grade
    alerts_sync()
    assert open_alerts(world.own_account, "score_dropped").exists()
    assert not open_alerts(world.own_account, "grade_fell").exists()

    snapshot(world.foreign_account, D(2026, 5, 1), "B", total="61.00")
    snapshot(world.foreign_account, D(2026, 6, 1), "C", total="59.99")  # −1.01 points, but B → C
    alerts_sync()
    alert = open_alerts(world.foreign_account, "grade_fell").get()
    assert alert.details["previous_grade"] == "B" and alert.details["grade"] == "C"
    assert alert.responsible == world.other_manager
    assert not open_alerts(world.foreign_account, "score_dropped").exists()


def test_a_score_drop_of_less_than_ten_points_is_no_alert(world, freeze):
    freeze(2026, 6, 2)
    snapshot(world.own_account, D(2026, 5, 1), "B", total="72.00")
    snapshot(world.own_account, D(2026, 6, 1), "B", total="62.01")
    alerts_sync()
    assert not open_alerts(world.own_account).filter(rule__in=["score_dropped", "grade_fell"]).exists()


def test_the_grade_alert_closes_when_the_next_regrade_shows_no_fall(world, freeze):
    freeze(2026, 6, 2)
    snapshot(world.own_account, D(2026, 5, 1), "A", total="80.00")
    snapshot(world.own_account, D(2026, 6, 1), "B", total="70.00")
    alerts_sync()
    assert open_alerts(world.own_account, "grade_fell").exists()
    freeze(2026, 7, 2)
    snapshot(world.own_account, D(2026, 7, 1), "B", total="71.00")
    alerts_sync()
    assert not open_alerts(world.own_account, "grade_fell").exists()


@pytest.mark.parametrize(("score", "alerted"), [(6, True), (7, False), (0, True)])
def test_low_satisfaction(world, freeze, score, alerted):
    freeze(2026, 6, 2)
    SatisfactionSurveyFactory(
        account=world.own_account, sent_on=D(2026, 5, 20), answered_on=D(2026, 5, 25), score=score
    )
    alerts_sync()
    assert open_alerts(world.own_account, "low_satisfaction").exists() is alerted


def test_low_satisfaction_closes_when_a_later_survey_is_better(world, freeze):
    freeze(2026, 6, 2)
    SatisfactionSurveyFactory(
        account=world.own_account, sent_on=D(2026, 3, 1), answered_on=D(2026, 3, 5), score=3
    )
    alerts_sync()
    assert open_alerts(world.own_account, "low_satisfaction").exists()
    SatisfactionSurveyFactory(
        account=world.own_account, sent_on=D(2026, 5, 20), answered_on=D(2026, 5, 25), score=9
    )
    alerts_sync()
    assert not open_alerts(world.own_account, "low_satisfaction").exists()


def test_lost_accounts_raise_no_revisit_or_survey_alerts(world, freeze):
    freeze(2026, 6, 2)
    lost = AccountFactory(owner=world.manager, region=world.east, status=Account.Status.LOST)
    visit(lost, at(2025, 1, 1))
    alerts_sync()
    assert not open_alerts(lost).exists()


def test_sync_scoped_to_some_accounts_leaves_the_others_alone(world, freeze):
    freeze(2026, 6, 2)
    visit(world.own_account, at(2025, 1, 1))
    visit(world.foreign_account, at(2025, 1, 1))
    alerts_sync()
    assert open_alerts(world.foreign_account, "revisit_overdue").exists()
    visit(world.foreign_account, at(2026, 6, 1))
    alerts_sync(scope=Account.objects.visible_to(world.manager))
    assert open_alerts(world.foreign_account, "revisit_overdue").exists()  # not in the manager's scope
    alerts_sync()
    assert not open_alerts(world.foreign_account, "revisit_overdue").exists()


# --- Visibility and reading ---------------------------------------------------------------------------


@pytest.fixture
def alerts_everywhere(world, freeze):
    freeze(2026, 6, 2)
    visit(world.own_account, at(2025, 1, 1))
    visit(world.foreign_account, at(2025, 1, 1))
    alerts_sync()
    return open_alerts(world.own_account).first(), open_alerts(world.foreign_account).first()


def test_directors_see_the_alerts_of_their_region_only(client, world, alerts_everywhere):
    own, foreign = alerts_everywhere
    client.force_login(world.director)
    page = client.get(reverse("service_tiers:alert_list"))
    assert world.own_account.short_name in page.text
    assert world.foreign_account.short_name not in page.text
    client.force_login(world.other_director)
    page = client.get(reverse("service_tiers:alert_list"))
    assert world.own_account.short_name not in page.text
    assert world.foreign_account.short_name in page.text


def test_marking_a_foreign_alert_read_is_404(client, world, alerts_everywhere):
    _own, foreign = alerts_everywhere
    client.force_login(world.manager)
    assert client.post(reverse("service_tiers:alert_read", args=[foreign.pk])).status_code == 404
    assert not AlertRead.objects.exists()


def test_the_read_flag_is_per_user_and_the_bell_counts_unread(client, world, alerts_everywhere):
    own, _foreign = alerts_everywhere
    client.force_login(world.manager)
    unread_before = Alert.objects.visible_to(world.manager).open().count()
    assert f'id="kam-bell-count">{unread_before}<' in client.get(reverse("accounts:list")).text
    response = client.post(reverse("service_tiers:alert_read", args=[own.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="mark-read"' not in response.text  # the item is swapped in place, read
    assert 'hx-swap-oob="true"' in response.text
    assert AlertRead.objects.filter(alert=own, user=world.manager).exists()
    assert (
        Alert.objects.visible_to(world.director).open().unread_by(world.director).filter(pk=own.pk).exists()
    )
    # Marking twice is harmless.
    client.post(reverse("service_tiers:alert_read", args=[own.pk]))
    assert AlertRead.objects.filter(alert=own, user=world.manager).count() == 1


def _unpaid_accounts(world, count):
    """``count`` new accounts of the manager, each with an invoice unpaid since 1 February 2026."""
    for _ in range(count):
        OrderFactory(
            account=AccountFactory(owner=world.manager, region=world.east),
            order_date=D(2026, 1, 1),
            due_date=D(2026, 2, 1),
            amount=Decimal("10.00"),
            gross_profit=Decimal("1.00"),
        )


def test_the_bell_follows_new_and_read_alerts_at_once(client, world, alerts_everywhere):
    own, _foreign = alerts_everywhere
    client.force_login(world.manager)
    unread = Alert.objects.visible_to(world.manager).open().count()
    assert f'id="kam-bell-count">{unread}<' in client.get(reverse("accounts:list")).text
    client.post(reverse("service_tiers:alert_read", args=[own.pk]))
    assert f'id="kam-bell-count">{unread - 1}<' in client.get(reverse("accounts:list")).text
    _unpaid_accounts(world, 1)
    alerts_sync()  # the unpaid invoice is overdue: a new alert
    now_unread = Alert.objects.visible_to(world.manager).open().unread_by(world.manager).count()
    assert now_unread > unread - 1
    assert f'id="kam-bell-count">{now_unread}<' in client.get(reverse("accounts:list")).text


def test_the_bell_costs_one_query_whatever_the_number_of_alerts(
    client, world, freeze, django_assert_num_queries
):
    freeze(2026, 6, 2)
    client.force_login(world.manager)
    client.get(reverse("accounts:list"))
    # Each measured page follows new alerts, so the bell counts afresh (an unchanged count is cached).
    _unpaid_accounts(world, 8)
    alerts_sync()
    reset_queries()  # a request resets the log: start from an empty one
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:list"))
    _unpaid_accounts(world, 8)
    alerts_sync()
    with django_assert_num_queries(len(few)):
        client.get(reverse("accounts:list"))


@pytest.mark.django_db(transaction=True)
def test_a_write_waits_for_the_daily_run_and_writes_run_side_by_side(world, freeze):
    """The run over every account holds the sync lock alone; syncs of the accounts a write touched share
    it, so they never wait for each other, only for the run."""
    import threading
    import time

    from django.db import connections

    from kam.locks import advisory_lock
    from service_tiers.alerts import SYNC_LOCK

    freeze(2026, 6, 2)
    holding, release, done = threading.Event(), threading.Event(), []

    def holder(shared):
        try:
            with advisory_lock(SYNC_LOCK, shared=shared):
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    def write_sync():
        try:
            with advisory_lock(SYNC_LOCK, shared=True):
                done.append(True)
        finally:
            connections.close_all()

    other_write = threading.Thread(target=holder, args=(True,))
    other_write.start()
    assert holding.wait(10)
    try:
        with advisory_lock(SYNC_LOCK, shared=True, wait=False) as acquired:
            assert acquired  # another write's sync does not block this one
        with advisory_lock(SYNC_LOCK, wait=False) as acquired:
            assert not acquired  # but the daily run waits for it
    finally:
        release.set()
        other_write.join(10)

    holding.clear()
    release.clear()
    daily_run = threading.Thread(target=holder, args=(False,))
    daily_run.start()
    assert holding.wait(10)
    writer = threading.Thread(target=write_sync)
    writer.start()
    time.sleep(0.3)
    assert done == []  # the write's sync waits for the run in progress
    release.set()
    daily_run.join(10)
    writer.join(10)
    assert done == [True]


def test_blacklisted_accounts_get_the_slowest_complaint_deadlines(world, freeze):
    freeze(2026, 2, 16, 18)  # Spring Festival eve: deadlines count hours, holidays included
    world.own_account.status = Account.Status.BLACKLISTED
    world.own_account.save()
    complaint = complaint_open(
        actor=world.manager,
        account=world.own_account,
        received_at=at(2026, 2, 16, 18),
        channel="phone",
        category="billing",
        severity="low",
        description="发票抬头错误",
    )
    assert complaint.deadline.tier == "blacklist"
    assert complaint.deadline.respond_by == at(2026, 2, 23, 18)
    assert complaint.deadline.resolve_by == at(2026, 3, 2, 18)
