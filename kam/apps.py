from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    """The project package as an app: what every app shares (the one-time create token)."""

    name = "kam"
    verbose_name = _("KAM")
