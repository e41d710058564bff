"""The audit trail records every write, whatever the path: who, when, which path and what changed."""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import Account, Interaction
from audit.context import audit_context
from audit.models import AccountEvent, AccountTeamEvent, ContactEvent, InteractionEvent, UserRoleEvent
from audit.selectors import account_history
from tests.factories import UserFactory


def _local_minute(delta=timedelta(hours=-1)):
    return (timezone.localtime() + delta).strftime("%Y-%m-%dT%H:%M")


def test_a_visit_logged_on_the_account_page_is_recorded_with_its_author_and_the_web_path(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("accounts:interaction_create", args=[world.own_account.pk]),
        {"kind": "visit", "occurred_at": _local_minute(), "summary": "拜访采购部"},
    )
    assert response.status_code == 302
    event = InteractionEvent.objects.select_related("pgh_context").get()
    assert event.pgh_label == "insert" and event.summary == "拜访采购部"
    assert event.pgh_context.metadata["user"] == world.manager.pk
    assert event.pgh_context.metadata["path"] == "web"
    assert event.pgh_context.metadata["url"].endswith("/interactions/new/")


def test_an_api_write_is_recorded_with_the_api_path(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("api:interaction-list"),
        {
            "account": world.own_account.pk,
            "kind": "call",
            "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "summary": "电话确认交货时间",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    context = InteractionEvent.objects.get().pgh_context.metadata
    assert context["path"] == "api" and context["user"] == world.manager.pk


def test_an_admin_save_is_recorded_with_the_admin_path_and_what_changed(client, world):
    client.force_login(world.admin)
    url = reverse("admin:accounts_contact_change", args=[world.own_contact.pk])
    page = client.get(url)
    data = {
        **{
            name: value for name, value in page.context["adminform"].form.initial.items() if value is not None
        },
        "account": world.own_account.pk,
        "title": "总经理",
    }
    data = {key: value for key, value in data.items() if not isinstance(value, list | tuple)}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    update = ContactEvent.objects.filter(pgh_label="update").select_related("pgh_context").get()
    assert update.title == "总经理"
    assert update.pgh_context.metadata["path"] == "admin"
    assert update.pgh_context.metadata["user"] == world.admin.pk


def test_a_set_based_import_write_is_recorded_with_the_context_it_ran_in(world):
    # An import updates many rows in one statement: no model signal fires, the trigger sees every row.
    with audit_context(actor=world.admin, path="import", source="customers.xlsx"):
        updated = Account.objects.filter(pk__in=[world.own_account.pk, world.foreign_account.pk]).update(
            status=Account.Status.DORMANT
        )
    assert updated == 2
    events = AccountEvent.objects.filter(pgh_label="update").select_related("pgh_context")
    assert {event.pgh_obj_id for event in events} == {world.own_account.pk, world.foreign_account.pk}
    assert all(event.status == "dormant" for event in events)
    assert {event.pgh_context.metadata["path"] for event in events} == {"import"}
    assert {event.pgh_context.metadata["source"] for event in events} == {"customers.xlsx"}


def test_a_save_that_changes_nothing_but_the_timestamp_records_nothing(world):
    before = AccountEvent.objects.count()
    world.own_account.save()
    assert AccountEvent.objects.count() == before


def test_account_team_and_role_changes_are_recorded(world):
    newcomer = UserFactory(username="newcomer")
    with audit_context(actor=world.admin, path="command"):
        world.own_account.account_team.add(newcomer)
        newcomer.groups.add(Group.objects.get_or_create(name=roles.SALES_DIRECTOR)[0])
        world.own_account.account_team.remove(newcomer)
    assert list(
        AccountTeamEvent.objects.filter(user=newcomer).order_by("pgh_id").values_list("pgh_label", flat=True)
    ) == [
        "team.add",
        "team.remove",
    ]
    role = UserRoleEvent.objects.get(user=newcomer)
    assert role.pgh_label == "role.add" and role.group.name == roles.SALES_DIRECTOR


def test_account_history_lists_changes_to_the_account_and_its_children_with_before_and_after(world):
    with audit_context(actor=world.director, path="web"):
        world.own_account.status = Account.Status.DORMANT
        world.own_account.save()
        world.own_contact.title = "副总经理"
        world.own_contact.save()
    Interaction.objects.create(
        account=world.foreign_account,
        kind="call",
        occurred_at=timezone.now(),
        author=world.other_manager,
        summary="别人的客户",
    )
    history = account_history(account=world.own_account)
    latest, account_change = history[0], history[1]
    assert latest.model_label == "contact" and latest.actor == world.director
    assert [(change.before, change.after) for change in latest.changes] == [("采购总监", "副总经理")]
    assert account_change.model_label == "account" and account_change.path == "web"
    assert [(change.before, change.after) for change in account_change.changes] == [("active", "dormant")]
    assert all(entry.data.get("summary") != "别人的客户" for entry in history)


def test_the_history_tab_shows_who_changed_what_to_those_who_see_the_account(client, world):
    with audit_context(actor=world.manager, path="web"):
        world.own_contact.title = "副总经理"
        world.own_contact.save()
    client.force_login(world.director)
    response = client.get(reverse("accounts:history", args=[world.own_account.pk]))
    assert response.status_code == 200
    assert "采购总监" in response.text and "副总经理" in response.text and "manager" in response.text
    client.force_login(world.other_director)
    assert client.get(reverse("accounts:history", args=[world.own_account.pk])).status_code == 404


def test_the_history_tab_reads_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    with audit_context(actor=world.manager, path="web"):
        for number in range(20):
            world.own_contact.title = f"职位{number}"
            world.own_contact.save()
    client.force_login(world.manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:history", args=[world.own_account.pk]))
    assert "职位19" in response.text
