"""The account page's segments panel: latest value and behaviour segment, needs set by the manager."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from segmentation.models import AccountNeed, AccountSegment, NeedTag, RfmSegment
from segmentation.services import account_needs_set
from tests.factories import InteractionFactory
from tests.segmentation.conftest import snapshot

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def segment(world):
    snapshot(world.own_account, datetime.date(2026, 10, 1), "A", "80.00", "600000.00", "123456.00")
    for when in (
        datetime.datetime(2025, 10, 1, 0, 0, tzinfo=SHANGHAI),  # first moment of the 12 months
        datetime.datetime(2026, 9, 30, 23, 59, tzinfo=SHANGHAI),
        datetime.datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI),  # in the period itself: not counted
        datetime.datetime(2025, 9, 30, 23, 59, tzinfo=SHANGHAI),  # before
    ):
        InteractionFactory(account=world.own_account, occurred_at=when)
    return AccountSegment.objects.create(
        period=datetime.date(2026, 10, 1),
        account=world.own_account,
        profit_share_before=Decimal("42.5000"),
        value_segment="high",
        last_order_on=datetime.date(2026, 9, 20),
        orders=7,
        recency_score=5,
        frequency_score=4,
        monetary_score=5,
        rfm_segment=RfmSegment.objects.get(code="champions"),
    )


def test_the_account_page_shows_the_latest_segments_and_needs(client, world, segment):
    AccountSegment.objects.create(  # an older month does not show
        **{
            **{f.attname: getattr(segment, f.attname) for f in AccountSegment._meta.concrete_fields},
            "period": datetime.date(2026, 9, 1),
            "value_segment": "low",
        }
    )
    account_needs_set(
        actor=world.manager,
        account_id=world.own_account.pk,
        tag_ids=[NeedTag.objects.get(code="price_sensitive").pk],
    )
    client.force_login(world.manager)
    response = client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    text = response.content.decode()
    assert "High value" in text and "Low value" not in text
    assert "Champions" in text
    assert "recency 5 · frequency 4 · monetary 5 (of 5)" in text
    assert "7 orders in 12 months, last on 2026-09-20" in text
    assert "2 interactions in 12 months" in text
    assert (
        "¥123,456 gross profit in 12 months; the accounts ahead of it make 42.5 % of all gross profit."
        in text
    )
    assert 'value="{}" checked'.format(NeedTag.objects.get(code="price_sensitive").pk) in text


def test_the_panel_speaks_chinese(client, world, segment):
    client.force_login(world.manager)
    response = client.get(
        reverse("accounts:detail", args=[world.own_account.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = response.content.decode()
    assert "冠军客户" in text and "高价值" in text


def test_a_manager_ticks_needs_and_who_set_them_is_kept(client, world):
    quality, price = NeedTag.objects.get(code="quality_focused"), NeedTag.objects.get(code="price_sensitive")
    client.force_login(world.manager)
    url = reverse("segmentation:account_needs", args=[world.own_account.pk])
    response = client.post(url, {"tags": [quality.pk, price.pk]})
    assert response.status_code == 302
    assert set(AccountNeed.objects.filter(account=world.own_account).values_list("tag__code", "set_by")) == {
        ("quality_focused", world.manager.pk),
        ("price_sensitive", world.manager.pk),
    }
    client.force_login(world.teammate)
    client.post(url, {"tags": [price.pk]}, HTTP_HX_REQUEST="true")
    needs = list(AccountNeed.objects.filter(account=world.own_account))
    assert [(n.tag_id, n.set_by_id) for n in needs] == [(price.pk, world.manager.pk)]  # kept, not re-set


def test_a_retired_tag_cannot_be_added_and_nothing_is_saved(client, world):
    retired = NeedTag.objects.create(code="old", label_en="Old", label_zh_hans="旧", is_active=False)
    quality = NeedTag.objects.get(code="quality_focused")
    client.force_login(world.manager)
    response = client.post(
        reverse("segmentation:account_needs", args=[world.own_account.pk]),
        {"tags": [quality.pk, retired.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert "Choose needs from the list." in response.content.decode()
    assert not AccountNeed.objects.filter(account=world.own_account).exists()


def test_another_managers_account_needs_are_a_404(client, world):
    client.force_login(world.other_manager)
    response = client.post(
        reverse("segmentation:account_needs", args=[world.own_account.pk]),
        {"tags": [NeedTag.objects.first().pk]},
    )
    assert response.status_code == 404
    assert not AccountNeed.objects.exists()


def test_the_account_page_query_count_does_not_grow_with_needs(
    client, world, segment, django_assert_max_num_queries
):
    client.force_login(world.manager)
    url = reverse("accounts:detail", args=[world.own_account.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    account_needs_set(
        actor=world.manager,
        account_id=world.own_account.pk,
        tag_ids=NeedTag.objects.values_list("pk", flat=True),
    )
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)
