"""The account list (issue 15, items 6–9): grade, revenue, last visit and next due columns with their
filter, sorts and export; pinyin sort and search; one search box that also finds contacts; filter
choices limited to what the user may see."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountNameKey
from accounts.pinyin import name_pinyin, pinyin_keys_fill
from scoring.models import GradeSnapshot, ScoringModel
from tests.factories import AccountFactory, ContactFactory, InteractionFactory, RegionFactory

LIST = reverse("accounts:list")


def names(response):
    return [account.name for account in response.context["page"].object_list]


@pytest.fixture
def cities(world):
    """Five accounts whose code-point order (上 < 伦 < 南 < 厦 < 合) is not their pinyin order."""
    for name, short in [
        ("上海华锦智能装备有限公司", "华锦智能"),
        ("伦敦贸易有限公司", ""),
        ("南京天邦文化传播有限公司", "天邦文化"),
        ("厦门海运物流有限公司", "海运物流"),
        ("合肥启恒精密机械有限公司", "启恒精密"),
    ]:
        AccountFactory(name=name, short_name=short, owner=world.manager, region=world.east)
    return world


def test_name_a_to_z_sorts_chinese_names_by_pinyin(client, cities):
    client.force_login(cities.manager)
    response = client.get(LIST, {"sort": "name"})
    assert names(response) == [
        "合肥启恒精密机械有限公司",  # hefei
        "伦敦贸易有限公司",  # lundun
        "南京天邦文化传播有限公司",  # nanjing
        "上海宏远机械制造有限公司",  # shanghai hongyuan
        "上海华锦智能装备有限公司",  # shanghai huajin
        "厦门海运物流有限公司",  # xiamen (not shamen)
    ]


@pytest.mark.parametrize("query", ["huajin", "HuaJin", "hj", "hjzn", "shanghaihuajin"])
def test_search_finds_a_name_by_its_pinyin_or_initials(client, cities, query):
    client.force_login(cities.manager)
    response = client.get(LIST, {"q": query})
    assert "上海华锦智能装备有限公司" in names(response)
    assert "南京天邦文化传播有限公司" not in names(response)
    assert "found by pinyin" in response.text


def test_a_renamed_account_gets_new_pinyin_keys(cities):
    account = Account.objects.get(name="伦敦贸易有限公司")
    account.name = "重庆长安贸易有限公司"
    account.save()
    assert AccountNameKey.objects.get(account=account).name_pinyin.startswith("chongqing")


def test_accounts_written_in_bulk_get_their_keys_filled(world):
    Account.objects.bulk_create(
        [Account(name="西安大唐贸易有限公司", owner=world.manager, region=world.east)]
    )
    assert pinyin_keys_fill() == 1
    assert AccountNameKey.objects.get(account__name="西安大唐贸易有限公司").name_pinyin == name_pinyin(
        "西安大唐贸易有限公司"
    )


@pytest.mark.parametrize("query", ["王建", "13800138000", "138 0013 8000", "wang.jg@hongyuan"])
def test_one_search_box_finds_contacts_and_says_which_account_they_are_at(client, world, query):
    ContactFactory(
        account=world.own_account, name="王建华", phone="13800138000", email="wang.jg@hongyuan.example"
    )
    ContactFactory(
        account=world.foreign_account, name="王建军", phone="13800138000", email="wang.jg@hongyuan.cn"
    )
    client.force_login(world.manager)
    response = client.get(LIST, {"q": query})
    hits = response.context["contact_hits"]
    assert {contact.name for contact in hits} <= {"王建华", "王建国"} and "王建华" in {c.name for c in hits}
    assert "contact at 宏远机械" in response.text
    assert "王建军" not in response.text  # a contact of an account the manager may not see


def test_filter_choices_offer_only_what_the_user_may_see(client, world):
    RegionFactory(name="西南", code="southwest")  # no account at all
    client.force_login(world.manager)
    form = client.get(LIST).context["filter"].form
    assert [region.name for region in form.fields["region"].queryset] == ["华东"]
    assert set(form.fields["owner"].queryset.values_list("username", flat=True)) == {"manager"}
    client.force_login(world.admin)
    assert client.get(LIST).context["filter"].form.fields["region"].queryset.count() == 3


def test_an_empty_result_says_so_in_words(client, world):
    client.force_login(world.manager)
    response = client.get(LIST, {"q": "不存在的客户"})
    assert "No account you can see matches “不存在的客户” with these filters." in response.text


@pytest.fixture
def graded(world):
    """Grades and revenue of the latest month; a visit 10 days ago on the manager's account."""
    model = ScoringModel.objects.get(status=ScoringModel.Status.ACTIVE)
    period = timezone.localdate().replace(day=1)
    second = AccountFactory(
        name="杭州天成物流有限公司", short_name="天成物流", owner=world.manager, region=world.east
    )
    for account, grade, volume in [(world.own_account, "A", "2500000"), (second, "C", "90000")]:
        GradeSnapshot.objects.create(
            account=account,
            period=period,
            scoring_model=model,
            total=Decimal("80") if grade == "A" else Decimal("30"),
            computed_grade=grade,
            grade=grade,
            order_volume=Decimal(volume),
            computed_at=timezone.now(),
        )
    InteractionFactory(
        account=world.own_account, kind="visit", occurred_at=timezone.now() - timedelta(days=10)
    )
    return {"world": world, "second": second}


