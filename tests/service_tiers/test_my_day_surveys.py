"""A survey due on My day is recorded from there, and the next one moves."""

import datetime

from django.urls import reverse

from tests.factories import SatisfactionSurveyFactory
from tests.service_tiers.conftest import snapshot

D = datetime.date


def test_a_survey_due_on_my_day_is_recorded_from_there_and_leaves_the_list(client, world, freeze):
    freeze(2026, 9, 21)
    snapshot(world.own_account, D(2026, 9, 1), "A")
    SatisfactionSurveyFactory(account=world.own_account, sent_on=D(2026, 6, 22))  # A: next due 22 Sep
    client.force_login(world.manager)
    link = reverse("accounts:survey_create", args=[world.own_account.pk]) + "?next=/my-day/%23my-surveys"
    assert link in client.get(reverse("service_tiers:my_day")).text
    response = client.post(link, {"contact": world.own_contact.pk, "answered_on": "2026-09-21", "score": "8"})
    assert response["Location"] == "/my-day/#my-surveys"
    assert link not in client.get(reverse("service_tiers:my_day")).text
