"""An uploaded Excel workbook (.xlsx) read as the same `Table` a CSV file makes, and the one door for
both: `table_open` tells them apart by their content (a workbook is a zip file), not by the name.

The first worksheet is read, row 1 its header; a row's line is its row number in Excel, so every
problem names the line and column it would name in the same sheet saved as CSV. Cells become the
text a CSV file saved from the sheet would hold, so every check downstream is the CSV's:
- empty cells stay empty; text is kept as it is;
- a whole number typed or stored as a number (12, or 12.0) reads "12"; any other number reads as
  Python writes it ("12.5"), for validation to refuse where a whole number is wanted;
- a date on the first of a month at midnight (what Excel stores for "2026-10" or "Oct 2026") reads
  "2026-10"; another date reads "2026-10-15", which is no month, and is refused as such;
- a formula reads as the value the spreadsheet program saved with it (openpyxl's ``data_only``);
  one saved without a value (a file written by a program that does not calculate) is a problem of
  its cell, never an empty count;
- a cached error ("#DIV/0!") reads as its text, refused by the check of its column.

openpyxl's read-only mode streams the sheet's XML a row at a time (pandas' ``read_excel`` uses the
same reader but holds the whole sheet, and turns dates into "2026-10-01 00:00:00"), so a large
workbook costs no more memory than a large CSV file, and reports its progress the same way.
"""

import datetime
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from xml.etree import ElementTree
from xml.etree.ElementTree import ParseError

from core.problems import Problem
from metrics.importers import encoding
from metrics.importers.encoding import MalformedFile, Table, header_columns

logger = logging.getLogger(__name__)

ZIP_SIGNATURE = b"PK\x03\x04"
WORKBOOK_TIP = "an Excel workbook (.xlsx) saved by Excel, LibreOffice or Google Sheets, or a CSV file"
# A workbook's parts unpacked, at most: past this a small file hides a huge sheet (a "zip bomb").
MAX_UNPACKED = 1024 * 1024 * 1024
# What openpyxl or the zip module raise on a file that is not a readable workbook.
UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, KeyError, ValueError, TypeError, OSError)


def is_workbook(file: BinaryIO) -> bool:
    """A zip file, which an .xlsx workbook is, whatever its name says."""
    file.seek(0)
    head = file.read(len(ZIP_SIGNATURE))
    file.seek(0)
    return head == ZIP_SIGNATURE


def table_open(file: BinaryIO) -> tuple[Table | None, list[Problem]]:
    """An uploaded file (binary, seekable, kept open while its rows are read) as a `Table`: a workbook's
    first sheet, or a CSV file (`metrics.importers.encoding.table_open`)."""
    if is_workbook(file):
        return workbook_open(file)
    return encoding.table_open(file)


def table_read(data: bytes) -> tuple[Table | None, list[Problem]]:
    """`table_open` for a file held in memory."""
    return table_open(io.BytesIO(data))


def _unreadable(error: Exception) -> Problem:
    logger.info("An uploaded zip file is no readable workbook: %s", error)
    return Problem(
        "the file is not an Excel workbook Tandem can read: it is damaged, or another kind of zip file",
        WORKBOOK_TIP,
    )


def _cell_text(value: Any) -> str:
    """A cell's value as the text a CSV file saved from the sheet holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        if value.day == 1 and value.time() == datetime.time():
            return f"{value:%Y-%m}"
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m}" if value.day == 1 else value.isoformat()
    if isinstance(value, datetime.time | datetime.timedelta):
        return str(value)
    return str(value)


def _letter(position: int) -> str:
    """The column letter of a 0-based position (A, ..., Z, AA, ...)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _load(file: BinaryIO, *, data_only: bool) -> Any:
    from openpyxl import load_workbook  # a quarter of a second to import: only when a workbook comes

    file.seek(0)
    return load_workbook(file, read_only=True, data_only=data_only, keep_links=False, keep_vba=False)


def workbook_row_count(file: BinaryIO) -> int | None:
    """The rows under the header of the workbook's first sheet, without openpyxl (which reads a whole
    sheet that records no size before it hands it over): the size the sheet records at its top (Excel
    and LibreOffice write it), or else its rows' tags counted, a byte count of the unpacked sheet. None
    where the file is no readable workbook (reading it will say why)."""
    try:
        with zipfile.ZipFile(file) as archive:
            path = _first_sheet_path(archive)
            if path is None:
                return None
            with archive.open(path) as xml:
                head = xml.read(64 * 1024)
            size = _DIMENSION.search(head)
            if size and size.group(1):
                return max(0, int(size.group(1)) - 1)
            # No size, or one cell's ("A1", which some programs write whatever the sheet holds).
            return max(0, _row_tags(archive, path) - 1)
    except UNREADABLE:
        return None
    finally:
        file.seek(0)


