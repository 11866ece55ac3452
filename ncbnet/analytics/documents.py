"""The yearly network report as documents: a page of HTML and a PDF, from the same sections.

A section is what the dashboards show of one figure: a title, a sentence, its chart (the SVG
already rendered for the page, and the Vega-Lite specification it came from, which the PDF draws
as an image), the table of its numbers (a count under 5 already written "< 5" where the figure is
published), and one line that says which query made it and which countries it covers.

The HTML is a template of its own (`analytics/report_document.html`): printable, right to left in
Arabic, and with no inline style or script (the content security policy): the charts' SVG is
checked for both before it is put in. The PDF is written with fpdf2 in DejaVu Sans (shipped in
`data/` with its licence), which covers the Latin and Arabic scripts; Arabic is shaped by
HarfBuzz (uharfbuzz). Its tables repeat their header row on every page they run onto.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import vl_convert
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos
from PIL import Image

Cell = str | int | float
DATA = Path(__file__).resolve().parent / "data"
FONT = DATA / "DejaVuSans.ttf"
FONT_BOLD = DATA / "DejaVuSans-Bold.ttf"
RTL = frozenset({"ar"})
LANGUAGES = ("en", "fr", "es", "ar")
# What the content security policy forbids in a page: a script, a style sheet, a style attribute,
# an event handler or a javascript: link, anywhere in a chart's SVG.
_UNSAFE = re.compile(r"<\s*script|<\s*style|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    title: str
    text: str
    svg: str | None  # the chart, already rendered (no script, no style: checked when rendered)
    vega_lite: dict[str, Any] | None  # the chart's Vega-Lite specification, drawn for the PDF
    columns: list[str]
    rows: list[list[Cell]]  # a suppressed count is the text "< 5"
    note: str  # the query and the coverage, one line

    def __post_init__(self) -> None:
        if any(len(row) != len(self.columns) for row in self.rows):
            raise ValueError(f"{self.title!r}: every row has one cell per column ({len(self.columns)})")
        if self.svg is not None and _UNSAFE.search(self.svg):
            raise ValueError(f"{self.title!r}: the chart's SVG holds a script or a style (CSP)")
        if "\n" in self.note:
            raise ValueError(f"{self.title!r}: the note is one line")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Section:
        return cls(**{k: data[k] for k in ("title", "text", "svg", "vega_lite", "columns", "rows", "note")})


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not one of the report's languages ({', '.join(LANGUAGES)})")


def render_html(title: str, sections: Sequence[Section], language: str, *, year: int | None = None) -> str:
    """The report as one HTML page in `language`."""
    check_language(language)
    with translation.override(language):
        return render_to_string(
            "analytics/report_document.html",
            {
                "title": title,
                "year": year,
                "sections": sections,
                "language": language,
                "direction": "rtl" if language in RTL else "ltr",
            },
        )


def chart_png(spec: dict[str, Any]) -> bytes:
    """A chart drawn for print from its Vega-Lite specification (twice the screen's resolution)."""
    return bytes(vl_convert.vegalite_to_png(spec, scale=2))


class _Document(FPDF):
    def __init__(self, language: str) -> None:
        super().__init__(format="A4")
        self.language = language
        self.rtl = language in RTL
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font("DejaVu", "", str(FONT))
        self.add_font("DejaVu", "B", str(FONT_BOLD))
        self.set_font("DejaVu", size=10)
        if self.rtl:
            self.set_text_shaping(True, direction="rtl", script="arab", language="ara")
        else:
            self.set_text_shaping(True)
        self.align = Align.R if self.rtl else Align.L

    def footer(self) -> None:
        if self.page_no() == 1:
            return  # the title page
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 6, _("Page %(page)s") % {"page": self.page_no()}, align=Align.C)

    def chart(self, png: bytes, title: str) -> None:
        """A drawn chart at its own size (drawn at twice 96 pixels an inch), within the page's
        width and half its height, centred."""
        with Image.open(io.BytesIO(png)) as image:
            width_px, height_px = image.size
        width = min(self.epw, width_px / 2 * 25.4 / 96)
        height = width * height_px / width_px
        if height > self.eph / 2:
            width, height = width * (self.eph / 2) / height, self.eph / 2
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()
        self.image(io.BytesIO(png), x=(self.w - width) / 2, w=width, h=height, alt_text=title)
        self.ln(4)

    def paragraph(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        self.multi_cell(0, height, text, align=self.align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(
    title: str,
    sections: Sequence[Section],
    language: str,
    *,
    year: int | None = None,
    charts: Sequence[bytes | None] | None = None,
) -> bytes:
    """The report as a PDF in `language`: a title page, then each section with its chart and its
    table. `charts`, one per section, are the charts already drawn (`chart_png`); without them,
    each section's Vega-Lite specification is drawn here."""
    check_language(language)
    if charts is not None and len(charts) != len(sections):
        raise ValueError("one drawn chart (or None) per section")
    with translation.override(language):
        pdf = _Document(language)
        pdf.set_title(title)
        pdf.set_lang(language)
        pdf.set_creator("ncbnet")
        pdf.add_page()
        pdf.set_y(90)
        pdf.paragraph(title, size=24, bold=True, height=11)
        if year is not None:
            pdf.ln(4)
            pdf.paragraph(str(year), size=18, height=9)
        pdf.ln(10)
        pdf.paragraph(_("Published by the General Secretariat"), size=12, height=6)
        for position, section in enumerate(sections):
            pdf.add_page()
            pdf.paragraph(section.title, size=14, bold=True, height=7)
            pdf.ln(2)
            if section.text:
                pdf.paragraph(section.text)
                pdf.ln(2)
            drawn = charts[position] if charts is not None else None
            if drawn is None and charts is None and section.vega_lite is not None:
                drawn = chart_png(section.vega_lite)
            if drawn is not None:
                pdf.chart(drawn, section.title)
            _table(pdf, section)
            pdf.ln(2)
            pdf.set_text_color(90)
            pdf.paragraph(section.note, size=8, height=4)
            pdf.set_text_color(0)
        return bytes(pdf.output())


def _table(pdf: _Document, section: Section) -> None:
    columns = list(section.columns)
    rows = [[str(cell) for cell in row] for row in section.rows]
    if pdf.rtl:  # the first column on the right, as the page reads
        columns.reverse()
        rows = [list(reversed(row)) for row in rows]
    pdf.set_font("DejaVu", size=9)
    with pdf.table(
        repeat_headings=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        text_align=Align.R if pdf.rtl else Align.L,
        line_height=5,
    ) as table:
        heading = table.row()
        for column in columns:
            heading.cell(column)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
