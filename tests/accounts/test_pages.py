"""The account manager's first journey, through Django's test client (the browser version lives in
tests/e2e)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Complaint, Interaction
from tests.factories import AccountFactory, ComplaintFactory, InteractionFactory, OrderFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def manager_client(client, world):
    client.force_login(world.manager)
    return client


def visit_data(world, **overrides):
    data = {
        "kind": "visit",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contacts": [world.own_contact.pk],
        "summary": "拜访王总，确认续约意向",
        "outcome": "对方同意下周报价",
        "next_step": "发送报价单",
        "next_step_due": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    data.update(overrides)
    return data


def test_account_list_shows_only_visible_accounts(manager_client, world):
    response = manager_client.get(reverse("accounts:list"))
    assert response.status_code == 200
    assert "上海宏远机械制造有限公司" in response.text
    assert "北京华信建设集团有限公司" not in response.text


@pytest.mark.parametrize("query", ["宏远", "宏远机械", "91310000", "上海宏远"])
def test_account_list_searches_name_short_name_and_credit_code(client, world, query):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:list"), {"q": query})
    assert "上海宏远机械制造有限公司" in response.text
    if query != "91310000":
        assert "北京华信建设集团有限公司" not in response.text


def test_account_list_filters_and_sorts(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:list"), {"region": world.north.pk})
    assert "华信建设" in response.text and "宏远机械" not in response.text
    response = client.get(reverse("accounts:list"), {"sort": "-name"})
    names = [account.name for account in response.context["page"].object_list]
    assert names == ["上海宏远机械制造有限公司", "北京华信建设集团有限公司"]  # pinyin: shang… before bei…


def test_owner_filter_offers_only_visible_managers(manager_client, world):
    response = manager_client.get(reverse("accounts:list"))
    owners = list(response.context["filter"].form.fields["owner"].queryset)
    assert owners == [world.manager]
    response = manager_client.get(reverse("accounts:list"), {"owner": world.other_manager.pk})
    assert "华信建设" not in response.text


def test_account_list_paginates(client, world):
    AccountFactory.create_batch(30, owner=world.manager, region=world.east)
    client.force_login(world.manager)
    first = client.get(reverse("accounts:list"))
    second = client.get(reverse("accounts:list"), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 6


def test_htmx_search_returns_only_the_results_fragment(manager_client, world):
    response = manager_client.get(
        reverse("accounts:list"), {"q": "宏远"}, HTTP_HX_TARGET="account-results", **HTMX
    )
    assert response.text.lstrip().startswith('<div id="account-results">')
    assert "<html" not in response.text
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_account_page_shows_profile_contacts_timeline_complaints_and_orders(manager_client, world):
    InteractionFactory(account=world.own_account, summary="上周电话沟通交期")
    ComplaintFactory(account=world.own_account, description="包装破损")
    OrderFactory(account=world.own_account, number="SO-2026-0001")
    response = manager_client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    assert response.status_code == 200
    for text in ["上海宏远机械制造有限公司", "王建国", "上周电话沟通交期", "包装破损", "SO-2026-0001"]:
        assert text in response.text


def test_account_page_query_count_does_not_grow_with_data(
    manager_client, world, django_assert_max_num_queries
):
    url = reverse("accounts:detail", args=[world.own_account.pk])
    InteractionFactory.create_batch(3, account=world.own_account)
    # Profile, contacts, timeline, complaints, orders, grade panel, service plan, segments, outlook,
    # cross-sell and account plan: a fixed set.
    with django_assert_max_num_queries(42) as few:
        manager_client.get(url)
    InteractionFactory.create_batch(30, account=world.own_account)
    ComplaintFactory.create_batch(10, account=world.own_account)
    OrderFactory.create_batch(15, account=world.own_account)
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(url)


def test_account_list_query_count_does_not_grow_with_data(
    manager_client, world, django_assert_max_num_queries
):
    # The list, its filter choices (segments and needs included) and the save-segment form: a fixed set.
    with django_assert_max_num_queries(18) as few:
        manager_client.get(reverse("accounts:list"))
    AccountFactory.create_batch(20, owner=world.manager, region=world.east)
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_client.get(reverse("accounts:list"))


def test_parent_and_subsidiaries_are_named_only_when_visible(manager_client, world):
    world.own_account.parent = world.foreign_account
    world.own_account.save()
    response = manager_client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    assert "华信建设" not in response.text


def test_logging_a_visit_with_htmx_returns_the_refreshed_timeline(manager_client, world):
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    response = manager_client.post(url, visit_data(world), **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="activity"')
    assert "拜访王总，确认续约意向" in response.text
    interaction = Interaction.objects.get()
    assert interaction.author == world.manager
    assert list(interaction.contacts.all()) == [world.own_contact]


def test_logging_a_visit_without_javascript_redirects_to_the_account(manager_client, world):
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    response = manager_client.post(url, visit_data(world), follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/accounts/{world.own_account.pk}/#activity")
    assert "拜访王总，确认续约意向" in response.text
    assert "Interaction logged." in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"summary": "   "}, "summary", "Write what happened"),
        ({"occurred_at": "2024-02-30T10:00"}, "occurred_at", "Enter a valid date/time."),
        ({"occurred_at": "2099-01-01T10:00"}, "occurred_at", "too far in the future"),
        ({"next_step": "", "next_step_due": "2030-01-01"}, "next_step", "Say what the next step is"),
        ({"next_step_due": "2020-01-01"}, "next_step_due", "cannot be due before"),
        ({"kind": "telepathy"}, "kind", "Select a valid choice."),
    ],
    ids=[
        "empty-summary",
        "february-30",
        "far-future",
        "due-without-step",
        "due-before-visit",
        "unknown-kind",
    ],
)
def test_bad_visit_input_shows_a_message_next_to_the_field_and_saves_nothing(
    manager_client, world, overrides, field, message
):
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    response = manager_client.post(url, visit_data(world, **overrides), **HTMX)
    assert response.status_code == 200
    assert field in response.context["interaction_form"].errors
    assert message in response.text
    assert f'data-field="{field}"' in response.text
    assert not Interaction.objects.exists()


def test_contact_of_another_account_is_refused_in_the_form(manager_client, world):
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    response = manager_client.post(url, visit_data(world, contacts=[world.foreign_contact.pk]), **HTMX)
    assert "Choose contacts of this account only." in response.text
    assert not Interaction.objects.exists()


def test_errors_are_shown_in_simplified_chinese(manager_client, world):
    manager_client.post(reverse("set_language"), {"language": "zh-hans"})
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    response = manager_client.post(url, visit_data(world, occurred_at="2024-02-30T10:00"), **HTMX)
    assert "输入一个有效的日期/时间。" in response.text
    assert not Interaction.objects.exists()


def test_invalid_form_without_javascript_renders_the_whole_page_with_errors(manager_client, world):
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    response = manager_client.post(url, visit_data(world, summary=""))
    assert response.status_code == 200
    assert "<html" in response.text and "Write what happened" in response.text


def test_opening_a_complaint_inline(manager_client, world):
    url = reverse("accounts:complaint_create", args=[world.own_account.pk])
    data = {
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact": world.own_contact.pk,
        "channel": "phone",
        "category": "delivery",
        "severity": "high",
        "description": "货物延迟五天到达",
    }
    response = manager_client.post(url, data, **HTMX)
    assert response.text.lstrip().startswith('<section id="complaints"')
    assert "货物延迟五天到达" in response.text
    complaint = Complaint.objects.get()
    assert complaint.created_by == world.manager and complaint.status == Complaint.Status.OPEN


def test_complaint_with_a_foreign_contact_is_refused(manager_client, world):
    url = reverse("accounts:complaint_create", args=[world.own_account.pk])
    data = {
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact": world.foreign_contact.pk,
        "channel": "phone",
        "category": "delivery",
        "severity": "high",
        "description": "货物延迟",
    }
    response = manager_client.post(url, data, **HTMX)
    assert "Choose a contact of this account." in response.text
    assert not Complaint.objects.exists()


def test_resolving_a_complaint_from_the_account_page(manager_client, world):
    complaint = ComplaintFactory(account=world.own_account)
    url = reverse("accounts:complaint_transition", args=[complaint.pk])
    response = manager_client.post(url, {"status": "resolved", "resolution": "补发货物"}, **HTMX)
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.resolution == "补发货物"


def test_an_invalid_complaint_transition_is_explained_and_changes_nothing(manager_client, world):
    complaint = ComplaintFactory(account=world.own_account)
    url = reverse("accounts:complaint_transition", args=[complaint.pk])
    response = manager_client.post(url, {"status": "closed"}, follow=True)
    assert "cannot become" in response.text
    complaint.refresh_from_db()
    assert complaint.status == "open"


def test_foreign_account_is_not_found_for_every_account_page(manager_client, world):
    foreign = world.foreign_account.pk
    complaint = ComplaintFactory(account=world.foreign_account)
    assert manager_client.get(reverse("accounts:detail", args=[foreign])).status_code == 404
    assert (
        manager_client.post(
            reverse("accounts:interaction_create", args=[foreign]), visit_data(world)
        ).status_code
        == 404
    )
    assert manager_client.post(reverse("accounts:complaint_create", args=[foreign]), {}).status_code == 404
    url = reverse("accounts:complaint_transition", args=[complaint.pk])
    assert manager_client.post(url, {"status": "in_progress"}).status_code == 404
    assert not Interaction.objects.exists()


def test_quick_log_link_opens_the_page_with_the_visit_form_open(manager_client, world):
    response = manager_client.get(reverse("accounts:interaction_create", args=[world.own_account.pk]))
    assert response.status_code == 200
    assert "<html" in response.text
    assert response.context["open_panel"] == "activity"
    assert '<details open class="kam-form-panel">' in response.text


def test_list_count_and_owner_choices_are_reused_not_recomputed(manager_client, world):
    manager_client.get(reverse("accounts:list"))
    with CaptureQueriesContext(connection) as second:
        manager_client.get(reverse("accounts:list"), {"page": 1})
    account_counts = [
        q["sql"]
        for q in second.captured_queries
        if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "accounts_account"')
    ]
    assert not account_counts
    per_owner = [
        q["sql"] for q in second.captured_queries if 'GROUP BY "accounts_account"."owner_id"' in q["sql"]
    ]
    assert not per_owner


def test_cached_figures_are_per_user(client, world):
    client.force_login(world.manager)
    client.get(reverse("accounts:list"))
    client.force_login(world.admin)
    response = client.get(reverse("accounts:list"))
    assert response.context["page"].paginator.count == 2
    assert set(response.context["filter"].form.fields["owner"].queryset) == {
        world.manager,
        world.other_manager,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("宏", {"宏远机械"}),  # one character: no bigram, plain scan
        ("远机", {"宏远机械"}),  # two characters from the middle of the legal name
        ("华信建设", {"华信建设"}),  # the short name
        ("集团有限", {"华信建设"}),
        ("机华", set()),  # both characters occur, but not next to each other
        ("hongyuan", {"宏远机械"}),  # pinyin (accounts/pinyin.py)
    ],
)
def test_search_finds_any_part_of_a_name(client, world, query, expected):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:list"), {"q": query})
    assert {account.short_name for account in response.context["page"].object_list} == expected


def test_search_on_a_latin_short_name_ignores_case(client, world):
    AccountFactory(name="ABB（中国）有限公司", short_name="ABB China", owner=world.manager, region=world.east)
    client.force_login(world.manager)
    response = client.get(reverse("accounts:list"), {"q": "abb ch"})
    assert [account.short_name for account in response.context["page"].object_list] == ["ABB China"]


def test_unfiltered_total_comes_from_the_per_owner_counts_without_a_count_query(manager_client, world):
    AccountFactory.create_batch(3, owner=world.other_manager, region=world.east)  # visible to nobody here
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(reverse("accounts:list"))
    assert response.context["page"].paginator.count == 1
    assert not [
        q for q in queries.captured_queries if 'COUNT(*) AS "__count" FROM "accounts_account"' in q["sql"]
    ]
    filtered = manager_client.get(reverse("accounts:list"), {"q": "没有这个客户"})
    assert filtered.context["page"].paginator.count == 0
