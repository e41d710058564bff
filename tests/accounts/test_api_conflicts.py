"""ETag / If-Match on the API: a change over someone else's newer save is refused with 412."""

from django.urls import reverse

from accounts import services


def test_patch_with_the_etag_read_saves_through_the_service_and_returns_the_new_etag(client, world):
    client.force_login(world.manager)
    url = reverse("api:account-detail", args=[world.own_account.pk])
    etag = client.get(url)["ETag"]
    response = client.patch(
        url, {"short_name": "宏远"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] != etag
    world.own_account.refresh_from_db()
    assert world.own_account.short_name == "宏远"


def test_patch_over_a_newer_save_is_412_and_writes_nothing(client, world):
    client.force_login(world.manager)
    url = reverse("api:account-detail", args=[world.own_account.pk])
    etag = client.get(url)["ETag"]
    services.account_update(actor=world.director, account=world.own_account, short_name="总监改的")
    response = client.patch(
        url, {"short_name": "经理改的"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert response.status_code == 412
    assert response.json()["current"]["short_name"] == "总监改的"
    world.own_account.refresh_from_db()
    assert world.own_account.short_name == "总监改的"


def test_patch_without_if_match_is_428(client, world):
    client.force_login(world.manager)
    url = reverse("api:contact-detail", args=[world.own_contact.pk])
    response = client.patch(url, {"title": "总经理"}, content_type="application/json")
    assert response.status_code == 428


def test_a_teammate_may_not_change_the_account_through_the_api_either(client, world):
    client.force_login(world.teammate)
    url = reverse("api:account-detail", args=[world.own_account.pk])
    etag = client.get(url)["ETag"]
    response = client.patch(
        url, {"short_name": "队友改的"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert response.status_code == 403
    world.own_account.refresh_from_db()
    assert world.own_account.short_name == "宏远机械"


def test_a_contact_patch_with_a_bad_mobile_is_400_next_to_the_field(client, world):
    client.force_login(world.teammate)
    url = reverse("api:contact-detail", args=[world.own_contact.pk])
    etag = client.get(url)["ETag"]
    response = client.patch(
        url, {"email": "wang@"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert response.status_code == 400 and "email" in response.json()
