from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Interaction


@pytest.fixture
def manager_api(client, world):
    client.force_login(world.manager)
    return client


def interaction_payload(world, **overrides):
    payload = {
        "account": world.own_account.pk,
        "contacts": [world.own_contact.pk],
        "kind": "call",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "summary": "电话确认交货时间",
    }
    payload.update(overrides)
    return payload


def test_manager_logs_an_interaction_through_the_api(manager_api, world):
    response = manager_api.post(
        reverse("api:interaction-list"), interaction_payload(world), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    interaction = Interaction.objects.get()
    assert interaction.author == world.manager and interaction.account == world.own_account


def test_a_foreign_account_id_is_rejected_and_nothing_saved(manager_api, world):
    payload = interaction_payload(world, account=world.foreign_account.pk, contacts=[])
    response = manager_api.post(reverse("api:interaction-list"), payload, content_type="application/json")
    assert response.status_code == 400
    assert "account" in response.json()
    assert not Interaction.objects.exists()


def test_a_foreign_contact_id_is_rejected(manager_api, world):
    payload = interaction_payload(world, contacts=[world.foreign_contact.pk])
    response = manager_api.post(reverse("api:interaction-list"), payload, content_type="application/json")
    assert response.status_code == 400
    assert "contacts" in response.json()
    assert not Interaction.objects.exists()


def test_api_validation_errors_name_the_field(manager_api, world):
    payload = interaction_payload(world, occurred_at=(timezone.now() + timedelta(days=30)).isoformat())
    response = manager_api.post(reverse("api:interaction-list"), payload, content_type="application/json")
    assert response.status_code == 400
    assert "occurred_at" in response.json()


def test_api_account_search_uses_the_same_filters_as_the_list_page(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("api:account-list"), {"q": "华信"})
    assert [item["short_name"] for item in response.json()["results"]] == ["华信建设"]


def test_interactions_cannot_be_moved_to_another_account(client, world):
    client.force_login(world.admin)
    created = client.post(
        reverse("api:interaction-list"), interaction_payload(world), content_type="application/json"
    )
    url = reverse("api:interaction-detail", args=[created.json()["id"]])
    response = client.patch(url, {"account": world.foreign_account.pk}, content_type="application/json")
    assert response.status_code == 405
    assert Interaction.objects.get().account == world.own_account
