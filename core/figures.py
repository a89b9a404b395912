"""Figures as Tandem shows them: a plotly chart written on the server as plain JSON (drawn by plotly.js
in the browser), the same numbers as an accessible table, and that table as a CSV or Excel download.
Later apps' dashboards use the same pieces."""

import csv
import io
import itertools
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from plotly.io.json import to_json_plotly

from core.disclosure import Reason, words


@dataclass
class Table:
    """The numbers behind a figure: a caption, column headings and rows of plain values."""

    caption: str
    columns: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    slug: str = ""  # names the downloads; defaults to the caption

    @property
    def download_slug(self) -> str:
        return self.slug or slugify(self.caption)

    @property
    def download_name(self) -> str:
        return f"{self.download_slug}.csv"

    @property
    def xlsx_name(self) -> str:
        return f"{self.download_slug}.xlsx"


@dataclass(frozen=True)
class Suppressed:
    """A table cell not shown to protect privacy (`core.disclosure`): said in words, with its reason
    (on the page and in the CSV), never only by colour or by an empty cell, which would read as "no
    data". A count hidden so that another cannot be worked out can be any size: its words say so."""

    threshold: int = 11
    reason: Reason = Reason.COMPLEMENT
    is_suppressed = True

    def __str__(self) -> str:
        return words(self.reason, self.threshold)


@dataclass
class Chart:
    """A plotly figure as JSON, written once on the server, with a text summary for screen readers.
    Plain text, so a cached dashboard keeps its charts at the cost of a string."""

    json: str
    summary: str
    element_id: str = "chart"

    @property
    def script_json(self) -> SafeString:
        """The figure as JSON that is safe inside a <script> element (as Django's json_script)."""
        text = self.json
        return mark_safe(text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026"))


# Tandem's one chart palette: Okabe and Ito's colours for colour-blind readers (Color Universal Design).
# Any two stay apart with protanopia, deuteranopia or tritanopia, so no chart rests on red against
# green; its yellow is left out, too pale on white for a line. Every chart builder takes its colours
# from here (tests/test_palette.py holds the pairs apart), and every chart has a table beside it.
BLUE = "#0072B2"
ORANGE = "#E69F00"
BLUISH_GREEN = "#009E73"
VERMILLION = "#D55E00"
SKY_BLUE = "#56B4E9"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"
# Neutrals beside the palette: a series for comparison (the period before) and text and rules.
GREY = "#a9aeb1"
INK = "#1b1b1b"
MUTED = "#71767a"  # 4.8:1 on white, AA for text too
PALE_GREY = "#dfe1e2"  # an area with nothing to show (a suppressed county)
# An ordered scale (an answer from lowest to highest): the U.S. Web Design System's blues, light to
# dark, which read in order whatever a reader's colour vision, by lightness alone.
BLUES = ["#d9e8f6", "#97d4ea", "#28a0cb", "#0050d8", "#162e51"]

# Series colours in order; a figure that draws one series in two traces picks from these.
COLOURS = [BLUE, ORANGE, BLUISH_GREEN, VERMILLION, SKY_BLUE, REDDISH_PURPLE, BLACK]
# Where more series than colours are drawn (the map's sectors), the marker's shape tells them apart too.
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "star"]

# Tandem's look: the page's font, room for labels, no plotly logo.
LOOK = {
    "font": {"family": "Source Sans Pro, Helvetica, Arial, sans-serif", "size": 14, "color": INK},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "colorway": COLOURS,
}
MARGIN = {"l": 60, "r": 20, "t": 30, "b": 60}


def bar(**trace: Any) -> dict[str, Any]:
    """A plotly bar trace as plain JSON (plotly.js's attribute names, nested, as in its reference)."""
    return {"type": "bar", **trace}


def scatter(**trace: Any) -> dict[str, Any]:
    """A plotly scatter (line or marker) trace as plain JSON."""
    return {"type": "scatter", **trace}


