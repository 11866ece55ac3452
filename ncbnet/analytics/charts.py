"""Charts drawn on the server as SVG, from a figure's Vega-Lite specification (`vl-convert-python`
renders it without a browser). The project's content security policy allows no inline script and no
inline style, so every SVG is checked before it leaves: one with a `<script`, a `<style` or a
`style=` attribute is refused (`UnsafeChart`), never served. The drawing is labelled for assistive
technology (`role="img"`, a `<title>`); the table beside every chart holds its numbers."""

from __future__ import annotations

import re
from html import escape

import vl_convert

from .figures import Figure

_UNSAFE = re.compile(r"<\s*script|<\s*style|[\s\"'/]style\s*=", re.IGNORECASE)
_ROOT = re.compile(r"<svg\b[^>]*>")


class UnsafeChart(ValueError):
    """An SVG that would carry a script or an inline style past the content security policy."""


def check(svg: str) -> str:
    """The SVG as it is, or UnsafeChart naming what it carries."""
    found = _UNSAFE.search(svg)
    if found:
        raise UnsafeChart(
            f"the chart carries {found.group(0).strip()!r}, which the content security policy refuses"
        )
    return svg


def render(figure: Figure) -> str:
    """The figure's chart as SVG, labelled with its title; ValueError for a figure without one."""
    if figure.chart is None:
        raise ValueError(f"the figure {figure.key!r} has no chart (it has no rows)")
    svg = vl_convert.vegalite_to_svg(figure.chart)
    root = _ROOT.search(svg)
    if root is None:
        raise UnsafeChart("the renderer's output is not an SVG document")
    label = f'<title id="chart-{escape(figure.key)}-title">{escape(figure.title)}</title>'
    opening = root.group(0)[:-1] + f' role="img" aria-labelledby="chart-{escape(figure.key)}-title">'
    return check(svg[: root.start()] + opening + label + svg[root.end() :])
