"""From uploaded bytes to rows whose columns are found by header name, read strictly.

Accepted: UTF-8 with or without a byte order mark (what Excel's "CSV UTF-8" writes), Windows-1252 and
its Latin-1 subset (what older Excel writes), and UTF-16 with a byte order mark (Excel's "Unicode
text"). Commas, semicolons or tabs between columns.

Strict, because a lenient reader guesses, and a wrong guess drops or moves counts without a word (an
unclosed quote used to swallow every row after it into one ignored cell). Each line must stand on its
own, or it is a problem on its line and the file is refused whole:
- one row per line: a quote that opens a cell closes on the same line, and a quote inside a quoted
  cell is doubled (a quote in the middle of an unquoted cell is taken as it is: it moves nothing);
- as many cells as the header has columns (empty cells after the last column are allowed:
  spreadsheets leave them);
- one encoding throughout, and no control characters.

A file is read a chunk at a time (`CHUNK`) and never held whole: one pass decides the encoding and
counts the lines, and `Table.rows` reads it again line by line.
"""

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from core.problems import Problem

# How often (in rows) a file being read reports its progress.
PROGRESS_EVERY = 500
# Problems listed before a file is read no further: beyond this it is broken throughout.
MAX_PROBLEMS = 1000
CHUNK = 1024 * 1024  # bytes read at a time: what a file costs in memory, whatever its size
MAX_LINE = 100_000  # characters: far more than any row of Tandem's or the DPRP's files

EXCEL_TIP = "a CSV file: in Excel, use File, Save As, “CSV UTF-8 (comma delimited)”"
QUOTE_TIP = 'a cell that holds a comma written in quotes, "like, this", a quote in it doubled: ""'

# File signatures of things people upload instead of a CSV file.
NOT_CSV_SIGNATURES: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "an Excel workbook or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls), or one protected by a password"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
]
# Bytes that are no character in Windows-1252 (control codes in Latin-1).
_UNDEFINED_1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# A multi-byte UTF-8 character, which Windows-1252 would misread as two or three ("PeÃ±a").
_UTF8_CHARACTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NON_ASCII = re.compile("[^\x00-\x7f\ufeff]")
# Control characters are not text (a tab separates cells; line ends end lines).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

csv.field_size_limit(MAX_LINE * 10)  # lines are cut at MAX_LINE first; csv never holds more


class MalformedFile(csv.Error):
    """Lines that break the rules above, each a problem on its line. A `csv.Error`, so a caller that
    catches those catches it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems[:3]))
        self.problems = problems


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


@dataclass
class FileCount:
    """What one cheap pass over an uploaded file tells before it is read."""

    sha256: str
    lines: int

    @property
    def rows(self) -> int:
        """Rows under the header, blank lines included: never fewer than the rows `Table.rows` reads."""
        return max(0, self.lines - 1)


def file_count(chunks: Iterator[bytes]) -> FileCount:
    """Hash and count the lines of a file a chunk at a time (a million lines take a few milliseconds)."""
    digest = hashlib.sha256()
    lines, last = 0, b"\n"
    for chunk in chunks:
        digest.update(chunk)
        lines += chunk.count(b"\n")
        last = chunk[-1:] or last
    return FileCount(digest.hexdigest(), lines + (last != b"\n"))


def row_limit_problems(rows: int, max_rows: int) -> list[Problem]:
    """A file of more rows than Tandem reads, told before it is read."""
    if rows <= max_rows:
        return []
    return [
        Problem(
            f"the file has {rows:,} rows; Tandem reads files of up to {max_rows:,} rows",
            "a smaller file: split it by months and upload each part",
        )
    ]


@dataclass
class _Scan:
    """One pass over a file in one encoding: where it first fails, if it does."""

    lines: int = 0  # line ends seen
    has_content: bool = False  # anything but white space
    bad_line: int | None = None
    bad_byte: bytes = b""
    non_ascii_line: int | None = None  # the first line with a character beyond ASCII
    open_end: bool = False  # the last line has no line end

    @property
    def line_count(self) -> int:
        return self.lines + self.open_end


def _scan(file: BinaryIO, encoding: str, *, partial: str) -> _Scan:
    """Decode ``file`` chunk by chunk, keeping only counts. ``partial`` decodes the piece of a failing
    chunk before the failure, to count its lines."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    scan = _Scan()
    while True:
        data = file.read(CHUNK)
        held = len(decoder.getstate()[0])  # bytes of a character cut by the previous chunk's end
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            good = data[: max(0, error.start - held)].decode(partial, errors="replace")
            scan.bad_line = scan.lines + good.count("\n") + 1
            scan.bad_byte = error.object[error.start : error.start + 1]
            if scan.non_ascii_line is None and (character := _NON_ASCII.search(good)):
                scan.non_ascii_line = scan.lines + good.count("\n", 0, character.start()) + 1
            return scan
        if scan.non_ascii_line is None and (character := _NON_ASCII.search(text)):
            scan.non_ascii_line = scan.lines + text.count("\n", 0, character.start()) + 1
        scan.lines += text.count("\n")
        scan.has_content = scan.has_content or bool(text.strip().strip("\ufeff"))
        scan.open_end = not text.endswith("\n") if text else scan.open_end
        if not data:
            return scan


