"""The dashboard's tables as exportable ``kam.exports.Table`` values, and the series its charts draw.

Each table builder reads the same selector as the page, so an export shows exactly the figures on
screen, with the same filters and the same visibility.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.exports import Column, Table

from . import selectors

GRADES = selectors.GRADES


def _cells(accounts, filters):
    return selectors.aggregate_cells(accounts=accounts, filters=filters)


def _grade_label(grade: str) -> str:
    return str(_("Not graded")) if grade in ("", None, selectors.NOT_GRADED) else grade


def distribution_table(*, user, accounts, filters) -> Table:
    data = selectors.grade_distribution(accounts=accounts, filters=filters, cells=_cells(accounts, filters))
    return Table(
        _("Grade distribution"),
        [
            Column(_("Grade"), "grade"),
            Column(_("Accounts"), "accounts", "integer"),
            Column(_("Share of accounts (%)"), "accounts_share", "percent"),
            Column(_("Revenue, 12 months (CNY)"), "revenue", "money"),
            Column(_("Share of revenue (%)"), "revenue_share", "percent"),
            Column(_("Gross profit, 12 months (CNY)"), "gross_profit", "money"),
            Column(_("Accounts in the comparison period"), "previous_accounts", "integer"),
            Column(_("Revenue in the comparison period (CNY)"), "previous_revenue", "money"),
            Column(_("Change of revenue share (points)"), "revenue_share_change", "percent"),
        ],
        data["grades"],
    )


def migration_table(*, user, accounts, filters) -> Table:
    data = selectors.grade_migration(accounts=accounts, filters=filters, cells=_cells(accounts, filters))
    cells = [cell for row in data["rows"] for cell in row["cells"] if cell["accounts"]]
    return Table(
        _("Grade migration"),
        [
            Column(_("Grade before"), lambda cell: _grade_label(cell["from"])),
            Column(_("Grade now"), lambda cell: _grade_label(cell["to"])),
            Column(_("Accounts"), "accounts", "integer"),
            Column(_("Revenue, 12 months (CNY)"), "revenue", "money"),
            Column(_("Revenue in the comparison period (CNY)"), "previous_revenue", "money"),
        ],
        cells,
    )


def _dimension_table(dimension):
    def build(*, user, accounts, filters) -> Table:
        data = selectors.revenue_by_dimension(
            accounts=accounts, filters=filters, dimension=dimension, cells=_cells(accounts, filters)
        )
        columns = [Column(data["title"], "label")]
        for grade in GRADES:
            columns += [
                Column(_("%(grade)s accounts") % {"grade": grade}, _grade_cell(grade, "accounts"), "integer"),
                Column(
                    _("%(grade)s revenue (CNY)") % {"grade": grade}, _grade_cell(grade, "revenue"), "money"
                ),
                Column(
                    _("%(grade)s gross profit (CNY)") % {"grade": grade},
                    _grade_cell(grade, "gross_profit"),
                    "money",
                ),
            ]
        columns += [
            Column(_("Accounts"), "accounts", "integer"),
            Column(_("Revenue, 12 months (CNY)"), "revenue", "money"),
            Column(_("Share of revenue (%)"), "revenue_share", "percent"),
            Column(_("Gross profit, 12 months (CNY)"), "gross_profit", "money"),
            Column(_("Margin (%)"), "margin", "percent"),
        ]
        return Table(_("By %(dimension)s") % {"dimension": data["title"]}, columns, data["rows"])

    return build


def _grade_cell(grade, field):
    return lambda row: row["grades"][grade][field]


def monthly_table(*, user, accounts, filters) -> Table:
    return Table(
        _("Monthly revenue"),
        [
            Column(_("Month"), lambda row: f"{row['month']:%Y-%m}"),
            Column(_("Revenue (CNY)"), "revenue", "money"),
            Column(_("Gross profit (CNY)"), "gross_profit", "money"),
            Column(_("Orders"), "orders", "integer"),
        ],
        selectors.revenue_trend(accounts=accounts, filters=filters, cells=_cells(accounts, filters)),
    )


def quarterly_table(*, user, accounts, filters) -> Table:
    monthly = selectors.revenue_trend(accounts=accounts, filters=filters, cells=_cells(accounts, filters))
    return Table(
        _("Quarterly revenue"),
        [
            Column(_("Quarter"), "label"),
            Column(_("Revenue (CNY)"), "revenue", "money"),
            Column(_("Gross profit (CNY)"), "gross_profit", "money"),
            Column(_("Months covered"), "months", "integer"),
        ],
        selectors.quarterly_revenue(monthly),
    )


def grade_trend_table(*, user, accounts, filters) -> Table:
    columns = [Column(_("Period"), lambda row: f"{row['period']:%Y-%m}")]
    for index, grade in enumerate(GRADES):
        columns += [
            Column(
                _("%(grade)s accounts") % {"grade": grade},
                lambda row, index=index: row["grades"][index]["accounts"],
                "integer",
            ),
            Column(
                _("%(grade)s revenue, 12 months (CNY)") % {"grade": grade},
                lambda row, index=index: row["grades"][index]["revenue"],
                "money",
            ),
        ]
    return Table(
        _("Accounts per grade"),
        columns,
        selectors.grade_trend(accounts=accounts, filters=filters, cells=_cells(accounts, filters)),
    )


def _manager_name(user) -> str:
    return user.get_full_name() or user.get_username()


def risk_table(*, user, accounts, filters) -> Table:
    return Table(
        _("Risk list"),
        [
            Column(_("Account"), "name"),
            Column(_("Account manager"), lambda account: _manager_name(account.owner)),
            Column(_("Region"), lambda account: account.region.name if account.region else ""),
            Column(_("Grade before"), lambda account: _grade_label(account.grade_before)),
            Column(_("Grade now"), lambda account: _grade_label(account.grade_now)),
            Column(_("Score before"), "total_before", "percent"),
            Column(_("Score now"), "total_now", "percent"),
            Column(_("Revenue at risk, 12 months (CNY)"), "revenue", "money"),
            Column(_("Overdue invoices (CNY)"), "overdue_amount", "money"),
            Column(_("Complaints past deadline"), "late_complaints", "integer"),
            Column(_("Reasons"), lambda account: "; ".join(str(reason) for reason in account.risk_reasons)),
        ],
        selectors.risk_list(accounts=accounts, filters=filters, limit=None),
    )


def kpi_table(*, user, accounts, filters) -> Table:
    rows = []
    for line in selectors.manager_kpis(accounts=accounts, filters=filters):
        for metric in line["metrics"]:
            rows.append({"manager": _manager_name(line["manager"]), **metric})
    return Table(
        _("KPIs per manager"),
        [
            Column(_("Account manager"), "manager"),
            Column(_("Metric"), "label"),
            Column(_("Actual"), "actual", "integer"),
            Column(_("Monthly target"), "target", "integer"),
            Column(_("Attainment (%)"), "attainment", "percent"),
        ],
        rows,
    )


def compliance_table(*, user, accounts, filters) -> Table:
    rows = selectors.service_compliance(accounts=accounts, filters=filters)
    return Table(
        _("Service compliance"),
        [
            Column(_("Account manager"), lambda row: _manager_name(row["manager"]) if row["manager"] else ""),
            Column(_("Tier"), "tier_key"),
            Column(_("Revisits due"), "revisits_due", "integer"),
            Column(_("Revisits on time"), "revisits_on_time", "integer"),
            Column(_("Complaints due"), "complaints_due", "integer"),
            Column(_("Complaints resolved in time"), "complaints_on_time", "integer"),
            Column(_("Surveys due"), "surveys_due", "integer"),
            Column(_("Surveys sent on time"), "surveys_on_time", "integer"),
        ],
        rows,
    )


def drilldown_table(listed, *, filters, from_grade: str, to_grade: str) -> Table:
    return Table(
        _("Accounts"),
        [
            Column(_("Account"), "name"),
            Column(_("Credit code"), "credit_code"),
            Column(_("Account manager"), lambda account: _manager_name(account.owner)),
            Column(_("Region"), lambda account: account.region.name if account.region else ""),
            Column(_("Industry"), lambda account: account.get_industry_display()),
            Column(
                _("Grade %(period)s") % {"period": f"{filters.compare:%Y-%m}"},
                lambda account: _grade_label(account.grade_before),
            ),
            Column(
                _("Grade %(period)s") % {"period": f"{filters.period:%Y-%m}"},
                lambda account: _grade_label(account.grade_now),
            ),
            Column(_("Score before"), "total_before", "percent"),
            Column(_("Score now"), "total_now", "percent"),
            Column(_("Revenue, 12 months (CNY)"), "revenue", "money"),
            Column(_("Revenue in the comparison period (CNY)"), "previous_revenue", "money"),
            Column(_("Gross profit, 12 months (CNY)"), "gross_profit", "money"),
        ],
        listed.iterator(chunk_size=2000),
    )


TABLES = {
    "distribution": distribution_table,
    "migration": migration_table,
    "region": _dimension_table("region"),
    "industry": _dimension_table("industry"),
    "owner": _dimension_table("owner"),
    "grades": grade_trend_table,
    "monthly": monthly_table,
    "quarterly": quarterly_table,
    "risk": risk_table,
    "kpi": kpi_table,
    "compliance": compliance_table,
    "accounts": None,  # the drill-down list, built by the view from its cell
}


def chart_data(context: dict) -> dict:
    """The series the ECharts on the page draw (floats are for drawing only; tables show Decimals)."""
    distribution = context["distribution"]["grades"]
    return {
        "grades": GRADES,
        "labels": {
            "accounts": str(_("Accounts")),
            "revenue": str(_("Revenue (CNY)")),
            "revenue12": str(_("Revenue, 12 months (CNY)")),
            "grossProfit": str(_("Gross profit (CNY)")),
            "partial": str(_("* partial quarter")),
        },
        "distribution": {
            "accounts": [row["accounts"] for row in distribution],
            "revenue": [float(row["revenue"]) for row in distribution],
        },
        "gradeTrend": {
            "periods": [f"{row['period']:%Y-%m}" for row in context["grade_trend"]],
            "accounts": [
                [row["grades"][index]["accounts"] for row in context["grade_trend"]] for index in range(3)
            ],
        },
        "monthly": {
            "months": [f"{row['month']:%Y-%m}" for row in context["monthly"]],
            "revenue": [float(row["revenue"]) for row in context["monthly"]],
            "grossProfit": [float(row["gross_profit"]) for row in context["monthly"]],
        },
        "quarterly": {
            "quarters": [row["label"] + ("*" if row["partial"] else "") for row in context["quarterly"]],
            "revenue": [float(row["revenue"]) for row in context["quarterly"]],
            "grossProfit": [float(row["gross_profit"]) for row in context["quarterly"]],
        },
    }
