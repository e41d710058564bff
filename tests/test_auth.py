import pytest
from django.urls import reverse

PASSWORD = "correct horse battery staple"


def test_login_rotates_the_session_key(client, world):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    response = client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key != before


def test_login_follows_a_safe_next(client, world):
    url = reverse("accounts:detail", args=[world.own_account.pk])
    response = client.post(
        reverse("login") + f"?next={url}", {"username": "manager", "password": PASSWORD, "next": url}
    )
    assert response["Location"] == url


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)"]
)
def test_login_ignores_an_unsafe_next(client, world, next_url):
    response = client.post(reverse("login"), {"username": "manager", "password": PASSWORD, "next": next_url})
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_a_message_and_does_not_log_in(client, world):
    response = client.post(reverse("login"), {"username": "manager", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, world):
    client.force_login(world.manager)
    client.post(reverse("logout"))
    response = client.get(reverse("accounts:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