def _scan_1252(file: BinaryIO) -> tuple[_Scan, int | None]:
    """A file that is not UTF-8, as Windows-1252: where a byte is no character in it, and the first
    line that holds what can only be a UTF-8 character."""
    file.seek(0)
    scan, utf8_line = _Scan(), None
    while data := file.read(CHUNK):
        if scan.bad_line is None and (undefined := _UNDEFINED_1252.search(data)):
            scan.bad_line = scan.lines + data.count(b"\n", 0, undefined.start()) + 1
            scan.bad_byte = undefined.group()
        if utf8_line is None and (character := _UTF8_CHARACTER.search(data)):
            utf8_line = scan.lines + data.count(b"\n", 0, character.start()) + 1
        scan.lines += data.count(b"\n")
        scan.has_content = scan.has_content or bool(data.strip())
        scan.open_end = not data.endswith(b"\n")
    return scan, utf8_line


def _encoding(file: BinaryIO) -> tuple[str, int, list[Problem]]:
    """How ``file`` is encoded and how many lines it has, or the one problem that says why it is not
    a CSV file Tandem reads."""
    file.seek(0)
    head = file.read(65536)
    for signature, what in NOT_CSV_SIGNATURES:
        if head.startswith(signature):
            return "", 0, [Problem(f"the file is not a CSV file: it looks like {what}", EXCEL_TIP)]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        scan = _scan(file, encoding, partial="utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be")
        if scan.bad_line:
            return "", 0, [Problem("the line is not readable UTF-16 text", EXCEL_TIP, line=scan.bad_line)]
    elif b"\x00" in head:
        return "", 0, [Problem("the file is not a CSV file: it holds binary data", EXCEL_TIP)]
    else:
        encoding = "utf-8-sig"  # strips the byte order mark, if there is one
        scan = _scan(file, encoding, partial="utf-8")
        if scan.bad_line:
            utf8 = scan
            encoding, (scan, utf8_line) = "cp1252", _scan_1252(file)
            utf8_line = utf8.non_ascii_line or utf8_line
            if utf8_line:
                message = (
                    f"the line is not UTF-8 text, but line {utf8_line} is: the file mixes two kinds of text"
                )
                return "", 0, [Problem(message, EXCEL_TIP, line=utf8.bad_line)]
            if scan.bad_line:
                message = (
                    f"the line holds the byte 0x{scan.bad_byte.hex().upper()}, which is not a character in "
                    "UTF-8, Latin-1 or Windows-1252 text"
                )
                return "", 0, [Problem(message, EXCEL_TIP, line=scan.bad_line)]
    if not scan.has_content:
        return "", 0, [Problem("the file is empty", "a header row and at least one row of data")]
    return encoding, scan.line_count, []


class _RunsOn(Exception):
    """The csv reader wants a second line for one row: a quote opened on the line was not closed."""


