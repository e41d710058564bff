"""The read-replica path (kam/replica.py), with a second database alias ("replica", a test mirror)."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from kam.replica import ReplicaRouter, replica_reading

# The second alias, as DATABASE_REPLICA_URL adds it, here a test mirror of the test database; added when
# this module is collected, before the test databases are set up. The router uses it only while
# DATABASE_REPLICA_URL is set (the ``replica`` fixture), so the other tests never touch it.
connections.settings.setdefault(
    "replica", {**connections.settings["default"], "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
)


@pytest.fixture
def replica(settings):
    settings.DATABASE_REPLICA_URL = "postgres://replica.example/kam"  # only its being set matters here
    return connections["replica"]


def test_without_a_replica_every_query_goes_to_the_primary(settings):
    settings.DATABASE_REPLICA_URL = ""
    with replica_reading():
        assert ReplicaRouter().db_for_read(Account) is None


def test_outside_a_marked_view_every_query_goes_to_the_primary(replica):
    assert ReplicaRouter().db_for_read(Account) is None  # Django's default


def test_marked_reads_go_to_the_replica_until_something_is_written(replica):
    router = ReplicaRouter()
    with replica_reading():
        assert router.db_for_read(Account) == "replica"
        assert router.db_for_write(Account) == "default"
        assert router.db_for_read(Account) is None  # read after the write: the primary
    assert router.db_for_read(Account) is None


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_the_dashboard_reads_from_the_replica_and_writes_stay_on_the_primary(replica, client, world):
    client.force_login(world.director)
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        page = client.get(reverse("segmentation:dashboard"))
    assert page.status_code == 200
    assert any("accounts_account" in query["sql"] for query in on_replica.captured_queries)
    assert all("accounts_account" not in query["sql"] for query in on_primary.captured_queries)
    assert any("django_session" in query["sql"] for query in on_primary.captured_queries)  # the login
    # A page that writes (a visit logged) stays on the primary.
    with CaptureQueriesContext(replica) as on_replica:
        client.force_login(world.manager)
        response = client.post(
            reverse("accounts:interaction_create", args=[world.own_account.pk]),
            {"kind": "visit", "occurred_at": "2026-01-05T10:00", "summary": "拜访"},
        )
    assert response.status_code in (200, 302)
    assert on_replica.captured_queries == []
