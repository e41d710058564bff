"""Cross-sell: what similar accounts (same industry) buy and this one does not, ranked by lift, by hand.

Orders from 2025-10-01 to today (2026-10-15); 10 buyers with an industry:
  manufacturing m1…m6, retail r1…r4.
  工业设备  all 10                     → everyone has it: never suggested
  维保服务  m1…m5, r1 (6 of 10)        → m6: 5 of 5 peers buy it; lift (5/6) / (6/10) = 1.39
  备品备件  m1…m5, r1…r4 (9 of 10)     → m6: lift (5/6) / (9/10) = 0.93;
                                         retail r2…r4 would need 5 retail buyers of 维保服务: only 1
m6 also bought 维保服务 on 2025-09-30 (before the 12 months: does not count) and an order without a
product line. An account without an industry is nobody's peer.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account
from segmentation.crosssell import cross_sell_refresh
from segmentation.models import CrossSellRefresh, CrossSellSuggestion
from tests.factories import AccountFactory, OrderFactory

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI)
ON = datetime.date(2026, 6, 1)


@pytest.fixture
def buyers(world):
    with time_machine.travel(NOW, tick=False):
        manufacturing = [world.own_account] + [
            AccountFactory(name=f"制造{n}", owner=world.manager, region=world.east) for n in range(2, 7)
        ]
        retail = [world.foreign_account] + [
            AccountFactory(
                name=f"零售{n}",
                owner=world.other_manager,
                region=world.north,
                industry=Account.Industry.RETAIL,
            )
            for n in range(2, 5)
        ]
        Account.objects.filter(pk=world.foreign_account.pk).update(industry=Account.Industry.RETAIL)
        no_industry = AccountFactory(name="无行业", industry="")
        for account in [*manufacturing, *retail, no_industry]:
            OrderFactory(account=account, order_date=ON, product_line="工业设备")
        for account in [*manufacturing[:5], retail[0], no_industry]:
            OrderFactory(account=account, order_date=ON, product_line="维保服务")
        for account in [*manufacturing[:5], *retail]:
            OrderFactory(account=account, order_date=ON, product_line="备品备件")
        m6 = manufacturing[5]
        OrderFactory(account=m6, order_date=datetime.date(2025, 9, 30), product_line="维保服务")
        OrderFactory(account=m6, order_date=ON, product_line="")
        yield manufacturing, retail


def test_suggestions_by_hand(buyers):
    manufacturing, retail = buyers
    with time_machine.travel(NOW, tick=False):
        refresh = cross_sell_refresh()
    m6 = manufacturing[5]
    rows = list(
        CrossSellSuggestion.objects.order_by("account_id", "rank").values_list(
            "account_id", "product_line", "rank", "peers", "peers_buying", "lift"
        )
    )
    assert rows == [
        (m6.pk, "维保服务", 1, 5, 5, Decimal("1.39")),
        (m6.pk, "备品备件", 2, 5, 5, Decimal("0.93")),
    ]
    assert refresh.suggestions == 2
    assert CrossSellRefresh.objects.count() == 1


def test_a_rebuild_replaces_the_suggestions(buyers):
    manufacturing, _retail = buyers
    with time_machine.travel(NOW, tick=False):
        cross_sell_refresh()
        OrderFactory(account=manufacturing[5], order_date=ON, product_line="维保服务")
        cross_sell_refresh()
    assert list(CrossSellSuggestion.objects.values_list("product_line", "rank")) == [("备品备件", 1)]


def test_the_account_page_explains_the_suggestion(client, world, buyers):
    manufacturing, _retail = buyers
    with time_machine.travel(NOW, tick=False):
        cross_sell_refresh()
    client.force_login(world.manager)
    text = client.get(reverse("accounts:detail", args=[manufacturing[5].pk])).content.decode()
    assert "5 of 5 similar accounts buy 维保服务; this account does not." in text
    assert "lift 1.39" in text
    assert "the other accounts of the same industry that ordered in the last 12 months" in text


def test_the_list_shows_each_scope_its_own_suggestions_and_exports(client, world, buyers):
    manufacturing, _retail = buyers
    with time_machine.travel(NOW, tick=False):
        cross_sell_refresh()
    client.force_login(world.other_manager)
    response = client.get(reverse("segmentation:cross_sell"))
    assert response.context["page"].paginator.count == 0
    client.force_login(world.director)
    response = client.get(reverse("segmentation:cross_sell"))
    assert [s.product_line for s in response.context["page"].object_list] == ["维保服务", "备品备件"]
    export = client.get(reverse("segmentation:cross_sell"), {"export": "csv"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "制造6" in text and "维保服务" in text and "1.39" in text


def test_the_nightly_task_runs_on_a_real_worker(celery_worker_queue, buyers):
    from segmentation.tasks import cross_sell_refresh_task

    result = cross_sell_refresh_task.apply_async(queue=celery_worker_queue)
    assert result.get(timeout=60)["suggestions"] >= 0
    assert CrossSellRefresh.objects.exists()
