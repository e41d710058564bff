"""Keeping the book in the app: accounts, contacts, surveys, complaints, receivables, groups."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Account, Complaint, ComplaintStatusChange, Contact, SatisfactionSurvey
from kam.conflicts import version_of
from tests.factories import AccountFactory, ComplaintFactory, ContactFactory, OrderFactory, make_credit_code


def _account_data(account, **overrides):
    data = {
        "name": account.name,
        "short_name": account.short_name,
        "credit_code": account.credit_code,
        "parent": "",
        "region": account.region_id or "",
        "industry": account.industry,
        "ownership_type": account.ownership_type,
        "channel": account.channel,
        "status": account.status,
        "registered_capital": "",
        "address": "",
        "version": version_of(account),
    }
    data.update(overrides)
    return data


def test_a_manager_creates_an_account_and_becomes_its_owner(client, world):
    client.force_login(world.manager)
    page = client.get(reverse("accounts:create"))
    assert "owner" not in page.context["form"].fields and "account_team" not in page.context["form"].fields
    code = make_credit_code()
    response = client.post(
        reverse("accounts:create"),
        {"name": "苏州新材料有限公司", "credit_code": code, "channel": "direct", "status": "prospect"},
    )
    account = Account.objects.get(credit_code=code)
    assert response["Location"] == reverse("accounts:detail", args=[account.pk])
    assert account.owner == world.manager


def test_the_owner_edits_the_profile_but_a_posted_owner_is_refused(client, world):
    client.force_login(world.manager)
    url = reverse("accounts:edit", args=[world.own_account.pk])
    response = client.post(url, _account_data(world.own_account, short_name="宏远", owner=world.teammate.pk))
    assert response.status_code == 200
    assert "You may not change “account manager”." in response.text
    world.own_account.refresh_from_db()
    assert world.own_account.short_name == "宏远机械" and world.own_account.owner == world.manager
    client.post(url, _account_data(world.own_account, short_name="宏远"))
    world.own_account.refresh_from_db()
    assert world.own_account.short_name == "宏远"


def test_a_teammate_sees_the_account_but_may_not_edit_it(client, world):
    client.force_login(world.teammate)
    assert client.get(reverse("accounts:detail", args=[world.own_account.pk])).status_code == 200
    assert client.get(reverse("accounts:edit", args=[world.own_account.pk])).status_code == 404


def test_a_director_reassigns_within_scope_and_not_outside_it(client, world):
    client.force_login(world.director)
    url = reverse("accounts:edit", args=[world.own_account.pk])
    outside = client.post(url, _account_data(world.own_account, owner=world.other_manager.pk))
    assert "owner" in outside.context["form"].errors
    client.post(
        url, _account_data(world.own_account, owner=world.teammate.pk, account_team=[world.manager.pk])
    )
    world.own_account.refresh_from_db()
    assert world.own_account.owner == world.teammate
    assert list(world.own_account.account_team.all()) == [world.manager]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "credit_code",
            "91310000000000001X",
            "The check character of this unified social credit code is wrong",
        ),
        ("name", "", "This field is required."),
        ("address", "x" * 1_000_000, "Ensure this value has at most 300 characters"),
    ],
)
def test_bad_account_input_is_refused_next_to_the_field(client, world, field, value, message):
    client.force_login(world.manager)
    response = client.post(
        reverse("accounts:edit", args=[world.own_account.pk]),
        _account_data(world.own_account, **{field: value}),
    )
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    world.own_account.refresh_from_db()
    assert world.own_account.name == "上海宏远机械制造有限公司"


def test_a_duplicate_credit_code_names_the_visible_holder_or_only_says_it_is_taken(client, world):
    mine = AccountFactory(owner=world.manager, region=world.east, name="上海另一家公司")
    client.force_login(world.manager)
    url = reverse("accounts:edit", args=[mine.pk])
    visible = client.post(url, _account_data(mine, credit_code=world.own_account.credit_code))
    assert "already used by 上海宏远机械制造有限公司" in visible.text
    hidden = client.post(url, _account_data(mine, credit_code=world.foreign_account.credit_code))
    assert "already used by another account" in hidden.text and world.foreign_account.name not in hidden.text


def test_the_parent_must_be_visible_and_must_not_make_a_cycle(client, world):
    child = AccountFactory(owner=world.manager, region=world.east, parent=world.own_account)
    client.force_login(world.manager)
    url = reverse("accounts:edit", args=[world.own_account.pk])
    foreign = client.post(url, _account_data(world.own_account, parent=world.foreign_account.credit_code))
    assert "No account you can see has this credit code." in foreign.text
    cycle = client.post(url, _account_data(world.own_account, parent=child.credit_code))
    assert "cannot be its own parent" in cycle.text
    world.own_account.refresh_from_db()
    assert world.own_account.parent_id is None


def test_two_people_saving_the_same_account_the_second_sees_a_conflict_and_overwrites_nothing(client, world):
    client.force_login(world.manager)
    url = reverse("accounts:edit", args=[world.own_account.pk])
    opened = _account_data(world.own_account)
    services.account_update(actor=world.director, account=world.own_account, short_name="宏远（总监改）")
    response = client.post(url, {**opened, "short_name": "宏远（经理改）"})
    assert response.status_code == 200
    assert "Someone else saved this record" in response.text
    assert "宏远（总监改）" in response.text and "宏远（经理改）" in response.text
    world.own_account.refresh_from_db()
    assert world.own_account.short_name == "宏远（总监改）"
    # Saving again, having seen both, replaces theirs knowingly.
    again = client.post(
        url, {**opened, "short_name": "宏远（经理改）", "version": response.context["form"].data["version"]}
    )
    assert again.status_code == 302
    world.own_account.refresh_from_db()
    assert world.own_account.short_name == "宏远（经理改）"


def test_an_account_save_reads_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.manager)
    with django_assert_max_num_queries(30):
        response = client.post(
            reverse("accounts:edit", args=[world.own_account.pk]),
            _account_data(world.own_account, short_name="宏远"),
        )
    assert response.status_code == 302


def _contact_data(**overrides):
    return {
        "name": "赵敏",
        "title": "财务经理",
        "mobile": "13812345678",
        "email": "zhao@example.com",
        **overrides,
    }


def test_a_contact_is_added_edited_and_deactivated_from_the_account_page(client, world):
    client.force_login(world.teammate)
    client.post(
        reverse("accounts:contact_create", args=[world.own_account.pk]),
        _contact_data(reports_to=world.own_contact.pk),
    )
    contact = Contact.objects.get(name="赵敏")
    assert contact.reports_to == world.own_contact
    page = client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    chart = [(item.name, depth) for item, depth in page.context["org_chart"]]
    assert chart == [("王建国", 0), ("赵敏", 1)]
    edit = reverse("accounts:contact_edit", args=[contact.pk])
    client.post(edit, {**_contact_data(department="财务部"), "version": version_of(contact)})
    contact.refresh_from_db()
    assert contact.department == "财务部"
    client.post(reverse("accounts:contact_set_active", args=[contact.pk]), {"active": "0"})
    contact.refresh_from_db()
    assert not contact.is_active


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile", "1381234", "A mobile number has 11 digits"),
        ("email", "zhao@", "Enter a valid email address."),
        (
            "birthday",
            (timezone.localdate() + timedelta(days=1)).isoformat(),
            "A birthday cannot be in the future.",
        ),
        ("notes", "x" * 1_000_000, "Ensure this value has at most 4000 characters"),
        ("wechat_id", "1abc", "A WeChat ID has 6 to 20"),
    ],
)
def test_bad_contact_input_is_refused_next_to_the_field(client, world, field, value, message):
    client.force_login(world.manager)
    response = client.post(
        reverse("accounts:contact_create", args=[world.own_account.pk]), _contact_data(**{field: value})
    )
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Contact.objects.filter(name="赵敏").exists()


def test_a_reporting_loop_is_refused(world):
    boss = ContactFactory(account=world.own_account, reports_to=world.own_contact)
    with pytest.raises(services.ValidationError) as error:
        services.contact_update(actor=world.manager, contact=world.own_contact, reports_to=boss)
    assert "reports_to" in error.value.message_dict


def test_a_survey_result_is_recorded_and_shows_in_the_score_history(client, world):
    client.force_login(world.manager)
    today = timezone.localdate()
    response = client.post(
        reverse("accounts:survey_create", args=[world.own_account.pk]) + "?next=/my-day/",
        {"contact": world.own_contact.pk, "answered_on": today.isoformat(), "score": "9", "comment": "满意"},
    )
    assert response["Location"] == "/my-day/"
    survey = SatisfactionSurvey.objects.get()
    assert (survey.sent_on, survey.answered_on, survey.score) == (today, today, 9)
    page = client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    assert [item.score for item in page.context["surveys"]] == [9]
    future = client.post(
        reverse("accounts:survey_create", args=[world.own_account.pk]),
        {"answered_on": (today + timedelta(days=2)).isoformat(), "score": "11"},
    )
    assert set(future.context["form"].errors) == {"answered_on", "score"}


def test_reopening_a_complaint_asks_for_a_reason_clears_the_resolution_and_is_in_the_history(world):
    complaint = ComplaintFactory(account=world.own_account)
    services.complaint_transition(
        actor=world.manager, complaint=complaint, to_status="resolved", resolution="补发货物"
    )
    with pytest.raises(services.ValidationError):
        services.complaint_transition(actor=world.manager, complaint=complaint, to_status="open")
    services.complaint_transition(
        actor=world.director, complaint=complaint, to_status="open", note="客户再次投诉"
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution, complaint.resolved_at) == ("open", "", None)
    steps = list(
        ComplaintStatusChange.objects.filter(complaint=complaint).values_list(
            "from_status", "to_status", "note", "changed_by"
        )
    )
    assert steps == [
        ("open", "resolved", "补发货物", world.manager.pk),
        ("resolved", "open", "客户再次投诉", world.director.pk),
    ]


def test_the_account_page_lists_open_complaints_first_with_deadlines_and_a_handler_can_be_assigned(
    client, world
):
    old_open = ComplaintFactory(account=world.own_account, received_at=timezone.now() - timedelta(days=5))
    closed = ComplaintFactory(account=world.own_account, received_at=timezone.now() - timedelta(hours=1))
    Complaint.objects.filter(pk=closed.pk).update(status="closed", resolved_at=timezone.now())
    client.force_login(world.manager)
    page = client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    assert [item.pk for item in page.context["complaints"]] == [old_open.pk, closed.pk]
    client.post(reverse("accounts:complaint_assign", args=[old_open.pk]), {"handler": world.teammate.pk})
    old_open.refresh_from_db()
    assert old_open.handler == world.teammate
    refused = client.post(
        reverse("accounts:complaint_assign", args=[old_open.pk]), {"handler": world.other_manager.pk}
    )
    assert refused.status_code == 302
    old_open.refresh_from_db()
    assert old_open.handler == world.teammate


def test_receivables_ageing_buckets_and_totals(client, world):
    today = timezone.localdate()
    for number, (days_overdue, amount) in enumerate([(-5, "100"), (10, "200"), (45, "300"), (120, "400")]):
        due = today - timedelta(days=days_overdue)
        OrderFactory(
            account=world.own_account,
            number=f"AR-{number}",
            amount=Decimal(amount),
            gross_profit=0,
            order_date=due - timedelta(days=40),
            invoice_date=due - timedelta(days=30),
            due_date=due,
        )
    OrderFactory(
        account=world.own_account,
        number="AR-PAID",
        invoice_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
        paid_date=today - timedelta(days=20),
    )
    client.force_login(world.manager)
    receivables = client.get(reverse("accounts:detail", args=[world.own_account.pk])).context["receivables"]
    amounts = {key: bucket["amount"] for key, bucket in receivables["buckets"].items()}
    assert amounts == {"not_yet_due": 100, "overdue_1_30": 200, "overdue_31_90": 300, "overdue_over_90": 400}
    assert receivables["total_amount"] == Decimal("1000") and receivables["overdue_amount"] == Decimal("900")


def test_all_orders_are_paginated(client, world):
    for number in range(55):
        OrderFactory(account=world.own_account, number=f"PG-{number:03d}")
    client.force_login(world.manager)
    first = client.get(reverse("accounts:orders", args=[world.own_account.pk]))
    second = client.get(reverse("accounts:orders", args=[world.own_account.pk]) + "?page=2")
    assert len(first.context["page"].object_list) == 50 and len(second.context["page"].object_list) == 5


def test_the_group_page_rolls_up_visible_subsidiaries_only(client, world):
    visible = AccountFactory(owner=world.manager, region=world.east, parent=world.own_account)
    hidden = AccountFactory(owner=world.other_manager, region=world.north, parent=world.own_account)
    OrderFactory(account=world.own_account, amount=Decimal("100"), gross_profit=Decimal("10"))
    OrderFactory(account=visible, amount=Decimal("50"), gross_profit=Decimal("5"))
    OrderFactory(account=hidden, amount=Decimal("1000"), gross_profit=Decimal("100"))
    ComplaintFactory(account=visible)
    client.force_login(world.manager)
    response = client.get(reverse("accounts:group", args=[world.own_account.pk]))
    assert {member.pk for member in response.context["members"]} == {world.own_account.pk, visible.pk}
    assert response.context["totals"]["revenue"] == Decimal("150")
    assert response.context["totals"]["open_complaints"] == 1
    assert hidden.name not in response.text
