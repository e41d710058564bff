"""Two scoring presets: the default six-criterion model (active) and the seed 003 real-estate example (draft).

The data is written out here rather than imported, so this migration keeps meaning what it meant.
"""

from decimal import Decimal as D

from django.db import migrations
from django.utils import timezone

LABELS = {
    "credit": ("Credit status", "信用状况"),
    "order_volume": ("Order volume", "下单金额"),
    "profit_contribution": ("Profit contribution", "利润贡献"),
    "growth": ("Growth", "成长性"),
    "relationship": ("Relationship", "客户关系"),
    "strategic_fit": ("Strategic fit", "战略重要性"),
    "ownership_type": ("Ownership type", "客户性质"),
    "client_strength": ("Client strength", "客户实力"),
}

RATING_BANDS = [  # basis (rating − 1) × 25: ratings 1…5 → 0, 25, 50, 75, 100
    ("0", "20", "0", "1 – none"),
    ("20", "40", "25", "2"),
    ("40", "60", "50", "3"),
    ("60", "80", "75", "4"),
    ("80", "100", "100", "5 – excellent"),
]

DEFAULT_MODEL = {
    "name": "Default model (15/15/15/15/20/20)",
    "description": (
        "Six criteria from the product owner: credit, order volume and profit contribution (percentile "
        "rank among graded accounts), growth, relationship and strategic fit. A ≥ 75, B ≥ 60."
    ),
    "criteria": [
        ("credit", "15", "bands"),
        ("order_volume", "15", "percentile"),
        ("profit_contribution", "15", "percentile"),
        ("growth", "15", "bands"),
        ("relationship", "20", "bands"),
        ("strategic_fit", "20", "bands"),
    ],
    "bands": {
        # basis: on-time share in % minus late days per due invoice
        "credit": [
            ("0", "50", "0", "poor"),
            ("50", "70", "30", "weak"),
            ("70", "85", "60", "fair"),
            ("85", "95", "80", "good"),
            ("95", "100", "100", "excellent"),
        ],
        # basis: 50 + YoY change / 2 (40 = −20 %, 50 = flat, 55 = +10 %, 65 = +30 %)
        "growth": [
            ("0", "40", "0", "shrinking more than 20 %"),
            ("40", "50", "30", "shrinking"),
            ("50", "55", "50", "flat to +10 %"),
            ("55", "65", "75", "+10 % to +30 %"),
            ("65", "100", "100", "more than +30 %"),
        ],
        "relationship": RATING_BANDS,
        "strategic_fit": RATING_BANDS,
    },
}

# Seed 003 (某房地产服务商): 客户性质 15, 客户实力 15, 成长性 15, 利润贡献 15, 客户关系 20, 战略重要性 20.
# A band's sub-score is the middle of the seed's point range as a share of the criterion's points
# (strong 10–15 of 15 → 12.5/15 = 83.3333); ownership type has fixed points (15 / 10 / 5 of 15).
SEED_003_MODEL = {
    "name": "Real-estate services example (seed 003)",
    "description": (
        "The worked example of seed 003: ownership type (government/SOE 15, joint-stock 10, private 5), "
        "client strength, growth and profit contribution (high 10–15, medium 5–10, low < 5), relationship "
        "and strategic importance (15–20, 10–15, < 10). Sub-scores are the middle of each range. "
        "A ≥ 75, 60 ≤ B < 75, C < 60."
    ),
    "criteria": [
        ("ownership_type", "15", "bands"),
        ("client_strength", "15", "bands"),
        ("growth", "15", "bands"),
        ("profit_contribution", "15", "bands"),
        ("relationship", "20", "bands"),
        ("strategic_fit", "20", "bands"),
    ],
    "bands": {
        # basis: private 0, joint-stock / foreign 50, government / state-owned 100
        "ownership_type": [
            ("0", "25", "33.3333", "民营企业 private (5)"),
            ("25", "75", "66.6667", "股份公司 joint-stock (10)"),
            ("75", "100", "100", "政府/国有企业 government / SOE (15)"),
        ],
        # basis: percentile rank of registered capital
        "client_strength": [
            ("0", "40", "16.6667", "较弱 weak (< 5)"),
            ("40", "80", "50", "一般 average (5–10)"),
            ("80", "100", "83.3333", "强大 strong (10–15)"),
        ],
        # basis: 50 + YoY change / 2; high growth means more than +20 %
        "growth": [
            ("0", "50", "16.6667", "低成长性 low (< 5)"),
            ("50", "60", "50", "中成长性 medium (5–10)"),
            ("60", "100", "83.3333", "高成长性 high (10–15)"),
        ],
        # basis: percentile rank of gross profit
        "profit_contribution": [
            ("0", "40", "16.6667", "贡献较小 small (< 5)"),
            ("40", "80", "50", "贡献一般 average (5–10)"),
            ("80", "100", "83.3333", "贡献大 large (10–15)"),
        ],
        # basis: (rating − 1) × 25; 5 = top executive, 3–4 = senior management, 1–2 = none
        "relationship": [
            ("0", "50", "25", "没有高层默契关系 none (< 10)"),
            ("50", "87.5", "62.5", "与高层关系默契 senior management (10–15)"),
            ("87.5", "100", "87.5", "与最高层关系默契 top executive (15–20)"),
        ],
        "strategic_fit": [
            ("0", "50", "25", "不重要 not important (< 10)"),
            ("50", "87.5", "62.5", "一般重要 important (10–15)"),
            ("87.5", "100", "87.5", "非常重要 very important (15–20)"),
        ],
    },
}


def _create(apps, definition, status):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    Criterion = apps.get_model("scoring", "Criterion")
    Band = apps.get_model("scoring", "Band")
    now = timezone.now()
    # Created as a draft and activated last: active models are immutable.
    model = ScoringModel.objects.create(
        name=definition["name"],
        description=definition["description"],
        status="draft",
        threshold_a=D("75"),
        threshold_b=D("60"),
    )
    for position, (key, weight, method) in enumerate(definition["criteria"]):
        label_en, label_zh = LABELS[key]
        Criterion.objects.create(
            scoring_model=model,
            key=key,
            label_en=label_en,
            label_zh_hans=label_zh,
            weight=D(weight),
            method=method,
            position=position,
        )
    for key, bands in definition["bands"].items():
        for lower, upper, points, label in bands:
            Band.objects.create(
                scoring_model=model, criterion=key, lower=D(lower), upper=D(upper), points=D(points), label=label
            )
    if status == "active":
        ScoringModel.objects.filter(pk=model.pk).update(status="active", activated_at=now)


def create_presets(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    if ScoringModel.objects.exists():
        return
    _create(apps, DEFAULT_MODEL, "active")
    _create(apps, SEED_003_MODEL, "draft")


def remove_presets(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    ScoringModel.objects.filter(name__in=[DEFAULT_MODEL["name"], SEED_003_MODEL["name"]], snapshots=None).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create_presets, remove_presets)]
