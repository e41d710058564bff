"""Saved segments: an account-list filter under a name, private or shared; what each person sees in it
follows the visibility rule. Also the list's new filters (grade, value, behaviour, needs)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from segmentation.models import AccountSegment, NeedTag, RfmSegment, SavedSegment
from segmentation.selectors import saved_segment_counts, saved_segments_for
from segmentation.services import account_needs_set, saved_segment_create
from tests.factories import AccountFactory
from tests.segmentation.conftest import snapshot

PERIOD = datetime.date(2026, 10, 1)


def segment_row(account, value, rfm_code, period=PERIOD):
    return AccountSegment.objects.create(
        period=period,
        account=account,
        value_segment=value,
        last_order_on=datetime.date(2026, 9, 1),
        orders=3,
        recency_score=3,
        frequency_score=3,
        monetary_score=3,
        rfm_segment=RfmSegment.objects.get(code=rfm_code),
    )


@pytest.fixture
def segmented(world):
    east_low = AccountFactory(name="华东低价值客户", owner=world.manager, region=world.east)
    segment_row(world.own_account, "high", "champions")
    segment_row(world.foreign_account, "high", "loyal")
    segment_row(east_low, "low", "hibernating")
    segment_row(east_low, "high", "champions", period=datetime.date(2026, 9, 1))  # an older month
    snapshot(world.own_account, PERIOD, "A", "80.00", "1000.00")
    snapshot(world.foreign_account, PERIOD, "B", "70.00", "1000.00")
    snapshot(east_low, PERIOD, "C", "40.00", "10.00")
    return east_low


def listed(client, user, query):
    client.force_login(user)
    response = client.get(reverse("accounts:list"), query)
    assert response.status_code == 200
    return {account.pk for account in response.context["page"].object_list}


def test_the_account_list_filters_by_the_latest_months_segments_grade_and_needs(client, world, segmented):
    assert listed(client, world.admin, {"value_segment": "high"}) == {
        world.own_account.pk,
        world.foreign_account.pk,
    }
    assert listed(client, world.manager, {"value_segment": "high"}) == {world.own_account.pk}
    assert listed(client, world.admin, {"value_segment": "low"}) == {segmented.pk}
    champions = RfmSegment.objects.get(code="champions").pk
    assert listed(client, world.admin, {"behaviour": champions}) == {world.own_account.pk}
    assert listed(client, world.admin, {"grade": "C"}) == {segmented.pk}
    price = NeedTag.objects.get(code="price_sensitive")
    account_needs_set(actor=world.other_manager, account_id=world.foreign_account.pk, tag_ids=[price.pk])
    assert listed(client, world.admin, {"need": price.pk}) == {world.foreign_account.pk}
    assert listed(client, world.director, {"need": price.pk}) == set()


def test_a_segment_shared_with_a_team_opens_for_the_team_with_each_ones_accounts(client, world, segmented):
    team = world.manager.kam_teams.get()
    segment = saved_segment_create(
        actor=world.manager,
        name="华东高价值",
        query={"value_segment": ["high"], "page": ["3"]},
        sharing="team",
        team=team,
    )
    assert segment.query == {"value_segment": ["high"]}  # only the list's own filters are kept
    client.force_login(world.teammate)
    response = client.get(reverse("segmentation:saved_segment_open", args=[segment.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:list") + "?value_segment=high"
    assert listed(client, world.teammate, {"value_segment": "high"}) == {world.own_account.pk}

    client.force_login(world.other_manager)
    assert client.get(reverse("segmentation:saved_segment_open", args=[segment.pk])).status_code == 404
    assert segment not in saved_segments_for(user=world.other_manager)
    assert segment in saved_segments_for(user=world.director)  # directs the team

    assert saved_segment_counts(user=world.teammate, segments=[segment]) == {segment.pk: 1}
    assert saved_segment_counts(user=world.admin, segments=[segment]) == {segment.pk: 2}


def test_a_private_segment_is_only_its_owners(world, segmented):
    segment = saved_segment_create(actor=world.manager, name="我的", query={"grade": ["A"]})
    assert segment in saved_segments_for(user=world.manager)
    assert segment not in saved_segments_for(user=world.teammate)
    assert segment not in saved_segments_for(user=world.director)


def test_a_segment_shared_with_a_region_reaches_its_director_and_teams(world, segmented):
    segment = saved_segment_create(
        actor=world.other_director, name="华北", query={"grade": ["B"]}, sharing="region", region=world.north
    )
    assert segment in saved_segments_for(user=world.other_manager)  # member of a North team
    assert segment not in saved_segments_for(user=world.manager)
    assert saved_segment_counts(user=world.other_manager, segments=[segment]) == {segment.pk: 1}
    assert saved_segment_counts(user=world.director, segments=[segment]) == {segment.pk: 0}


def test_nobody_shares_with_a_team_or_region_they_are_not_in(world):
    with pytest.raises(ValidationError) as error:
        saved_segment_create(
            actor=world.other_manager, name="越权", query={}, sharing="region", region=world.east
        )
    assert "region" in error.value.message_dict
    with pytest.raises(ValidationError):
        saved_segment_create(
            actor=world.other_manager,
            name="越权",
            query={},
            sharing="team",
            team=world.manager.kam_teams.get(),
        )
    assert not SavedSegment.objects.exists()


def test_saving_from_the_list_and_the_export_follow_the_visibility_rule(client, world, segmented):
    client.force_login(world.manager)
    page = client.get(reverse("accounts:list"), {"value_segment": "high"})
    assert 'name="segment-query" value="value_segment=high"' in page.content.decode()
    response = client.post(
        reverse("segmentation:saved_segments"),
        {
            "segment-name": "高价值",
            "segment-sharing": "team",
            "segment-team": world.manager.kam_teams.get().pk,
            "segment-query": "value_segment=high",
        },
    )
    assert response.status_code == 302
    segment = SavedSegment.objects.get(name="高价值")
    client.force_login(world.director)
    saved = client.get(reverse("segmentation:saved_segments"))
    assert "高价值" in saved.content.decode()
    export = client.get(
        reverse("segmentation:saved_segment_open", args=[segment.pk]), {"export": "csv"}, follow=True
    )
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert world.own_account.name in text
    assert world.foreign_account.name not in text


def test_the_same_name_twice_is_refused_next_to_the_field(client, world):
    saved_segment_create(actor=world.manager, name="A 类", query={"grade": ["A"]})
    client.force_login(world.manager)
    response = client.post(
        reverse("segmentation:saved_segments"),
        {"segment-name": "A 类", "segment-sharing": "private", "segment-query": ""},
    )
    assert response.status_code == 200
    assert "You already have a segment with this name." in response.content.decode()
    assert SavedSegment.objects.count() == 1


def test_only_the_owner_deletes_a_shared_segment(client, world):
    segment = saved_segment_create(
        actor=world.manager, name="共享", query={}, sharing="team", team=world.manager.kam_teams.get()
    )
    client.force_login(world.teammate)
    client.post(reverse("segmentation:saved_segment_delete", args=[segment.pk]))
    assert SavedSegment.objects.filter(pk=segment.pk).exists()
    client.force_login(world.manager)
    client.post(reverse("segmentation:saved_segment_delete", args=[segment.pk]))
    assert not SavedSegment.objects.filter(pk=segment.pk).exists()
