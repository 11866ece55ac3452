"""Who may do what in training. Deny by default: each page and API route names one of these.

- the GS's training staff (at the hub) author the catalogue, set each role's requirements, see the
  coverage per country and revoke certificates;
- a bureau's officers, head and administrator enrol their officers and agency users;
- the bureau's head and administrator see who is not compliant;
- every person of a bureau or an agency takes courses (and enrols themselves in open ones);
- anyone signed in, and a national system with a token, verifies a certificate."""

from __future__ import annotations

from typing import Any

from ncbnet.base.node import role
from ncbnet.base.policies import Policy


def is_trainer(user: Any) -> bool:
    return user.kind == "gs" and user.role == "trainer" and not role().bureau


def enrols_others(user: Any) -> bool:
    return user.kind == "ncb" and user.role in ("officer", "head", "admin") and role().bureau


def sees_compliance(user: Any) -> bool:
    return user.kind == "ncb" and user.role in ("head", "admin") and role().bureau


def learns(user: Any) -> bool:
    """A person of a bureau or one of its agencies, on the bureau's node."""
    return user.kind in ("ncb", "agency") and role().bureau


def reads_catalogue(user: Any) -> bool:
    return learns(user) or is_trainer(user) or enrols_others(user)


def verifies(user: Any) -> bool:
    return user.kind in ("ncb", "agency", "gs", "system")


TRAINER = Policy("training-gs", is_trainer)
ENROL = Policy("training-enrol", enrols_others)
COMPLIANCE = Policy("training-compliance", sees_compliance)
LEARNER = Policy("training-learner", learns)
CATALOGUE = Policy("training-catalogue", reads_catalogue)
VERIFY = Policy("training-verify", verifies)
