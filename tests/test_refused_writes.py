"""A refused request writes nothing: no write before the permission check.

Generated from ``ROUTES`` in tests/test_url_matrix.py (which fails when a URL of the URL conf is missing
from it) and from the admin registry. Every URL is sent every state-changing method by users who must
be refused (anonymous; a user who may not see the target; any user with a method the view does not
take); whatever the refusal (redirect to login, 400, 403, 404, 405), every table of the database is
byte for byte what it was.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import RequestFactory
from django.urls import get_resolver, reverse

from kam.visibility import is_account_data
from tests.factories import ComplaintFactory, InteractionFactory, OrderFactory, SatisfactionSurveyFactory
from tests.test_url_matrix import ROUTES, SEES_TARGET, _url_names

METHODS = ("post", "put", "patch", "delete")
# 428: a PATCH or PUT without If-Match (kam/api_conflicts.py) is refused before anything is read or written.
REFUSED = {302, 400, 403, 404, 405, 428}
# Rows a refused request may leave: the session of the test client's login.
IGNORED_TABLES = {"django_session"}


def database_digest() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
        tables = [name for (name,) in cursor.fetchall() if name not in IGNORED_TABLES]
        rows = "md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), ''))"
        cursor.execute(
            " UNION ALL ".join(f'SELECT %s, count(*), {rows} FROM "{table}" t' for table in tables),  # noqa: S608 -- names from pg_tables
            tables,
        )
        digest = {table: (count, rows_digest) for table, count, rows_digest in cursor.fetchall()}
    return digest


def _changed(before, after):
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


def _refused(route, role, method) -> bool:
    """Whether this request must be refused (and so must not write): anonymous always; a user who may
    not see the target always; anyone with PUT, PATCH or DELETE, which no page or API action takes."""
    if role == "anonymous" or (route.kind == "object" and role not in SEES_TARGET):
        return True
    return method != "post"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_refused_request_writes_nothing(client, world, name):
    route = ROUTES[name]
    url = route.url(world)  # creates what the URL points at, before the digest
    data = route.data(world)
    for role in ("anonymous", "other_manager", "manager"):
        client.logout()
        if role != "anonymous":
            client.force_login(getattr(world, role))
        for method in METHODS:
            if route.kind == "public" or not _refused(route, role, method):
                continue
            before = database_digest()
            if method == "post":
                response = client.post(url, data)
            else:
                response = getattr(client, method)(url, data, content_type="application/json")
            assert response.status_code in REFUSED, (role, method, response.status_code)
            assert not _changed(before, database_digest()), (role, method, response.status_code)


def test_every_url_and_every_admin_of_account_data_is_covered():
    """The cases are generated from ROUTES and the admin registry; nothing of the URL conf is left out."""
    names = set(_url_names(get_resolver().url_patterns))
    assert names == set(ROUTES), sorted(names ^ set(ROUTES))
    registered = {model for model in admin.site._registry if is_account_data(model)}
    assert registered == {model_admin.model for model_admin in ACCOUNT_DATA_ADMINS}


@pytest.fixture
def staff(world):
    world.director.is_staff = True
    world.director.save(update_fields=["is_staff"])
    world.director.user_permissions.set(Permission.objects.all())
    return world.director


def _alert(world):
    from django.utils import timezone

    from service_tiers.models import Alert

    return Alert.objects.create(
        rule=Alert.Rule.INVOICE_OVERDUE,
        account=world.foreign_account,
        dedup_key=f"invoice_overdue:{world.foreign_account.pk}",
        due_on=timezone.localdate(),
        responsible=world.other_manager,
        opened_at=timezone.now(),
    )


def _rating(world):
    from django.utils import timezone

    from scoring.models import AccountRating

    return AccountRating.objects.create(
        account=world.foreign_account,
        kind=AccountRating.Kind.values[0],
        value=3,
        rated_on=timezone.localdate(),
        rated_by=world.other_manager,
    )


def _foreign_object(model_admin, world):
    """A record of this admin's model that the East director may not see."""
    request = RequestFactory().get("/admin/")
    request.user = world.director
    visible = model_admin.get_queryset(request).values("pk")
    return model_admin.model._default_manager.exclude(pk__in=visible).first()


def _foreign_records():
    """How to make a North record of the models the world has none of."""
    import datetime

    from django.utils import timezone

    from scoring.models import AccountRating, AccountRatingChange, GradeOverride, GradeSnapshot, ScoringModel
    from service_tiers.models import Alert

    today = timezone.localdate()
    return {
        Alert: _alert,
        AccountRating: _rating,
        AccountRatingChange: lambda w: AccountRatingChange.objects.create(
            account=w.foreign_account,
            kind="relationship",
            new_value=3,
            rated_on=today,
            changed_by=w.other_manager,
        ),
        GradeOverride: lambda w: GradeOverride.objects.create(
            account=w.foreign_account,
            grade="A",
            reason="战略客户",
            expires_on=today + datetime.timedelta(days=30),
            author=w.other_director,
        ),
        GradeSnapshot: lambda w: GradeSnapshot.objects.create(
            account=w.foreign_account,
            period=today.replace(day=1),
            scoring_model=ScoringModel.objects.get(status=ScoringModel.Status.ACTIVE),
            total=80,
            computed_grade="A",
            grade="A",
            computed_at=timezone.now(),
        ),
    }


ACCOUNT_DATA_ADMINS = sorted(
    (model_admin for model, model_admin in admin.site._registry.items() if is_account_data(model)),
    key=lambda model_admin: model_admin.model._meta.label,
)


@pytest.mark.parametrize(
    "model_admin",
    ACCOUNT_DATA_ADMINS,
    ids=[model_admin.model._meta.label for model_admin in ACCOUNT_DATA_ADMINS],
)
def test_admin_changes_and_deletes_of_an_invisible_record_write_nothing(client, world, staff, model_admin):
    for factory in (ComplaintFactory, InteractionFactory, OrderFactory, SatisfactionSurveyFactory):
        factory(account=world.foreign_account)
    foreign = _foreign_records().get(model_admin.model, lambda world: _foreign_object(model_admin, world))(
        world
    )
    assert foreign is not None, (
        f"Say in _foreign_records how to make a {model_admin.model._meta.label} of North"
    )
    info = model_admin.model._meta.app_label, model_admin.model._meta.model_name
    client.force_login(staff)
    for url in (
        reverse(f"admin:{info[0]}_{info[1]}_change", args=[foreign.pk]),
        reverse(f"admin:{info[0]}_{info[1]}_delete", args=[foreign.pk]),
    ):
        before = database_digest()
        response = client.post(url, {"post": "yes", "name": "改名"})
        assert response.status_code in REFUSED
        assert not _changed(before, database_digest()), url
