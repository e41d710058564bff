"""Exports of any list or table to CSV and XLSX, shared by every app.

A table is a title, columns and rows; the same description gives a CSV file (UTF-8 with a byte-order
mark, so Excel opens Chinese text correctly) and an XLSX workbook (openpyxl, write-only, so large lists
stream through without holding every cell in memory).

Formula injection (OWASP "CSV injection"): a spreadsheet treats a cell that begins with ``=``, ``+``,
``-`` or ``@`` as a formula, and Excel also accepts their full-width forms (``＝ ＋ － ＠``) typed by
Chinese input methods; a leading tab or carriage return can hide such a cell. Every text cell that
begins with one of these characters is prefixed with a single quote, which makes it plain text in
Excel, LibreOffice and Google Sheets. Numbers, dates and money stay typed values (a negative amount is
a number, never text).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import itertools
import operator
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "xlsx")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BYTE_ORDER_MARK = "\ufeff"

# Characters that make a spreadsheet read a cell as a formula (or hide one), ASCII and full-width.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# XML 1.0 cannot carry these control characters; openpyxl refuses them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

NUMBER_FORMATS = {
    "money": "#,##0.00",
    "integer": "#,##0",
    "percent": "0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet will evaluate as a formula; non-text values are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """One column: its header and how to read the cell from a row (a key, an attribute or a function)."""

    header: Any
    value: str | Callable[[Any], Any]
    kind: str = "text"  # text, money, integer, percent, date, datetime

    def read(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        if isinstance(row, dict):
            return row.get(self.value)
        return getattr(row, self.value, None)

    def reader(self, sample: Any) -> Callable[[Any], Any]:
        """``read`` decided once for rows shaped like ``sample`` (every row of a table has the same shape):
        large exports call it per cell."""
        if callable(self.value):
            return self.value
        if isinstance(sample, dict):
            return operator.methodcaller("get", self.value)
        if hasattr(sample, self.value):
            return operator.attrgetter(self.value)
        return lambda row: None


@dataclass
class Table:
    title: Any
    columns: Sequence[Column]
    rows: Iterable[Any] = field(default_factory=list)

    def headers(self) -> list[str]:
        return [str(column.header) for column in self.columns]

    def values(self) -> Iterable[list[Any]]:
        for row in self.rows:
            yield [_plain(column.read(row)) for column in self.columns]


def _plain(value: Any) -> Any:
    """Python values a spreadsheet understands: text, numbers, naive local dates and times."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal | datetime.date):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return str(value)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(value)


def _content_disposition(stem: str, extension: str) -> str:
    ascii_stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "export"
    return f'attachment; filename="{ascii_stem}.{extension}"'


_AS_IS = frozenset({Decimal, int})  # csv.writer writes them as str() does, never as a formula


CSV_ROWS_PER_CHUNK = 1000


def _csv_lines(table: Table) -> Iterator[bytes]:
    """The file in chunks of CSV_ROWS_PER_CHUNK rows, each encoded once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow([_csv_cell(header) for header in table.headers()])
    rows = iter(table.rows)
    first = next(rows, None)
    if first is not None:
        readers = [column.reader(first) for column in table.columns]
        for count, row in enumerate(itertools.chain([first], rows), start=1):
            values = [read(row) for read in readers]
            # Text neutralised, Decimal and int as they are, anything else through _csv_cell: written
            # out rather than called, a 20k-row export has 200k cells.
            writer.writerow(
                [
                    ("'" + value if value.startswith(FORMULA_TRIGGERS) else value)
                    if type(value) is str
                    else value
                    if type(value) in _AS_IS
                    else _csv_cell(_plain(value))
                    for value in values
                ]
            )
            if count % CSV_ROWS_PER_CHUNK == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_response(table: Table, *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(table), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = _content_disposition(filename, "csv")
    return response


def _sheet_title(title: Any, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Sheet"
    candidate, number = name, 2
    while candidate in used:
        suffix = f" ({number})"
        candidate, number = name[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate)
    return candidate


def _xlsx_cell(sheet, value: Any, kind: str, *, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, str):
        value = neutralise(_ILLEGAL_XML.sub("", value))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    elif kind in NUMBER_FORMATS and value is not None:
        cell.number_format = NUMBER_FORMATS[kind]
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """One workbook, one sheet per table, header row in bold and frozen."""
    workbook = Workbook(write_only=True)
    try:
        return _xlsx_fill_and_save(workbook, tables)
    finally:
        _remove_sheet_files(workbook)


def _remove_sheet_files(workbook) -> None:
    """openpyxl's write-only sheets stream into temporary files that it removes only after a complete
    save (or at interpreter exit): a failed export (a full disk) must not leave them behind."""
    from openpyxl.worksheet import _writer

    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        path = getattr(writer, "out", None)
        if isinstance(path, str):
            with contextlib.suppress(Exception):
                writer.close()
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            with contextlib.suppress(ValueError):
                _writer.ALL_TEMP_FILES.remove(path)


def _xlsx_fill_and_save(workbook, tables: Sequence[Table]) -> bytes:
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            width = 16 if column.kind in NUMBER_FORMATS else 28
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.append([_xlsx_cell(sheet, header, "text", bold=True) for header in table.headers()])
        for values in table.values():
            sheet.append(
                [
                    _xlsx_cell(sheet, value, column.kind)
                    for value, column in zip(values, table.columns, strict=True)
                ]
            )
    if not used:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(tables: Table | Sequence[Table], *, filename: str) -> HttpResponse:
    if isinstance(tables, Table):
        tables = [tables]
    response = HttpResponse(xlsx_bytes(tables), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _content_disposition(filename, "xlsx")
    return response


def export_response(table: Table, *, export_format: str, filename: str):
    """The table as a download in the requested format; an unknown format is a 404."""
    if export_format == "csv":
        return csv_response(table, filename=filename)
    if export_format == "xlsx":
        return xlsx_response(table, filename=filename)
    raise Http404("Unknown export format")


def export_filename(*parts: str) -> str:
    """kam-<parts>-<local date>, ASCII only."""
    return "-".join(["kam", *parts, timezone.localdate().isoformat()])
