from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import OrderFactory


def test_administrator_role_sees_every_account_in_the_admin(client, world):
    assert not world.admin.is_superuser
    client.force_login(world.admin)
    response = client.get(reverse("admin:accounts_account_changelist"))
    assert response.status_code == 200
    assert "宏远机械" in response.text and "华信建设" in response.text


def test_staff_director_sees_only_visible_accounts_and_orders_in_the_admin(client, world):
    world.director.is_staff = True
    world.director.save()
    world.director.user_permissions.set(
        Permission.objects.filter(codename__in=["view_account", "view_order", "change_account"])
    )
    OrderFactory(account=world.own_account, number="SO-OWN")
    OrderFactory(account=world.foreign_account, number="SO-FOREIGN")
    client.force_login(world.director)
    accounts = client.get(reverse("admin:accounts_account_changelist"))
    assert "宏远机械" in accounts.text and "华信建设" not in accounts.text
    orders = client.get(reverse("admin:accounts_order_changelist"))
    assert "SO-OWN" in orders.text and "SO-FOREIGN" not in orders.text
    foreign = client.get(reverse("admin:accounts_account_change", args=[world.foreign_account.pk]))
    assert foreign.status_code == 302  # Django admin redirects a missing object to the index with a message


def test_superuser_sees_everything_in_the_admin(admin_client, world):
    response = admin_client.get(reverse("admin:accounts_account_changelist"))
    assert "宏远机械" in response.text and "华信建设" in response.text
