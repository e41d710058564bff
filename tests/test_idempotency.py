"""Double submit: the same create POST twice saves once, and the second answer shows the saved record."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Complaint, Interaction
from kam.idempotency import FIELD_NAME


def _token(html: str, action: str) -> str:
    form = re.search(rf'action="{re.escape(action)}".*?</form>', html, re.S).group(0)
    return re.search(rf'name="{FIELD_NAME}" value="([0-9a-f-]+)"', form).group(1)


def _visit(token, **overrides):
    when = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return {"kind": "visit", "occurred_at": when, "summary": "拜访采购部", FIELD_NAME: token, **overrides}


def test_the_same_visit_posted_twice_is_saved_once_and_the_retry_shows_it(client, world):
    client.force_login(world.manager)
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    token = _token(client.get(reverse("accounts:detail", args=[world.own_account.pk])).text, url)
    first = client.post(url, _visit(token))
    second = client.post(url, _visit(token), follow=True)
    assert Interaction.objects.count() == 1
    assert first["Location"] == second.redirect_chain[0][0]
    assert "This was already saved." in second.text and "拜访采购部" in second.text


def test_a_form_sent_back_with_errors_keeps_its_token_and_the_correction_saves_once(client, world):
    client.force_login(world.manager)
    url = reverse("accounts:complaint_create", args=[world.own_account.pk])
    token = _token(client.get(reverse("accounts:detail", args=[world.own_account.pk])).text, url)
    received = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"received_at": received, "channel": "phone", "category": "delivery", "severity": "high"}
    invalid = client.post(url, {**data, "description": "", FIELD_NAME: token})
    assert invalid.status_code == 200 and _token(invalid.text, url) == token
    for _attempt in range(2):
        client.post(url, {**data, "description": "交货延迟", FIELD_NAME: token})
    assert Complaint.objects.count() == 1


def test_after_a_save_the_fresh_form_carries_a_new_token(client, world):
    client.force_login(world.manager)
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    token = _token(client.get(reverse("accounts:detail", args=[world.own_account.pk])).text, url)
    response = client.post(url, _visit(token), headers={"HX-Request": "true"})
    fresh = _token(response.text, url)
    assert fresh != token
    client.post(url, _visit(fresh, summary="第二次拜访"), headers={"HX-Request": "true"})
    assert Interaction.objects.count() == 2


def test_another_users_token_is_never_replayed_to_them(client, world):
    client.force_login(world.manager)
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    token = _token(client.get(reverse("accounts:detail", args=[world.own_account.pk])).text, url)
    client.post(url, _visit(token))
    client.force_login(world.teammate)
    response = client.post(url, _visit(token, summary="队友的拜访"))
    assert response.status_code == 302
    assert set(Interaction.objects.values_list("summary", flat=True)) == {"拜访采购部", "队友的拜访"}


@pytest.mark.django_db(transaction=True)
def test_a_double_tap_two_requests_at_once_saves_once(world):
    url = reverse("accounts:interaction_create", args=[world.own_account.pk])
    token = "6f1c1f0e-9a43-4c0c-9d0e-3c1b8a6c2f10"
    barrier, answers = threading.Barrier(2), []

    def tap():
        try:
            client = Client()
            client.force_login(world.manager)
            barrier.wait()
            answers.append(client.post(url, _visit(token)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert Interaction.objects.count() == 1
