"""Service compliance is computed live (service_tiers/compliance.py): the stored figures, their refresh
records, the two change logs, their triggers on eight tables and their functions, and the 10-minute
rebuild schedule go. Every trigger calling a ``service_tiers_compliance…`` function is dropped, whatever
migration created it; an audit library's triggers (pghistory) are left alone.

Not reversible: the stored figures were a cache of what is now computed on each read.
"""

from django.db import migrations

DROP = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN
        SELECT t.tgname, t.tgrelid::regclass AS tablename
        FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND p.proname LIKE 'service\\_tiers\\_compliance%'
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', item.tgname, item.tablename);
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure AS signature FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'service\\_tiers\\_compliance%'
    LOOP
        EXECUTE format('DROP FUNCTION %s', item.signature);
    END LOOP;
END
$$;
DROP TABLE IF EXISTS service_tiers_compliancechange;
DROP TABLE IF EXISTS service_tiers_complianceaccountchange;
"""


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task="service_tiers.tasks.compliance_figures_refresh"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("service_tiers", "0008_alert_run_after_regrade"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunSQL(DROP),
        migrations.RunPython(remove_schedule),
        migrations.DeleteModel(name="ComplianceFigure"),
        migrations.DeleteModel(name="ComplianceRefresh"),
    ]
