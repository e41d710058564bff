"""The demo data: who can log in, and whether the accounts look like a real key-account book."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts import roles
from accounts.demo_data import HISTORY_DAYS, MANAGER_USERNAMES, demo_data_seed
from accounts.models import Account, Complaint, Contact, Interaction, Order, Region, SatisfactionSurvey
from accounts.validators import validate_credit_code

pytestmark = pytest.mark.django_db

SMALL = 30


@pytest.fixture
def seeded():
    return demo_data_seed(accounts=SMALL, seed=7)


def user(username):
    return get_user_model().objects.get(username=username)


def group_names(username):
    return set(user(username).groups.values_list("name", flat=True))


def test_seeding_creates_one_login_per_role(seeded):
    admin = user("admin")
    assert admin.is_staff and admin.is_superuser
    assert roles.is_administrator(admin)
    assert group_names("admin") == {roles.ADMINISTRATOR}
    assert group_names("director") == group_names("director2") == {roles.SALES_DIRECTOR}
    for username in MANAGER_USERNAMES:
        assert group_names(username) == {roles.ACCOUNT_MANAGER}
    assert user("manager").check_password(settings.KAM_DEMO_PASSWORD)


def test_director_directs_east_china_but_not_every_region(seeded):
    director = user("director")
    directed = set(Region.objects.filter(directors=director).values_list("name", flat=True))
    assert directed == {"华东"}
    assert Region.objects.exclude(directors=director).exists()
    assert director.directed_teams.filter(members__username="manager").exists()


def test_every_credit_code_is_valid_and_unique(seeded):
    codes = list(Account.objects.values_list("credit_code", flat=True))
    assert len(codes) == SMALL
    assert len(set(codes)) == SMALL
    for code in codes:
        validate_credit_code(code)


def test_accounts_have_chinese_names_owners_and_contacts(seeded):
    for account in Account.objects.annotate(contact_count=Count("contacts")):
        assert account.name and not account.name.isascii()
        assert account.owner.username in MANAGER_USERNAMES
        assert 2 <= account.contact_count <= 4
    assert Contact.objects.exclude(birthday=None).count() > Contact.objects.count() / 2


def test_orders_cover_the_last_24_months_with_non_negative_amounts(seeded):
    today = timezone.localdate()
    dates = Order.objects.values_list("order_date", flat=True)
    assert min(dates) >= today - timedelta(days=HISTORY_DAYS)
    assert max(dates) <= today
    months = Order.objects.annotate(month=TruncMonth("order_date")).values("month").distinct().count()
    assert months >= 24
    assert not Order.objects.filter(amount__lt=0).exists()
    assert 18 * SMALL <= Order.objects.count() <= 30 * SMALL


def test_a_fifth_of_the_accounts_bring_most_of_the_revenue(seeded):
    revenue = sorted(
        (row["total"] for row in Order.objects.values("account").annotate(total=Sum("amount"))), reverse=True
    )
    top_fifth = sum(revenue[: SMALL // 5])
    assert top_fifth >= Decimal("0.6") * sum(revenue)


def test_history_follows_the_business_rules(seeded):
    for complaint in Complaint.objects.filter(
        status__in=[Complaint.Status.RESOLVED, Complaint.Status.CLOSED]
    ):
        assert complaint.resolved_at >= complaint.received_at
        assert complaint.resolution
    for survey in SatisfactionSurvey.objects.exclude(answered_on=None):
        assert 0 <= survey.score <= 10
        assert survey.answered_on >= survey.sent_on
    assert not Interaction.objects.exclude(author_id=F("account__owner_id")).exists()
    for interaction in Interaction.objects.prefetch_related("contacts"):
        assert all(contact.account_id == interaction.account_id for contact in interaction.contacts.all())


def test_a_second_run_adds_nothing(seeded):
    models = (Account, Contact, Order, Interaction, Complaint, SatisfactionSurvey, get_user_model(), Region)
    before = {model: model.objects.count() for model in models}
    again = demo_data_seed(accounts=SMALL, seed=8)
    assert not again.created
    assert {model: model.objects.count() for model in models} == before


def test_each_role_sees_a_different_share_of_the_book(seeded):
    def visible(username):
        return Account.objects.visible_to(user(username)).count()

    assert 0 < visible("manager") < visible("director") < visible("admin") == SMALL


def test_the_command_prints_the_logins_and_is_idempotent():
    output = StringIO()
    call_command("seed_demo", accounts=5, seed=1, stdout=output)
    assert "admin" in output.getvalue() and settings.KAM_DEMO_PASSWORD in output.getvalue()
    assert Account.objects.count() == 5

    output = StringIO()
    call_command("seed_demo", accounts=5, stdout=output)
    assert "already loaded" in output.getvalue()
    assert Account.objects.count() == 5


def test_the_benchmark_asks_for_demo_data_when_there_is_none():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("bench_account_list", repeat=1, stdout=StringIO())


def test_the_benchmark_times_every_variant_for_every_role():
    demo_data_seed(accounts=5, seed=3)
    output = StringIO()
    call_command("bench_account_list", repeat=1, stdout=output)
    lines = [
        line
        for line in output.getvalue().splitlines()
        if line.split()[:1] in (["manager"], ["director"], ["admin"])
    ]
    assert len(lines) == 3 * 7
    assert all(" 200 " in line for line in lines)


def test_accounts_carry_the_manual_ratings_grading_needs(seeded):
    from scoring.models import AccountRating, AccountRatingChange

    relationship = AccountRating.objects.filter(kind="relationship").select_related("account")
    strategic = AccountRating.objects.filter(kind="strategic_fit").select_related("account__region")
    assert relationship.count() >= SMALL // 2 and strategic.exists()
    assert all(rating.rated_by_id == rating.account.owner_id for rating in relationship)
    assert all(rating.account.region.directors.filter(pk=rating.rated_by_id).exists() for rating in strategic)
    assert {rating.value for rating in AccountRating.objects.all()} <= {1, 2, 3, 4, 5}
    assert AccountRatingChange.objects.count() == AccountRating.objects.count()


def test_the_command_refuses_under_production_settings_without_force(settings):
    settings.KAM_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", accounts=5, stdout=StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()
    assert not Account.objects.exists()


@pytest.mark.parametrize("configured", ["", "kam-demo-2026"])
def test_forced_production_seed_never_uses_the_published_password(settings, configured):
    settings.KAM_PRODUCTION = True
    settings.KAM_DEMO_PASSWORD = configured
    output = StringIO()
    call_command("seed_demo", accounts=5, force=True, stdout=output)
    admin = user("admin")
    assert not admin.check_password("kam-demo-2026")
    printed = output.getvalue().split("password: ")[1].split()[0]
    assert len(printed) >= 16 and admin.check_password(printed)


def test_forced_production_seed_uses_a_configured_password(settings):
    settings.KAM_PRODUCTION = True
    settings.KAM_DEMO_PASSWORD = "a-password-only-this-site-knows"
    call_command("seed_demo", accounts=5, force=True, stdout=StringIO())
    assert user("admin").check_password("a-password-only-this-site-knows")
