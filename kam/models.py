from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CreateToken(models.Model):
    """A one-time token a create form carried, and where the record it created is shown.

    Claimed in the transaction that saves the record (kam/idempotency.py): a second POST with the same
    token waits on the unique index until the first one commits, then finds the token used and shows
    the saved record instead of saving again.
    """

    token = models.UUIDField(_("token"), primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(_("saved record"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("used at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("create token")
        verbose_name_plural = _("create tokens")

    def __str__(self):
        return str(self.token)
