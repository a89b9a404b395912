"""From uploaded bytes to rows whose columns are found by header name.

Accepted: UTF-8 with or without a byte order mark (what Excel's "CSV UTF-8" writes), Latin-1 and its
Windows-1252 superset (what older Excel writes), and UTF-16 with a byte order mark (Excel's "Unicode
text"). Commas, semicolons or tabs between columns. Anything else gets one clear problem.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from metrics.validation import Problem

# How often (in rows) a file being read reports its progress.
PROGRESS_EVERY = 500

EXCEL_TIP = "a CSV file: in Excel, use File, Save As, “CSV UTF-8 (comma delimited)”"

# File signatures of things people upload instead of a CSV file.
NOT_CSV_SIGNATURES: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "an Excel workbook or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
]

csv.field_size_limit(1_000_000)  # a longer cell is a broken file; csv says so instead of crashing


def size_problems(size: int, max_bytes: int) -> list[Problem]:
    """Empty and oversized files, told before a byte is read."""
    if size == 0:
        return [Problem("the file is empty", "a header row and at least one row of data")]
    if size > max_bytes:
        return [
            Problem(
                f"the file is {_megabytes(size)}, more than the {_megabytes(max_bytes)} Tandem takes",
                "a smaller file: split it by month and upload each part",
            )
        ]
    return []


def _megabytes(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def decode(data: bytes) -> tuple[str, list[Problem]]:
    """The text of ``data``, or the one problem that says why it is not a CSV file."""
    for signature, what in NOT_CSV_SIGNATURES:
        if data.startswith(signature):
            return "", [Problem(f"the file is not a CSV file: it looks like {what}", EXCEL_TIP)]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            return "", [Problem("the file is not readable UTF-16 text", EXCEL_TIP)]
    if b"\x00" in data[:65536]:
        return "", [Problem("the file is not a CSV file: it holds binary data", EXCEL_TIP)]
    try:
        text = data.decode("utf-8-sig")  # strips the byte order mark, if there is one
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")  # every byte is a Latin-1 character
    if not text.strip():
        return "", [Problem("the file is empty", "a header row and at least one row of data")]
    return text, []


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def header_key(name: str) -> str:
    """Header names match whatever their case and surrounding spaces."""
    return name.strip().strip("\ufeff").strip().lower()


@dataclass
class Row:
    line: int  # the file line the row starts on; the header is line 1
    cells: list[str]


@dataclass
class Table:
    """A CSV file's header and its rows, read lazily so a large file is never held as lists twice."""

    text: str
    delimiter: str
    header: list[str]
    columns: dict[str, int]  # header_key(name) -> position

    def has(self, name: str) -> bool:
        return header_key(name) in self.columns

    def value(self, row: Row, name: str) -> str:
        """The cell of ``row`` under the column called ``name``; "" where the row is short."""
        position = self.columns.get(header_key(name))
        if position is None or position >= len(row.cells):
            return ""
        return row.cells[position].strip()

    def rows(self, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
        """Data rows in file order, blank rows skipped (spreadsheets leave them at the end), telling
        ``progress`` how many were read every `PROGRESS_EVERY` rows."""
        reader = csv.reader(io.StringIO(self.text), delimiter=self.delimiter)
        next(reader, None)  # the header
        last, read = reader.line_num, 0
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                read += 1
                if progress and read % PROGRESS_EVERY == 0:
                    progress(read)
                yield Row(start, cells)

    def row_count(self) -> int:
        """About how many data rows there are, cheaply, for the progress bar."""
        return max(0, self.text.count("\n") + (0 if self.text.endswith("\n") else 1) - 1)


def table_read(data: bytes) -> tuple[Table | None, list[Problem]]:
    """Decode ``data`` and read its header row; the rows are read later, by `Table.rows`."""
    text, problems = decode(data)
    if problems:
        return None, problems
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = _delimiter(first_line)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error as error:
        return None, [Problem(f"the header row cannot be read ({error})", EXCEL_TIP, line=1)]
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        key = header_key(name)
        if not key:
            continue
        if key in columns:
            problems.append(
                Problem(f"the column {name.strip()!r} appears twice", "each column once", line=1, column=key)
            )
            continue
        columns[key] = position
    if problems:
        return None, problems
    return Table(text, delimiter, header, columns), []


def missing_columns(table: Table, required: list[str]) -> list[Problem]:
    """One problem per required column the header lacks."""
    return [
        Problem(
            f"the column {name} is missing",
            f"a header row naming the columns {', '.join(required)} (in any order)",
            line=1,
            column=name,
        )
        for name in required
        if not table.has(name)
    ]


def csv_error_problem(error: csv.Error, line: int) -> Problem:
    return Problem(f"the file cannot be read from here on ({error})", EXCEL_TIP, line=line)
