"""Who may read what of the analytics. Deny by default: each page and API route names one of these.

- the GS analyst (at the hub, where the GS works) reads every figure and publishes network figures;
- a bureau's head and officers read their own bureau's figures and the network figures the GS
  published; nobody else (an administrator, a national agency, a system) reads either."""

from __future__ import annotations

from typing import Any

from ncbnet.base.node import role
from ncbnet.base.policies import Policy


def reads_categories(user: Any) -> bool:
    """The crime categories are the classification's, nobody's data: every bureau, agency,
    national system and the GS choose from them."""
    return user.kind in ("ncb", "agency", "system", "gs")


def is_gs_analyst(user: Any) -> bool:
    return user.kind == "gs" and user.role == "analyst" and not role().bureau


def reads_bureau_figures(user: Any) -> bool:
    """A bureau's head and officers, for their own bureau."""
    return user.kind == "ncb" and user.role in ("head", "officer") and bool(user.country_code)


def reads_published(user: Any) -> bool:
    return is_gs_analyst(user) or reads_bureau_figures(user)


READ_CATEGORIES = Policy("analytics-categories", reads_categories)
GS_ANALYST = Policy("analytics-gs", is_gs_analyst)
BUREAU_FIGURES = Policy("analytics-bureau", reads_bureau_figures)
PUBLISHED_FIGURES = Policy("analytics-published", reads_published)