def test_list_shows_grade_revenue_last_visit_and_next_due(client, graded):
    world = graded["world"]
    client.force_login(world.manager)
    response = client.get(LIST)
    own = next(a for a in response.context["page"].object_list if a.pk == world.own_account.pk)
    assert own.figures["grade"] == "A"
    assert own.figures["revenue"] == Decimal("2500000")
    assert own.figures["last_visit_on"] == timezone.localdate() - timedelta(days=10)
    assert own.figures["revisit_due_on"] > timezone.localdate()
    assert '<span class="kam-grade kam-grade-A">A</span>' in response.text
    assert "¥2,500,000" in response.text


def test_list_filters_and_sorts_by_grade_revenue_and_last_visit(client, graded):
    world = graded["world"]
    client.force_login(world.manager)
    assert names(client.get(LIST, {"grade": "C"})) == ["杭州天成物流有限公司"]
    assert names(client.get(LIST, {"grade": "A"})) == ["上海宏远机械制造有限公司"]
    assert names(client.get(LIST, {"sort": "-revenue"}))[0] == "上海宏远机械制造有限公司"
    assert names(client.get(LIST, {"sort": "grade"}))[0] == "上海宏远机械制造有限公司"
    assert names(client.get(LIST, {"sort": "last_visit"}))[0] == "杭州天成物流有限公司"  # never visited


def test_export_has_the_same_columns(client, graded):
    world = graded["world"]
    client.force_login(world.manager)
    response = client.get(reverse("accounts:list_export", args=["csv"]), {"grade": "A"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert {"Grade", "Revenue, 12 months", "Last visit", "Next visit due"} <= set(header)
    assert row[header.index("Grade")] == "A"
    assert row[header.index("Last visit")] == (timezone.localdate() - timedelta(days=10)).isoformat()


def test_list_page_queries_do_not_grow_with_the_page(client, graded, django_assert_max_num_queries):
    world = graded["world"]
    client.force_login(world.manager)
    client.get(LIST, {"q": "wang"})
    for number in range(30):
        AccountFactory(name=f"测试客户{number:02d}有限公司", owner=world.manager, region=world.east)
    with django_assert_max_num_queries(16):
        client.get(LIST, {"q": "", "sort": "grade"})


def test_chinese_pages_group_numbers_by_thousands_too(client, graded):
    client.force_login(graded["world"].manager)
    response = client.get(LIST, headers={"accept-language": "zh-hans"})
    assert "¥2,500,000" in response.text and "¥2500000" not in response.text


def test_grade_badges_have_one_colour_class_everywhere(client, graded):
    world = graded["world"]
    client.force_login(world.manager)
    assert 'class="kam-grade kam-grade-A"' in client.get(LIST).text
    assert (
        'class="kam-grade kam-grade-A"'
        in client.get(reverse("accounts:detail", args=[world.own_account.pk])).text
    )
