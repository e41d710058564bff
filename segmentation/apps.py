from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self):
        from . import receivers  # noqa: F401 -- connects the signal receivers
