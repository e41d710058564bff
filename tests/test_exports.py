"""kam/exports.py: CSV that Excel opens with Chinese intact, XLSX that round-trips, no formula injection."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from kam.exports import (
    BYTE_ORDER_MARK,
    Column,
    Table,
    csv_response,
    export_response,
    neutralise,
    xlsx_bytes,
    xlsx_response,
)

INJECTIONS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    '=HYPERLINK("http://evil.example","点我")',
    "\t=1+1",
    "\r=1+1",
    "＝1＋1",  # full-width equals sign, as typed by Chinese input methods
    "＋1",
    "－1",
    "＠SUM(A1)",
]


def _table(rows):
    return Table(
        title="客户 / Accounts",
        columns=[
            Column("名称", "name"),
            Column("Revenue", "revenue", kind="money"),
            Column("Accounts", "count", kind="integer"),
            Column("Since", "since", kind="date"),
        ],
        rows=rows,
    )


def _csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.parametrize("value", INJECTIONS)
def test_text_that_a_spreadsheet_would_evaluate_is_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["上海宏远机械制造有限公司", "A=B", "100", "", " =1", "a-b"])
def test_ordinary_text_is_unchanged(value):
    assert neutralise(value) == value


def test_numbers_are_never_neutralised():
    assert neutralise(Decimal("-12.50")) == Decimal("-12.50")
    assert neutralise(-3) == -3


def test_csv_starts_with_a_byte_order_mark_and_keeps_chinese_intact():
    rows = [{"name": "上海宏远机械制造有限公司", "revenue": Decimal("1234567.89"), "count": 3}]
    response = csv_response(_table(rows), filename="kam-test")
    raw = b"".join(response.streaming_content)
    assert raw.startswith(BYTE_ORDER_MARK.encode("utf-8"))  # Excel reads UTF-8 only with the BOM
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kam-test.csv"'
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines == [
        ["名称", "Revenue", "Accounts", "Since"],
        ["上海宏远机械制造有限公司", "1234567.89", "3", ""],
    ]


@pytest.mark.parametrize("value", INJECTIONS)
def test_csv_neutralises_formula_injection(value):
    rows = [{"name": value, "revenue": Decimal("-5.00"), "count": 1}]
    lines = list(csv.reader(io.StringIO(_csv_text(csv_response(_table(rows), filename="x"))[1:])))
    assert lines[1][0] == "'" + value
    assert lines[1][1] == "-5.00"  # a negative amount stays a number


def test_xlsx_round_trips_with_types_and_chinese():
    rows = [
        {
            "name": "北京华信建设集团有限公司",
            "revenue": Decimal("1234567.89"),
            "count": 12,
            "since": datetime.date(2024, 2, 29),
        },
        {"name": "＝1＋1", "revenue": Decimal("-0.01"), "count": 0, "since": None},
    ]
    workbook = load_workbook(io.BytesIO(xlsx_bytes([_table(rows)])))
    sheet = workbook.active
    assert sheet.title == "客户   Accounts"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["名称", "Revenue", "Accounts", "Since"]
    assert values[1][0] == "北京华信建设集团有限公司"
    assert Decimal(str(values[1][1])) == Decimal("1234567.89")
    assert values[1][2] == 12
    assert values[1][3].date() == datetime.date(2024, 2, 29)
    assert sheet["B2"].number_format == "#,##0.00"
    assert values[2][0] == "'＝1＋1"
    assert Decimal(str(values[2][1])) == Decimal("-0.01")


@pytest.mark.parametrize("value", INJECTIONS)
def test_xlsx_never_stores_a_formula(value):
    workbook = load_workbook(io.BytesIO(xlsx_bytes([_table([{"name": value}])])))
    cell = workbook.active["A2"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'")  # XML reads a carriage return back as a line feed
    assert cell.value[1:].replace("\n", "\r") == value.replace("\n", "\r")


def test_xlsx_drops_control_characters_that_xml_cannot_carry():
    workbook = load_workbook(io.BytesIO(xlsx_bytes([_table([{"name": "坏\x00字\x1f符"}])])))
    assert workbook.active["A2"].value == "坏字符"


def test_xlsx_writes_aware_datetimes_in_local_time():
    moment = datetime.datetime(2026, 1, 31, 16, 30, tzinfo=datetime.UTC)
    table = Table("t", [Column("When", "when", kind="datetime")], [{"when": moment}])
    workbook = load_workbook(io.BytesIO(xlsx_bytes([table])))
    shanghai = moment.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert workbook.active["A2"].value == shanghai


def test_xlsx_response_has_one_sheet_per_table_with_unique_titles():
    response = xlsx_response([_table([]), _table([])], filename="两个")
    assert response["Content-Disposition"] == 'attachment; filename="export.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 2
    assert len(set(workbook.sheetnames)) == 2


def test_unknown_format_is_not_found():
    from django.http import Http404

    with pytest.raises(Http404):
        export_response(_table([]), export_format="pdf", filename="x")


def _rows(response):
    if response["Content-Type"].startswith("text/csv"):
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith(BYTE_ORDER_MARK)
        return list(csv.reader(io.StringIO(text[1:])))
    return [
        list(row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_account_list_export_applies_visibility(client, world, export_format):
    from django.urls import reverse

    client.force_login(world.director)
    rows = _rows(client.get(reverse("accounts:list_export", args=[export_format])))
    names = [row[0] for row in rows[1:]]
    assert names == ["上海宏远机械制造有限公司"]
    assert rows[1][rows[0].index("Account manager")] == "manager"


def test_account_list_export_applies_the_filters(client, world):
    from django.urls import reverse

    from tests.factories import AccountFactory

    AccountFactory(name="=cmd|' /C calc'!A0 上海", owner=world.manager, region=world.east, status="lost")
    client.force_login(world.admin)
    url = reverse("accounts:list_export", args=["csv"])
    rows = _rows(client.get(url + "?status=lost"))
    assert [row[0] for row in rows[1:]] == ["'=cmd|' /C calc'!A0 上海"]
    rows = _rows(client.get(url + f"?region={world.north.pk}"))
    assert [row[0] for row in rows[1:]] == ["北京华信建设集团有限公司"]


def test_account_list_links_to_its_exports_with_the_filters(client, world):
    from django.urls import reverse

    client.force_login(world.manager)
    page = client.get(reverse("accounts:list") + "?status=active").content.decode()
    assert 'href="/accounts/export.xlsx?status=active"' in page
