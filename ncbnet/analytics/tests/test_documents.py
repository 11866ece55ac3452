"""The yearly report's documents: the HTML page (each section's table and chart, no script or
style, right to left in Arabic) and the PDF (it opens, its title page, each table's text in each
of the four languages with the header repeated on every page the table runs onto, page numbers)."""

import io
import re

import pytest
import vl_convert
from pypdf import PdfReader

from ncbnet.analytics.documents import LANGUAGES, Section, render_html, render_pdf

# Each language's words, so that a page or a PDF shows it wrote that language's text.
WORDS = {
    "en": ("Searches by country", "Country", "Searches", "France", "Kenya"),
    "fr": ("Recherches par pays", "Pays", "Recherches", "Allemagne", "Sénégal"),
    "es": ("Búsquedas por país", "País", "Búsquedas", "España", "Perú"),
    "ar": ("عمليات البحث حسب البلد", "البلد", "عمليات", "فرنسا", "كينيا"),
}


def spec(language, values):
    title, country, searches, *_ = WORDS[language]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": title,
        "data": {"values": [{"country": c, "n": n} for c, n in values]},
        "mark": "bar",
        "encoding": {
            "y": {"field": "country", "type": "nominal", "title": country},
            "x": {"field": "n", "type": "quantitative", "title": searches},
        },
    }


def sections(language, rows=3):
    title, country, searches, first, second = WORDS[language]
    chart = spec(language, [(first, 1234), (second, 77)])
    table = [[first, 1234], [second, "< 5"]] + [[f"{first} {i}", i * 10] for i in range(rows)]
    return [
        Section(
            title=title,
            text=f"{title}: {first}, {second}.",
            svg=vl_convert.vegalite_to_svg(chart),
            vega_lite=chart,
            columns=[country, searches],
            rows=table,
            note=f"screening.searched 2026 ({language}): 3 nodes",
        ),
        Section(
            title=f"{title} 2",
            text="",
            svg=None,
            vega_lite=None,
            columns=[country],
            rows=[[second]],
            note="one line",
        ),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_has_each_sections_table_and_chart_and_no_script_or_style(language):
    html = render_html("The network in figures, 2026", sections(language), language, year=2026)
    assert "<script" not in html.lower() and "<style" not in html.lower()
    assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE)
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html
    for section in sections(language):
        assert f">{section.title}</h2>" in html
        header = "".join(f'<th scope="col">{c}</th>' for c in section.columns)
        assert f"<thead><tr>{header}</tr></thead>" in html
        for row in section.rows:
            assert "<tr>" + "".join(f"<td>{c}</td>".replace("< 5", "&lt; 5") for c in row) + "</tr>" in html
        assert section.note in html
    assert html.count("<svg") == 1 and "<figure" in html
    assert "2026" in html


def test_a_chart_with_a_script_or_a_style_is_refused():
    for svg in (
        "<svg><script>alert(1)</script></svg>",
        '<svg><rect style="x"/></svg>',
        "<svg><style/></svg>",
    ):
        with pytest.raises(ValueError, match="CSP"):
            Section("t", "", svg, None, ["a"], [["b"]], "n")


def test_a_row_with_more_or_fewer_cells_than_columns_is_refused():
    with pytest.raises(ValueError, match="one cell per column"):
        Section("t", "", None, None, ["a", "b"], [["only one"]], "n")


def text_of(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_opens_with_each_tables_text_in_its_language(language):
    pdf = render_pdf(WORDS[language][0], sections(language), language, year=2026)
    assert pdf.startswith(b"%PDF-")
    reader, pages = text_of(pdf)
    assert len(reader.pages) == 3  # the title page and one page per section
    assert "2026" in pages[0] and WORDS[language][0] in pages[0]
    whole = "\n".join(pages)
    for section in sections(language):
        for word in [section.title, *section.columns, *(str(c) for row in section.rows for c in row)]:
            for part in word.split():  # Arabic reads right to left: words, not phrases, in order
                assert part in whole, (language, part)
    assert "< 5" in whole or "5 <" in whole  # right to left, "< 5" is laid out as "5 <"


def test_arabic_is_shaped():
    """A letter takes its joined forms: the PDF uses more than one glyph for one Arabic letter
    (noon, U+0646, initial in "نص" and isolated or final elsewhere); unshaped text would use one."""
    section = Section("نص", "نص نص", None, None, ["البلد"], [["نص"], ["بن"]], "ن")
    pdf = render_pdf("نص", [section], "ar")
    reader = PdfReader(io.BytesIO(pdf))
    most = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            cmap = font.get_object().get("/ToUnicode")
            if cmap is None:
                continue
            data = cmap.get_object().get_data().decode("latin-1")
            pairs = re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", data)
            most = max(most, len({glyph for glyph, text in pairs if text.upper() == "0646"}))
    assert most >= 2


def test_a_long_table_repeats_its_header_on_every_page_and_pages_are_numbered():
    pdf = render_pdf("The network in figures, 2026", sections("en", rows=200), "en", year=2026)
    _reader, pages = text_of(pdf)
    assert "Published by the General Secretariat" in pages[0]
    table_pages = [p for p in pages[1:] if "France 1" in p]
    assert len(table_pages) >= 3
    assert all(p.count("Country Searches") == 1 for p in table_pages)
    for number, page in enumerate(pages[1:], start=2):
        assert page.rstrip().endswith(f"Page {number}")


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="not one of the report's languages"):
        render_pdf("t", [], "de")
    with pytest.raises(ValueError, match="not one of the report's languages"):
        render_html("t", [], "zz")