# The size a sheet records: <dimension ref="A1:G1201"/> (or "A1" for one cell).
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+[0-9]+(?::[A-Z]+([0-9]+))?"')
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """Where the workbook's first worksheet is inside the zip file (a chart sheet is no worksheet), as
    openpyxl finds it: the workbook's list of sheets, then its relationships."""
    sheets = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    targets = {
        relation.get("Id"): (relation.get("Target") or "", relation.get("Type") or "")
        for relation in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    }
    for sheet in sheets.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        target, kind = targets.get(sheet.get(_RELATIONSHIPS), ("", ""))
        if target and kind.endswith("/worksheet"):
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _row_tags(archive: zipfile.ZipFile, path: str) -> int:
    """The rows of a sheet, by their tags in its XML (cells hold no "<" unescaped)."""
    count, tail = 0, b""
    with archive.open(path) as xml:
        while chunk := xml.read(encoding.CHUNK):
            both = tail + chunk
            count += both.count(b"<row ") + both.count(b"<row>") - tail.count(b"<row ") - tail.count(b"<row>")
            tail = chunk[-5:]
    return count


def _has_formulas(archive: zipfile.ZipFile, path: str) -> bool:
    """Whether any cell of the sheet holds a formula: only then is it read a second time, to find
    formulas saved without their value."""
    tail = b""
    with archive.open(path) as xml:
        while chunk := xml.read(encoding.CHUNK):
            if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                return True
            tail = chunk[-3:]
    return False


def workbook_open(file: BinaryIO) -> tuple[Table | None, list[Problem]]:
    """The first worksheet of a workbook and its header row; its rows are read later, by `rows`."""
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            path = _first_sheet_path(archive) if unpacked <= MAX_UNPACKED else None
            has_formulas = bool(path) and _has_formulas(archive, path)
        if unpacked > MAX_UNPACKED:
            return None, [
                Problem(
                    f"the workbook unpacks to {unpacked // (1024 * 1024):,} MB, more than Tandem reads",
                    "a smaller file: split it by months and upload each part",
                )
            ]
        workbook = _load(file, data_only=True)
    except Exception as error:  # whatever openpyxl finds wrong with it, it is the file's fault
        return None, [_unreadable(error)]
    try:
        sheets = workbook.worksheets
        if not sheets:
            return None, [Problem("the workbook has no worksheet", WORKBOOK_TIP)]
        sheet = sheets[0]
        first = next(sheet.iter_rows(max_row=1, values_only=True), None)
        lines = sheet.max_row or (workbook_row_count(file) or 0) + 1  # a sheet may not record its size
    except UNREADABLE as error:
        return None, [_unreadable(error)]
    finally:
        workbook.close()
    if first is None or not any(_cell_text(value).strip() for value in first):
        return None, [Problem("the first sheet is empty", "a header row and at least one row of data")]
    header = [_cell_text(value) for value in first]
    while header and not header[-1].strip():
        header.pop()
    columns, problems = header_columns(header)
    if problems:
        return None, problems
    table = WorkbookTable(file, "xlsx", "", header, columns, lines)
    table.has_formulas = has_formulas
    return table, []


@dataclass
class WorkbookTable(Table):
    """A workbook's first sheet as a `Table`: the same header, columns, values and problems."""

    has_formulas: bool = field(init=False, default=False)

    def _lines_read(self) -> Iterator[tuple[int, list[str], Problem | None]]:
        """Each row under the header as `Table.rows` reads a CSV file's lines: its number (Excel's),
        its cells as text, and the problem that breaks it, if one does."""
        try:
            for number, cells, uncalculated in self._sheet_rows():
                problem = self._width_problem(cells, number) or _formula_problem(
                    uncalculated, number, self.header
                )
                yield number, cells, problem
        except UNREADABLE as error:
            problem = Problem(f"the workbook cannot be read from here on ({error})", WORKBOOK_TIP)
            raise MalformedFile([problem]) from error

    def _sheet_rows(self) -> Iterator[tuple[int, list[str], list[int]]]:
        """Each row under the header: its number, its cells as text, and the positions of formulas saved
        without a value (read beside the values, in a second pass, only where the sheet has formulas)."""
        workbook = _load(self.file, data_only=True)
        # A second reader of the same file: the zip module seeks to its own place before each read.
        formulas = _load(self.file, data_only=False) if self.has_formulas else None
        try:
            values = workbook.worksheets[0].iter_rows(min_row=2, values_only=True)
            written = formulas.worksheets[0].iter_rows(min_row=2) if formulas else None
            for number, row in enumerate(values, start=2):
                uncalculated = []
                if written is not None:
                    for position, cell in enumerate(next(written, ())):
                        if cell.data_type == "f" and position < len(row) and row[position] is None:
                            uncalculated.append(position)
                yield number, [_cell_text(value) for value in row], uncalculated
        finally:
            workbook.close()
            if formulas is not None:
                formulas.close()

    def _width_problem(self, cells: list[str], number: int) -> Problem | None:
        beyond = [position for position in range(self.width, len(cells)) if cells[position].strip()]
        if not beyond:
            return None
        return Problem(
            f"the row has a value in column {_letter(beyond[0])}, but the header names {self.width} columns",
            "a value only under a column named in the header row",
            number,
        )


def _formula_problem(positions: list[int], number: int, header: list[str]) -> Problem | None:
    if not positions:
        return None
    position = positions[0]
    return Problem(
        f"the cell in column {_letter(position)} holds a formula saved without its value",
        "the value itself, or the workbook saved again from Excel or LibreOffice, which saves each "
        "formula's value with it",
        number,
        encoding.header_key(header[position]) if position < len(header) else "",
    )