def figure(traces: Sequence[dict[str, Any]], **layout: Any) -> dict[str, Any]:
    """A plotly figure as plain JSON. The dashboards write theirs this way: plotly's Python objects
    check every attribute as they are built, which costs more than the rest of a dashboard."""
    return {"data": list(traces), "layout": layout}


def hline(y: float, *, line: dict[str, Any], text: str = "") -> dict[str, Any]:
    """A horizontal line across the plot at ``y`` (plotly's ``add_hline``), labelled at the top left."""
    shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y, "line": line}
    label = {
        "xref": "paper", "x": 0, "yref": "y", "y": y, "text": text,
        "showarrow": False, "xanchor": "left", "yanchor": "bottom",
    }  # fmt: skip
    return {"shapes": [shape], "annotations": [label] if text else []}


def chart(
    drawn: "go.Figure | dict[str, Any]",
    *,
    summary: str,
    element_id: str = "chart",
    margin: dict[str, int] | None = None,
) -> Chart:
    """Give a figure (plain JSON, or a plotly object on pages drawn rarely) Tandem's look and write it
    as JSON; ``margin`` overrides parts of the default margin (room for a legend above, a map's
    edges)."""
    plain = drawn.to_plotly_json() if isinstance(drawn, go.Figure) else drawn
    layout = {**LOOK, **plain.get("layout", {})}
    layout["margin"] = {**MARGIN, **layout.get("margin", {}), **(margin or {})}
    return Chart(
        json=to_json_plotly({"data": plain["data"], "layout": layout}), summary=summary, element_id=element_id
    )


def wants_csv(request: HttpRequest, table: Table) -> bool:
    """Pages offer each table as CSV at the same address with ``?download=<slug>``."""
    return request.GET.get("download") == table.download_slug


def wants_xlsx(request: HttpRequest, table: Table) -> bool:
    """... and as an Excel workbook with ``?download=<slug>.xlsx`` (a slug never holds a dot), so the
    page's other parameters, and the figures' cache, which leaves ``download`` out, are untouched."""
    return request.GET.get("download") == table.xlsx_name


# What a spreadsheet program takes for the start of a formula in a cell (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet program reads as the text or number it is, never as a formula.

    Text that begins like a formula (an organization called ``=HYPERLINK(...)``, a note starting with
    ``@SUM``) gets a single quote in front, as OWASP advises, which spreadsheets show as text. Numbers
    stay numbers, negative ones included; anything else (a suppressed cell, a date) is text.
    """
    if value is None or (isinstance(value, numbers.Number) and not isinstance(value, bool)):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(cell: str) -> str:
    """A cell of a CSV file Tandem wrote, read back: without the quote `csv_cell` put before a
    formula's first character (a file saved from a spreadsheet program has none)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def csv_write(out: Any, rows: Iterable[Sequence[Any]], **options: Any) -> None:
    """Write ``rows`` (the header first) to ``out``, a file or a response: every CSV Tandem hands
    out is written here, each cell through `csv_cell`."""
    writer = csv.writer(out, **options)
    writer.writerows([csv_cell(value) for value in row] for row in rows)


def csv_response(table: Table) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.download_name}"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    csv_write(response, [table.columns, *table.rows])
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_WIDTH = 60  # characters: a wider column is cut on screen, its text kept whole
MAX_LIST = 255  # characters of a drop-down list written in its cell's rule, Excel's limit
_SHEET_TITLE_BAD = re.compile(r"[\\/?*\[\]:]")