class _OneLine:
    """What the csv reader reads from: the one line put in, then `_RunsOn` where it wants more."""

    def __init__(self) -> None:
        self.line: str | None = None

    def __iter__(self) -> "_OneLine":
        return self

    def __next__(self) -> str:
        line, self.line = self.line, None
        if line is None:
            raise _RunsOn
        return line


def _lines(file: BinaryIO, encoding: str) -> Iterator[str]:
    """The file's lines, each ending in a line feed, decoded a chunk at a time. A line far longer than
    any row stops the reading: a file with no line ends would otherwise be held whole."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    pending, number = "", 0
    too_long = f"the line is longer than {MAX_LINE:,} characters"
    while True:
        data = file.read(CHUNK)
        pending += decoder.decode(data, final=not data)
        *complete, pending = pending.split("\n")
        for line in complete:
            number += 1
            if len(line) > MAX_LINE:
                raise MalformedFile([Problem(too_long, "one row per line", number)])
            yield line + "\n"
        if len(pending) > MAX_LINE:
            raise MalformedFile([Problem(too_long, "one row per line", number + 1)])
        if not data:
            break
    if pending:
        yield pending + "\n"


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def header_key(name: str) -> str:
    """Header names match whatever their case and surrounding spaces."""
    return name.strip().strip("\ufeff").strip().lower()


@dataclass
class Row:
    line: int  # the file line the row is on; the header is line 1
    cells: list[str]


class _LineReader:
    """Lines to cells, one line at a time, each checked on its own."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.source = _OneLine()
        self.reader = csv.reader(self.source, delimiter=delimiter, strict=True)

    def cells(self, text: str, number: int, header: list[str]) -> tuple[list[str] | None, Problem | None]:
        if control := _CONTROL.search(text):
            return None, Problem(
                f"the line holds a control character (U+{ord(control.group()):04X}), which is not text",
                EXCEL_TIP,
                number,
            )
        self.source.line = text
        try:
            # The reader starts afresh on each call, so a line it refused does not spoil the next.
            return next(self.reader), None
        except _RunsOn:
            return None, Problem(
                'the quote (") that opens this cell is not closed on its line',
                QUOTE_TIP,
                number,
                self._unclosed_column(text, header),
            )
        except csv.Error as error:
            self.source.line = None
            if "expected after" in str(error):
                return None, Problem(
                    'a quote (") stands inside a cell: a quoted cell ends with its quote', QUOTE_TIP, number
                )
            if "new-line character" in str(error):
                message = (
                    "the line holds a carriage return that does not end it (an old Mac file, whose lines "
                    "end in carriage returns alone?)"
                )
                return None, Problem(message, EXCEL_TIP, number)
            return None, Problem(f"the line cannot be read as CSV ({error})", QUOTE_TIP, number)

    def _unclosed_column(self, text: str, header: list[str]) -> str:
        """The column of the cell whose quote is not closed: the line read with the quote closed."""
        try:
            cells = next(csv.reader([text.rstrip("\r\n") + '"'], delimiter=self.delimiter))
        except csv.Error:
            return ""
        position = len(cells) - 1
        return header_key(header[position]) if position < len(header) else ""


