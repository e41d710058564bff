"""The default service tiers (DOMAIN.md, "Service tiers"); an admin edits them afterwards.

Revisit cadence 30/60/90 days and complaint response 4/24/72 h for A/B/C come from DOMAIN.md; the
resolution deadlines (24/72/168 h), the care programmes and the blacklist figures are our defaults.
"""

from django.db import migrations

TIERS = [
    # key, revisit days, response h, resolution h, survey months, care (birthday, spring, dragon boat,
    # mid-autumn, anniversary), dedicated manager, priority
    ("A", 30, 4, 24, 3, (True, True, True, True, True), True, 1),
    ("B", 60, 24, 72, 6, (False, True, True, True, False), False, 2),
    ("C", 90, 72, 168, 12, (False, True, False, False, False), False, 3),
    ("blacklist", None, 168, 336, None, (False, False, False, False, False), False, 9),
]


def create_tiers(apps, schema_editor):
    ServiceTier = apps.get_model("service_tiers", "ServiceTier")
    for key, revisit, response, resolution, survey, care, dedicated, priority in TIERS:
        birthday, spring, dragon_boat, mid_autumn, anniversary = care
        ServiceTier.objects.get_or_create(
            key=key,
            defaults={
                "revisit_cadence_days": revisit,
                "complaint_response_hours": response,
                "complaint_resolution_hours": resolution,
                "survey_cadence_months": survey,
                "care_birthday": birthday,
                "care_spring_festival": spring,
                "care_dragon_boat": dragon_boat,
                "care_mid_autumn": mid_autumn,
                "care_anniversary": anniversary,
                "dedicated_manager": dedicated,
                "service_priority": priority,
            },
        )


def remove_tiers(apps, schema_editor):
    apps.get_model("service_tiers", "ServiceTier").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("service_tiers", "0001_initial")]

    operations = [migrations.RunPython(create_tiers, remove_tiers)]
