from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceTiersConfig(AppConfig):
    name = "service_tiers"
    verbose_name = _("Service tiers")

    def ready(self):
        from . import receivers  # noqa: F401 -- connects the signal receivers
