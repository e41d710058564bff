from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_administrator_permissions(sender, using="default", **kwargs):
    """The Administrator role may do everything in Django admin. Permissions only exist after
    ``migrate`` created them, hence post_migrate rather than a data migration."""
    from django.contrib.auth.models import Group, Permission

    from .roles import ADMINISTRATOR

    group = Group.objects.using(using).filter(name=ADMINISTRATOR).first()
    if group is not None:
        group.permissions.set(Permission.objects.using(using).all())


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from kam import lookups  # noqa: F401 -- registers field__any (one array parameter)

        post_migrate.connect(grant_administrator_permissions, dispatch_uid="kam_administrator_permissions")
