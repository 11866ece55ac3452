"""The analytics API. So far the crime categories the figures count by (UNODC's ICCS level 1 and
level 2, `base.iccs`), for a national system to choose from as the forms do."""

from __future__ import annotations

from ninja import Field, Router, Schema

from ncbnet.base import iccs
from ncbnet.base.api import allow
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from .policies import READ_CATEGORIES

router = Router(tags=["analytics"])


class SourceOut(Schema):
    title: str
    publisher: str
    year: int
    url: str


class CategoryOut(Schema):
    code: str = Field(description="a level-2 ICCS code: what records, notices and hits carry")
    label: str


class SectionOut(Schema):
    code: str = Field(description="a level-1 ICCS section: the first two digits of its codes")
    label: str
    categories: list[CategoryOut]


class CategoriesOut(Schema):
    source: SourceOut
    sections: list[SectionOut]


@router.get(
    "/categories",
    response=CategoriesOut,
    auth=allow(READ_CATEGORIES, Scope.CONTRIBUTIONS),
    summary="The crime categories (ICCS level-2 codes by section), labelled in the request's language",
)
def categories(request: AuthedRequest) -> CategoriesOut:
    source = iccs.data()["source"]
    return CategoriesOut(
        source=SourceOut(**{k: source[k] for k in ("title", "publisher", "year", "url")}),
        sections=[
            SectionOut(
                code=section,
                label=str(iccs.SECTIONS[section]),
                categories=[
                    CategoryOut(code=code, label=str(iccs.label(code)))
                    for code in iccs.codes()
                    if iccs.section(code) == section
                ],
            )
            for section in iccs.SECTIONS
        ],
    )
