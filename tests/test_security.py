"""Log-in and response hardening (issue 14 items 6, 8, 9): lockout by user and by client address,
``Cache-Control`` on everything dynamic, password reset by e-mail, two-factor sign-in for staff."""

import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple"
LIMIT = 5


@pytest.fixture(autouse=True)
def _lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def fail(client, path, username, times, **headers):
    for _ in range(times):
        client.post(path, {"username": username, "password": "wrong"}, **headers)


# --- Lockout (item 6) --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_user_out_even_with_the_right_one(client, world, path):
    fail(client, path, "admin", 12)
    response = client.post(path, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.text
    assert "_auth_user_id" not in client.session


def test_a_rotating_forwarded_for_does_not_escape_the_lockout(client, world):
    for attempt in range(12):
        client.post(
            "/login/",
            {"username": "manager", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
    response = client.post(
        "/login/", {"username": "manager", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 429


def test_one_address_trying_many_user_names_is_locked_out(client, world):
    for attempt in range(LIMIT):
        client.post("/login/", {"username": f"nobody{attempt}", "password": "wrong"})
    response = client.post("/login/", {"username": "director", "password": PASSWORD})
    assert response.status_code == 429


def test_the_client_address_comes_from_a_trusted_proxy_only(client, world, settings):
    """Behind a trusted proxy, clients are told apart by the address it forwards (one client's
    failures do not lock out another); a client cannot pick its address by sending the header."""
    settings.KAM_TRUSTED_PROXIES = ["127.0.0.1/32"]
    for attempt in range(LIMIT):
        client.post(
            "/login/",
            {"username": f"nobody{attempt}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    other_client = client.post(
        "/login/", {"username": "director", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert other_client.status_code == 302
    client.logout()
    # Spoofed entries left of what the proxy saw change nothing: 203.0.113.9 is still locked out.
    spoofed = client.post(
        "/login/", {"username": "manager", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9"
    )
    assert spoofed.status_code == 429


def test_a_successful_log_in_below_the_limit_resets_the_count(client, world):
    fail(client, "/login/", "manager", LIMIT - 1)
    assert client.post("/login/", {"username": "manager", "password": PASSWORD}).status_code == 302
    client.logout()
    fail(client, "/login/", "manager", LIMIT - 1)
    assert client.post("/login/", {"username": "manager", "password": PASSWORD}).status_code == 302


def test_the_lockout_applies_to_every_authenticate_call_with_a_request(world):
    """The API token endpoint (DRF's AuthTokenSerializer and the like) calls authenticate() with the
    request: the lockout sits in the authentication backends, so it holds there too."""
    from rest_framework.authtoken.serializers import AuthTokenSerializer
    from rest_framework.test import APIRequestFactory

    def token_request(password):
        request = APIRequestFactory().post("/api/token/", {"username": "manager", "password": password})
        serializer = AuthTokenSerializer(
            data={"username": "manager", "password": password}, context={"request": request}
        )
        return serializer.is_valid(), request

    for _ in range(LIMIT):
        assert token_request("wrong")[0] is False
    valid, request = token_request(PASSWORD)
    assert valid is False
    assert getattr(request, "axes_locked_out", False)
    assert authenticate(RequestFactory().post("/api/token/"), username="manager", password=PASSWORD) is None


# --- Cache-Control (item 8) --------------------------------------------------------------------------


def test_authenticated_pages_api_and_exports_are_never_stored(client, world):
    client.force_login(world.admin)
    urls = [
        reverse("accounts:list"),
        reverse("accounts:detail", args=[world.own_account.pk]),
        reverse("accounts:list_export", args=["csv"]),
        reverse("accounts:list_export", args=["xlsx"]),
        reverse("api:account-list"),
        reverse("service_tiers:my_day"),
        reverse("segmentation:dashboard"),
        "/admin/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, url


def test_static_files_keep_their_cache(client, db):
    response = client.get("/static/kam/kam.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"] and "max-age" in response["Cache-Control"]


# --- Password reset (item 9) -------------------------------------------------------------------------


def reset_link(message) -> str:
    return re.search(r"https?://[^/]+(/password-reset/[^/]+/[^/]+/)", message.body).group(1)


def test_password_reset_answers_the_same_whether_or_not_the_address_exists(client, world):
    known = client.post(reverse("password_reset"), {"email": world.manager.email})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.manager.email]
    assert client.get(reverse("password_reset_done")).status_code == 200


def test_a_reset_link_sets_a_new_password_once(client, world):
    client.post(reverse("password_reset"), {"email": world.manager.email})
    link = reset_link(mail.outbox[0])
    form_url = client.get(link)["Location"]  # Django moves the token into the session
    response = client.post(
        form_url, {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    )
    assert response["Location"] == reverse("password_reset_complete")
    world.manager.refresh_from_db()
    assert world.manager.check_password("a brand new passphrase")
    client.cookies.clear()
    assert "This link no longer works" in client.get(link, follow=True).text


@pytest.mark.parametrize("change", ["deactivated", "password changed"])
def test_a_reset_link_dies_when_the_user_is_deactivated_or_changes_password(client, world, change):
    client.post(reverse("password_reset"), {"email": world.manager.email})
    link = reset_link(mail.outbox[0])
    if change == "deactivated":
        world.manager.is_active = False
    else:
        world.manager.set_password("changed elsewhere meanwhile")
    world.manager.save()
    response = client.get(link, follow=True)
    assert "This link no longer works" in response.text


def test_the_login_page_offers_the_reset(client, db):
    assert reverse("password_reset") in client.get(reverse("login")).text


# --- Two-factor sign-in for staff (item 9) -----------------------------------------------------------


def code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def log_in(client, username):
    return client.post("/login/", {"username": username, "password": PASSWORD})


def test_staff_with_a_device_must_enter_a_code_before_any_page(client, world):
    device = TOTPDevice.objects.create(user=world.admin, name="KAM", confirmed=True)
    log_in(client, "admin")
    for url in ("/admin/", reverse("accounts:list"), reverse("api:account-list")):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("two_factor_verify"))
    response = client.post(reverse("two_factor_verify"), {"token": code(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused(client, world):
    device = TOTPDevice.objects.create(user=world.admin, name="KAM", confirmed=True)
    log_in(client, "admin")
    wrong = "111111" if code(device) == "000000" else "000000"
    response = client.post(reverse("two_factor_verify"), {"token": wrong})
    assert "That code is not valid" in response.text
    assert client.get("/admin/").status_code == 302


def test_staff_without_a_device_sign_in_with_the_password_unless_required(client, world, settings):
    log_in(client, "admin")
    assert client.get("/admin/").status_code == 200
    settings.KAM_STAFF_2FA_REQUIRED = True
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_setup"))


def test_required_two_factor_is_set_up_with_a_code_and_then_asked_at_each_log_in(client, world, settings):
    settings.KAM_STAFF_2FA_REQUIRED = True
    log_in(client, "admin")
    assert client.get(reverse("two_factor_setup")).status_code == 200
    assert not TOTPDevice.objects.exists()  # a GET writes nothing
    client.post(reverse("two_factor_setup"), {"action": "start"})
    device = TOTPDevice.objects.get(user=world.admin, confirmed=False)
    page = client.get(reverse("two_factor_setup"))
    assert "<svg" in page.text and "otp-secret" in page.text
    response = client.post(
        reverse("two_factor_setup"), {"action": "confirm", "token": code(device), "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    client.logout()
    log_in(client, "admin")
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_verify"))


def test_non_staff_are_never_asked_for_a_code(client, world, settings):
    settings.KAM_STAFF_2FA_REQUIRED = True
    log_in(client, "manager")
    assert client.get(reverse("accounts:list")).status_code == 200
    assert client.get(reverse("two_factor_setup")).status_code == 403
