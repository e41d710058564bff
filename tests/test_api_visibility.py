"""The API never names, offers or confirms a record the user may not see (kam/visibility.py).

Generated from the router: every registered endpoint, every related filter and every related field is
checked, so an endpoint added later is covered without a new test.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.models import Account
from kam.api import router
from kam.limits import MAX_LIST_ITEMS
from kam.visibility import (
    VisibleChoicesMixin,
    VisibleFilterBackend,
    VisibleModelSerializer,
    VisibleRelatedField,
    is_account_data,
    visible_queryset,
)
from tests.factories import AccountFactory, ComplaintFactory, ContactFactory, InteractionFactory

ENDPOINTS = [(prefix, viewset) for prefix, viewset, _basename in router.registry]
MISSING_ID = 987_654_321


def _request(user, path="/api/"):
    request = APIRequestFactory().get(path)
    force_authenticate(request, user=user)
    return request


def _view(viewset, user):
    view = viewset()
    view.action_map, view.args, view.kwargs, view.format_kwarg = {"get": "list"}, (), {}, None
    view.request = view.initialize_request(_request(user))
    return view


@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[prefix for prefix, _ in ENDPOINTS])
def test_every_endpoint_is_built_on_the_visibility_mechanism(prefix, viewset):
    assert issubclass(viewset.serializer_class, VisibleModelSerializer), prefix
    backends = getattr(viewset, "filter_backends", [])
    assert backends and all(issubclass(backend, VisibleFilterBackend) for backend in backends), prefix


@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[prefix for prefix, _ in ENDPOINTS])
def test_every_related_filter_offers_only_visible_records(world, prefix, viewset):
    view = _view(viewset, world.manager)
    queryset = view.get_queryset()
    for backend in view.filter_backends:
        filterset = backend().get_filterset(view.request, queryset, view)
        if filterset is None:
            continue
        for name, filter_ in filterset.filters.items():
            field = filterset.form.fields[name]
            if not hasattr(field, "queryset"):
                continue
            assert isinstance(filter_, VisibleChoicesMixin), f"{prefix}?{name}"
            offered = set(field.queryset.values_list("pk", flat=True))
            allowed = set(visible_queryset(field.queryset.model, world.manager).values_list("pk", flat=True))
            assert offered <= allowed, f"{prefix}?{name} offers records the manager may not see"
            if field.queryset.model is Account:
                assert world.foreign_account.pk not in offered


@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[prefix for prefix, _ in ENDPOINTS])
def test_every_related_field_on_account_data_is_visibility_aware(world, prefix, viewset):
    serializer = viewset.serializer_class(context={"request": _request(world.manager)})
    for name, field in serializer.fields.items():
        relation = field.child_relation if isinstance(field, ManyRelatedField) else field
        if isinstance(relation, RelatedField) and not isinstance(relation, VisibleRelatedField):
            model = serializer.Meta.model._meta.get_field(field.source).related_model
            assert not is_account_data(model), f"{prefix}.{name}"


@pytest.mark.parametrize("url_name", ["api:contact-list", "api:interaction-list", "api:complaint-list"])
def test_an_invisible_account_id_in_a_filter_answers_like_a_missing_one(client, world, url_name):
    client.force_login(world.manager)
    parameter = "account"
    invisible = client.get(reverse(url_name), {parameter: world.foreign_account.pk})
    missing = client.get(reverse(url_name), {parameter: MISSING_ID})
    assert invisible.status_code == missing.status_code == 400
    assert invisible.json() == missing.json()
    own = client.get(reverse(url_name), {parameter: world.own_account.pk})
    assert own.status_code == 200


def test_the_browsable_api_is_off_without_debug(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("api:contact-list"), HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/json"
    assert world.foreign_account.name not in response.content.decode()


def test_an_invisible_parent_account_is_not_named(client, world):
    parent = world.foreign_account
    child = AccountFactory(owner=world.manager, region=world.east, parent=parent)
    client.force_login(world.manager)
    assert client.get(reverse("api:account-detail", args=[child.pk])).json()["parent"] is None
    listed = {
        item["id"]: item["parent"] for item in client.get(reverse("api:account-list")).json()["results"]
    }
    assert listed[child.pk] is None

    client.force_login(world.admin)
    assert client.get(reverse("api:account-detail", args=[child.pk])).json()["parent"] == parent.pk


def test_a_visible_parent_is_named(client, world):
    child = AccountFactory(owner=world.manager, region=world.east, parent=world.own_account)
    client.force_login(world.manager)
    assert client.get(reverse("api:account-detail", args=[child.pk])).json()["parent"] == world.own_account.pk


def test_invisible_contacts_of_a_visible_record_are_not_named(client, world):
    """Data imported before the rule held: a complaint or visit of a visible account that names a contact
    of another account."""
    complaint = ComplaintFactory(account=world.own_account, contact=world.foreign_contact)
    interaction = InteractionFactory(account=world.own_account)
    interaction.contacts.set([world.own_contact, world.foreign_contact])
    client.force_login(world.manager)
    assert client.get(reverse("api:complaint-detail", args=[complaint.pk])).json()["contact"] is None
    shown = client.get(reverse("api:interaction-detail", args=[interaction.pk])).json()["contacts"]
    assert shown == [world.own_contact.pk]


def test_related_ids_cost_one_query_per_field_not_one_per_row(client, world, django_assert_max_num_queries):
    parent = AccountFactory(owner=world.other_manager, region=world.north)
    for _ in range(20):
        AccountFactory(owner=world.manager, region=world.east, parent=parent)
    client.force_login(world.manager)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("api:account-list"))
    assert len(response.json()["results"]) == 21
    assert {item["parent"] for item in response.json()["results"]} == {None}


def test_the_owner_filter_finds_a_visible_owners_accounts(client, world):
    client.force_login(world.director)
    response = client.get(reverse("api:account-list"), {"owner": world.manager.pk})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [world.own_account.pk]


def test_the_owner_filter_answers_alike_for_an_invisible_and_a_missing_owner(client, world):
    client.force_login(world.director)
    invisible = client.get(reverse("api:account-list"), {"owner": world.other_manager.pk})
    missing = client.get(reverse("api:account-list"), {"owner": MISSING_ID})
    assert invisible.status_code == missing.status_code == 400
    assert invisible.json() == missing.json()


def test_people_are_those_of_the_visible_accounts_and_of_ones_own_teams(world):
    users = set(visible_queryset(get_user_model(), world.director).values_list("username", flat=True))
    assert users == {"director", "manager", "teammate"}
    users = set(visible_queryset(get_user_model(), world.other_manager).values_list("username", flat=True))
    assert users == {"other_manager", "other_director"}  # their own team's director
    assert visible_queryset(get_user_model(), world.admin).count() == get_user_model().objects.count()


def test_a_list_of_ids_is_bounded(client, world):
    client.force_login(world.manager)
    contacts = [world.own_contact.pk] * (MAX_LIST_ITEMS + 1)
    response = client.post(
        reverse("api:interaction-list"),
        {
            "account": world.own_account.pk,
            "contacts": contacts,
            "kind": "call",
            "occurred_at": "2026-01-05T10:00:00+08:00",
            "summary": "电话",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert str(MAX_LIST_ITEMS) in response.json()["contacts"][0]


def test_a_list_of_ids_is_checked_in_one_query(client, world, django_assert_max_num_queries):
    contacts = [ContactFactory(account=world.own_account).pk for _ in range(MAX_LIST_ITEMS)]
    client.force_login(world.manager)
    payload = {
        "account": world.own_account.pk,
        "kind": "call",
        "occurred_at": "2026-01-05T10:00:00+08:00",
        "summary": "电话",
    }
    # The same number of queries for 1 contact and for 50: the ids are looked up together.
    with django_assert_max_num_queries(40) as one:
        response = client.post(
            reverse("api:interaction-list"),
            {**payload, "contacts": contacts[:1]},
            content_type="application/json",
        )
    assert response.status_code == 201, response.json()
    with django_assert_max_num_queries(len(one.captured_queries)) as fifty:
        response = client.post(
            reverse("api:interaction-list"),
            {**payload, "contacts": contacts},
            content_type="application/json",
        )
    assert response.status_code == 201, response.json()
    assert len(fifty.captured_queries) == len(one.captured_queries)
    invisible = client.post(
        reverse("api:interaction-list"),
        {**payload, "contacts": [*contacts[:3], world.foreign_contact.pk]},
        content_type="application/json",
    )
    missing = client.post(
        reverse("api:interaction-list"),
        {**payload, "contacts": [*contacts[:3], MISSING_ID]},
        content_type="application/json",
    )
    assert invisible.status_code == missing.status_code == 400
    assert invisible.json()["contacts"][0].replace(str(world.foreign_contact.pk), "X") == missing.json()[
        "contacts"
    ][0].replace(str(MISSING_ID), "X")
