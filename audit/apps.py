from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def install_audit_triggers(using, **kwargs):
    """After ``migrate`` (and after a test's flush, which sends the same signal): install the audit
    triggers that are missing or whose definition changed, and drop stale ones. One catalogue query
    when nothing changed, so flushing tables between tests stays cheap."""
    from pgtrigger import installation, registry
    from pgtrigger import utils as pgtrigger_utils

    with pgtrigger_utils.connection(using).cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'pgtrigger_%%'"
        )
        installed = {(table.strip('"'), name) for table, name in cursor.fetchall()}
    missing = [
        (model, trigger)
        for model, trigger in registry.registered()
        if (model._meta.db_table, trigger.get_pgid(model)) not in installed
    ]
    for model, trigger in missing:
        trigger.install(model, database=using)
    if missing or installation.prunable(database=using):
        installation.prune(database=using)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        post_migrate.connect(install_audit_triggers, sender=self)
