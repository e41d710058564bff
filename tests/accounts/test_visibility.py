"""The one visibility rule, and everything that hangs off an account following it."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Account, Complaint, Contact, Interaction, Order, SatisfactionSurvey
from tests.factories import (
    AccountFactory,
    ComplaintFactory,
    InteractionFactory,
    OrderFactory,
    SatisfactionSurveyFactory,
    UserFactory,
)


def visible_names(user):
    return set(Account.objects.visible_to(user).values_list("short_name", flat=True))


def test_manager_sees_own_accounts_only(world):
    assert visible_names(world.manager) == {"宏远机械"}


def test_account_team_member_sees_the_account(world):
    assert visible_names(world.teammate) == {"宏远机械"}


def test_director_sees_accounts_of_their_region_and_not_others(world):
    assert visible_names(world.director) == {"宏远机械"}
    assert visible_names(world.other_director) == {"华信建设"}


def test_director_sees_accounts_owned_by_their_team_members_in_any_region(world):
    elsewhere = AccountFactory(short_name="异地客户", owner=world.manager, region=world.north)
    assert "异地客户" in visible_names(world.director)
    assert "异地客户" in visible_names(world.other_director)  # North region
    assert elsewhere in Account.objects.visible_to(world.manager)


def test_administrator_sees_every_account(world):
    assert visible_names(world.admin) == {"宏远机械", "华信建设"}


def test_superuser_sees_every_account(world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert visible_names(root) == {"宏远机械", "华信建设"}


def test_staff_without_administrator_role_is_not_an_administrator(world):
    world.manager.is_staff = True
    world.manager.save()
    assert visible_names(world.manager) == {"宏远机械"}


def test_anonymous_and_inactive_users_see_nothing(world):
    assert visible_names(AnonymousUser()) == set()
    world.manager.is_active = False
    world.manager.save()
    assert visible_names(world.manager) == set()


def test_visibility_has_no_duplicates_when_several_paths_lead_to_an_account(world):
    world.own_account.account_team.add(world.director)
    assert Account.objects.visible_to(world.director).count() == 1


@pytest.mark.parametrize(
    ("model", "factory"),
    [
        (Interaction, InteractionFactory),
        (Complaint, ComplaintFactory),
        (Order, OrderFactory),
        (SatisfactionSurvey, SatisfactionSurveyFactory),
    ],
)
def test_children_are_visible_exactly_when_their_account_is(world, model, factory):
    own = factory(account=world.own_account)
    foreign = factory(account=world.foreign_account)
    assert list(model.objects.visible_to(world.manager)) == [own]
    assert list(model.objects.visible_to(world.other_director)) == [foreign]
    assert set(model.objects.visible_to(world.admin)) == {own, foreign}
    assert not model.objects.visible_to(AnonymousUser()).exists()


def test_contacts_follow_their_account(world):
    assert list(Contact.objects.visible_to(world.manager)) == [world.own_contact]
    assert list(Contact.objects.visible_to(world.other_manager)) == [world.foreign_contact]
