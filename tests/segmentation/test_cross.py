"""The directors' cross table: classification × grade × segments, with counts, revenue and drill-down,
within what the director may see.

Period 2026-10 (the latest graded month):
  own_account      East, manager        A  high   champions  revenue 1,000.00
  east_second      East, manager        A  low    loyal      revenue   200.50
  east_unsegmented East, manager        B  —      —          revenue     0.00 (graded on ratings only)
  foreign_account  North, other_manager A  high   champions  revenue 5,000.00
"""

import datetime

import pytest
from django.urls import reverse

from segmentation.models import RfmSegment
from tests.factories import AccountFactory
from tests.segmentation.conftest import snapshot
from tests.segmentation.test_saved_segments import segment_row

PERIOD = datetime.date(2026, 10, 1)


@pytest.fixture
def crossed(world):
    east_second = AccountFactory(name="华东第二", owner=world.manager, region=world.east)
    east_unsegmented = AccountFactory(name="华东未细分", owner=world.manager, region=world.east)
    snapshot(world.own_account, PERIOD, "A", "80.00", "1000.00")
    snapshot(east_second, PERIOD, "A", "76.00", "200.50")
    snapshot(east_unsegmented, PERIOD, "B", "61.00", "0.00")
    snapshot(world.foreign_account, PERIOD, "A", "90.00", "5000.00")
    segment_row(world.own_account, "high", "champions")
    segment_row(east_second, "low", "loyal")
    segment_row(world.foreign_account, "high", "champions")
    return east_second


def cross(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("segmentation:cross"), query)
    assert response.status_code == 200
    return response.context["table"], response.content.decode()


def cell(table, row, column):
    for table_row in table["rows"]:
        if table_row["key"] == row:
            for table_cell in table_row["cells"]:
                if table_cell["key"] == column:
                    return table_cell["accounts"], str(table_cell["revenue"])
    return 0, "0"


def test_grade_by_value_segment_for_a_director_counts_only_their_accounts(client, world, crossed):
    table, text = cross(client, world.director, rows="grade", columns="value_segment")
    assert cell(table, "A", "high") == (1, "1000.00")
    assert cell(table, "A", "low") == (1, "200.50")
    assert cell(table, "B", "") == (1, "0.00")  # no segment: no order in 24 months
    assert table["accounts"] == 3
    assert str(table["revenue"]) == "1200.50"
    assert f'href="{reverse("accounts:list")}?grade=A&amp;value_segment=high"' in text


def test_an_administrator_sees_every_account_and_the_drill_down_lists_them(client, world, crossed):
    table, _text = cross(client, world.admin, rows="grade", columns="value_segment")
    assert cell(table, "A", "high") == (2, "6000.00")
    client.force_login(world.director)
    listed = client.get(reverse("accounts:list"), {"grade": "A", "value_segment": "high"})
    assert [account.pk for account in listed.context["page"].object_list] == [world.own_account.pk]


def test_behaviour_by_region_with_the_dashboard_filters(client, world, crossed):
    champions = str(RfmSegment.objects.get(code="champions").pk)
    table, text = cross(client, world.admin, rows="behaviour", columns="region")
    assert cell(table, champions, str(world.east.pk)) == (1, "1000.00")
    assert cell(table, champions, str(world.north.pk)) == (1, "5000.00")
    table, text = cross(client, world.admin, rows="behaviour", columns="region", region=world.north.pk)
    assert table["accounts"] == 1
    assert f"region={world.north.pk}" in text  # the drill-down keeps the dashboard's region


def test_an_older_month_has_no_drill_down_links(client, world, crossed):
    snapshot(world.own_account, datetime.date(2026, 9, 1), "B", "70.00", "900.00")
    table, text = cross(client, world.admin, rows="grade", columns="industry", period="2026-09")
    assert cell(table, "B", "manufacturing") == (1, "900.00")
    assert "?grade=B" not in text


def test_the_dashboard_counts_saved_segments_and_links_the_cross_table(client, world, crossed):
    from segmentation.services import saved_segment_create

    saved_segment_create(
        actor=world.director, name="A 类高价值", query={"grade": ["A"], "value_segment": ["high"]}
    )
    client.force_login(world.director)
    response = client.get(reverse("segmentation:dashboard"))
    text = response.content.decode()
    assert "A 类高价值" in text
    assert 'data-testid="dashboard-segment-count">1 account<' in text
    assert reverse("segmentation:cross") in text
