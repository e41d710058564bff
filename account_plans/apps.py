from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountPlansConfig(AppConfig):
    name = "account_plans"
    verbose_name = _("Account plans")