def xlsx_cell(value: Any) -> Any:
    """A cell of an Excel download, as `csv_cell` writes it to a CSV file: numbers stay numbers,
    anything else (a suppressed cell, a date) is its text, never the value behind it.

    Unlike a CSV cell, a workbook's text cell is never read as a formula, so the text is written as it
    is, without `csv_cell`'s quote; but openpyxl takes a text beginning with ``=`` for a formula, so
    that one is marked as text (``data_type = "s"``) with Excel's own quote prefix, which keeps it text
    when someone edits the cell. Characters a workbook cannot hold (control characters) are dropped,
    and a carriage return is a line feed."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, numbers.Number):
        return value if math.isfinite(value) else str(value)
    return str(value)


def xlsx_write(
    out: Any,
    rows: Iterable[Sequence[Any]],
    *,
    title: str,
    widths: Sequence[int] = (),
    lists: dict[int, Sequence[str]] | None = None,
) -> None:
    """Write ``rows`` (the header first) as one sheet of an Excel workbook to ``out``, a binary file or
    a response: every workbook Tandem hands out is written here. The header is bold and frozen;
    ``widths`` sets the columns' widths in characters (else from the header and the first rows);
    ``lists`` offers a drop-down list of codes under the header for the columns at those positions.

    openpyxl's write-only mode streams the rows to the sheet and keeps none of them as cells."""
    # openpyxl takes a quarter of a second to import: loaded when a workbook is written, not by every
    # process that draws a page.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_SHEET_TITLE_BAD.sub(" ", title).strip()[:31] or "Table")
    iterator = iter(rows)
    header = [xlsx_cell(name) for name in next(iterator, [])]
    first = [[xlsx_cell(value) for value in row] for row in itertools.islice(iterator, 200)]  # for widths
    if not widths:
        widths = [
            min(
                MAX_WIDTH,
                2 + max(len(str(row[column] or "")) for row in [header, *first] if column < len(row)),
            )
            for column in range(len(header))
        ]
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    for position, codes in (lists or {}).items():
        listed = ",".join(codes)
        if len(listed) > MAX_LIST:
            continue  # Excel takes no longer list written in place: the column stays free text
        letter = get_column_letter(position + 1)
        validation = DataValidation(
            type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=False
        )
        validation.add(f"{letter}2:{letter}1048576")
        sheet.data_validations.append(validation)  # a write-only sheet has no add_data_validation
    bold = Font(bold=True)

    def cells(row: Sequence[Any], *, heading: bool = False) -> list[Any]:
        written = []
        for value in row:
            if isinstance(value, str):
                # A line break in a cell is a line feed; XML would read a carriage return as one anyway.
                value = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
            if heading or (isinstance(value, str) and value.startswith("=")):
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type, cell.quotePrefix = "s", True
                if heading:
                    cell.font = bold
                value = cell
            written.append(value)
        return written

    sheet.append(cells(header, heading=True))
    for row in first:
        sheet.append(cells(row))
    for row in iterator:
        sheet.append(cells([xlsx_cell(value) for value in row]))
    workbook.save(out)


def xlsx_bytes(rows: Iterable[Sequence[Any]], **options: Any) -> bytes:
    """`xlsx_write` to bytes."""
    out = io.BytesIO()
    xlsx_write(out, rows, **options)
    return out.getvalue()


# A figure a page wrote as text ("3.67"): a number in the sheet, as a spreadsheet program reads it from
# the CSV. No sign (the CSV keeps "-3" text), no leading zero (a code such as "01001"), at most 15 digits
# (what a spreadsheet's number holds exactly).
_NUMBER_TEXT = re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?")


def _table_cell(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        return float(value) if "." in value else int(value)
    return value


def xlsx_response(table: Table) -> HttpResponse:
    """A page's table as an Excel workbook: numbers as numbers, figures the page wrote as text
    ("3.67") included, anything else as the CSV writes it."""
    rows = ([_table_cell(value) for value in row] for row in table.rows)
    response = HttpResponse(xlsx_bytes([table.columns, *rows], title=table.caption), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{table.xlsx_name}"'
    return response


def download_or_none(request: HttpRequest, *tables: Table) -> HttpResponse | None:
    """The CSV or Excel workbook of whichever of the page's tables was asked for, or None to render the
    page."""
    for table in tables:
        if wants_csv(request, table):
            return csv_response(table)
        if wants_xlsx(request, table):
            return xlsx_response(table)
    return None


# More top margin than Tandem's default, for a legend or panel titles above the bars.
ROOM_AT_TOP = {"t": 70}
