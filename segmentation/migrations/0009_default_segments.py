"""The default behaviour segments (RFM) and needs tags; admins rename, reorder or replace them."""

from django.db import migrations

RFM_SEGMENTS = [
    # code, English, Chinese, (recency, frequency, monetary) ranges
    ("champions", "Champions", "冠军客户", (4, 5), (4, 5), (4, 5)),
    ("loyal", "Loyal", "忠诚客户", (3, 5), (3, 5), (1, 5)),
    ("new", "New", "新客户", (4, 5), (1, 1), (1, 5)),
    ("promising", "Promising", "潜力客户", (3, 5), (1, 2), (1, 5)),
    ("cannot_lose", "Cannot lose", "不能失去的客户", (1, 2), (4, 5), (4, 5)),
    ("at_risk", "At risk", "有流失风险", (1, 2), (3, 5), (1, 5)),
    ("hibernating", "Hibernating", "沉睡客户", (1, 2), (1, 2), (1, 5)),
]

NEED_TAGS = [
    ("quality_focused", "Quality-focused", "重质量"),
    ("price_sensitive", "Price-sensitive", "价格敏感"),
    ("after_sales_focused", "After-sales-focused", "重售后服务"),
    ("delivery_focused", "Delivery-focused", "重交付"),
]


def create_defaults(apps, schema_editor):
    RfmSegment = apps.get_model("segmentation", "RfmSegment")
    NeedTag = apps.get_model("segmentation", "NeedTag")
    if not RfmSegment.objects.exists():
        RfmSegment.objects.bulk_create(
            RfmSegment(
                code=code,
                label_en=label_en,
                label_zh_hans=label_zh_hans,
                position=position,
                recency_min=recency[0],
                recency_max=recency[1],
                frequency_min=frequency[0],
                frequency_max=frequency[1],
                monetary_min=monetary[0],
                monetary_max=monetary[1],
            )
            for position, (code, label_en, label_zh_hans, recency, frequency, monetary) in enumerate(
                RFM_SEGMENTS, start=1
            )
        )
    if not NeedTag.objects.exists():
        NeedTag.objects.bulk_create(
            NeedTag(code=code, label_en=label_en, label_zh_hans=label_zh_hans, position=position)
            for position, (code, label_en, label_zh_hans) in enumerate(NEED_TAGS, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0008_segments")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