@dataclass
class Table:
    """A CSV file's header, its rows read lazily from the file (which stays open while they are)."""

    file: BinaryIO
    encoding: str
    delimiter: str
    header: list[str]
    columns: dict[str, int]  # header_key(name) -> position
    lines: int = 0
    width: int = field(init=False)  # cells a row has: up to the header's last named column
    malformed: int = field(init=False, default=0)  # lines `rows` found breaking the rules
    _positions: dict[str, int | None] = field(init=False, default_factory=dict)  # by name as asked

    def __post_init__(self) -> None:
        named = [position for position, name in enumerate(self.header) if header_key(name)]
        self.width = named[-1] + 1 if named else 0

    def has(self, name: str) -> bool:
        return header_key(name) in self.columns

    def position(self, name: str) -> int | None:
        """Where the column called ``name`` is in a row, or None if the file has no such column."""
        return self.columns.get(header_key(name))

    def value(self, row: Row, name: str) -> str:
        """The cell of ``row`` under the column called ``name``."""
        try:
            position = self._positions[name]
        except KeyError:  # once per name: a DPRP file asks for some twenty cells of every row
            position = self._positions[name] = self.columns.get(header_key(name))
        if position is None or position >= len(row.cells):
            return ""
        return row.cells[position].strip()

    def rows(
        self, progress: Callable[[int], None] | None = None, problems: list[Problem] | None = None
    ) -> Iterator[Row]:
        """Data rows in file order, blank rows skipped (spreadsheets leave them at the end), telling
        ``progress`` how many were read every `PROGRESS_EVERY` rows.

        A line that breaks the rules is skipped, its problem added to ``problems``; without that list,
        `MalformedFile` is raised with them all once the rows are read. Reading stops once the
        problems (the caller's own included) reach `MAX_PROBLEMS`."""
        found = problems if problems is not None else []
        read = 0
        try:
            for number, cells, problem in self._lines_read():
                if len(found) >= MAX_PROBLEMS:
                    found.append(stopped(number))
                    break
                if problem is not None:
                    found.append(problem)
                    self.malformed += 1
                    continue
                if not any(cell.strip() for cell in cells):
                    continue
                read += 1
                if progress and read % PROGRESS_EVERY == 0:
                    progress(read)
                yield Row(number, cells)
        except MalformedFile as error:  # a line far too long, say: nothing after it can be read
            found += error.problems
            self.malformed += 1
        if problems is None and found:
            raise MalformedFile(found)

    def _lines_read(self) -> Iterator[tuple[int, list[str], Problem | None]]:
        """Each line under the header: its number, its cells, and the problem that breaks it, if one
        does (then its cells are not to be read). `MalformedFile` where nothing after can be read."""
        reader = _LineReader(self.delimiter)
        lines = enumerate(_lines(self.file, self.encoding), start=1)
        next(lines, None)  # the header
        for number, text in lines:
            cells, problem = reader.cells(text, number, self.header)
            if problem is None and cells and len(cells) != self.width:
                problem = self._width_problem(cells, number)
            yield number, cells or [], problem

    def _width_problem(self, cells: list[str], number: int) -> Problem | None:
        if len(cells) > self.width and not any(cell.strip() for cell in cells[self.width :]):
            return None  # empty cells after the last column
        if not any(cell.strip() for cell in cells):
            return None  # a blank row of separators
        return Problem(
            f"the line has {len(cells)} cells, but the header has {self.width} columns",
            f"one cell for each column of the header; {QUOTE_TIP}",
            number,
        )

    def row_count(self) -> int:
        """How many lines there are under the header, blank ones included, for the progress bar."""
        return max(0, self.lines - 1)


def stopped(line: int) -> Problem:
    return Problem(
        f"the file was read no further than this line: it has more than {MAX_PROBLEMS:,} problems",
        "the problems above corrected first",
        line,
    )


def table_read(data: bytes) -> tuple[Table | None, list[Problem]]:
    """`table_open` for a file held in memory."""
    return table_open(io.BytesIO(data))


def table_open(file: BinaryIO) -> tuple[Table | None, list[Problem]]:
    """Find the encoding of ``file`` (binary, seekable, kept open while the rows are read) and read its
    header row; the rows are read later, by `Table.rows`."""
    encoding, line_count, problems = _encoding(file)
    if problems:
        return None, problems
    lines = _lines(file, encoding)
    try:
        first = next(lines)
    except MalformedFile as error:
        return None, error.problems
    delimiter = _delimiter(first)
    header, problem = _LineReader(delimiter).cells(first, 1, [])
    if problem is not None:
        return None, [problem]
    columns, problems = header_columns(header or [])
    if problems:
        return None, problems
    return Table(file, encoding, delimiter, header or [], columns, line_count), []


def header_columns(header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    """Where each column named in the header row is (by `header_key`), or the names given twice."""
    columns: dict[str, int] = {}
    problems = []
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
    return columns, problems


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
    """The problem a csv error stands for: a malformed line's own, or one at ``line``."""
    if isinstance(error, MalformedFile) and error.problems:
        return error.problems[0]
    return Problem(f"the file cannot be read from here on ({error})", EXCEL_TIP, line=line)
