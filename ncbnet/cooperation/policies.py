"""Who does what in cooperation. Deny by default: each page and API operation names one of these.

- The bureau's staff (officers, head, administrators), the GS and the national systems (system
  accounts) send and answer requests, task agencies, work cases and report operation results.
- A national agency's users reach cooperation only through their NCB: they ask it for help, and
  answer the tasks given to their own agency.
"""

from __future__ import annotations

from typing import Any

from ncbnet.base.policies import Policy


def cooperates(user: Any) -> bool:
    return user.kind in ("ncb", "gs", "system")


def is_head(user: Any) -> bool:
    return user.kind == "ncb" and user.role == "head"


def is_agency_user(user: Any) -> bool:
    return user.kind == "agency" and user.agency_id is not None


def national(user: Any) -> bool:
    """NCB staff, national systems and agency users: the national side of the bureau."""
    return user.kind in ("ncb", "system") or is_agency_user(user)


COOPERATE = Policy("cooperation", cooperates)
AGENCY = Policy("cooperation-agency", is_agency_user)
NATIONAL = Policy("cooperation-national", national)


# Part N: national tasks and help requests.


def acts_on_tasks(user: Any) -> bool:
    """Agency users (for their own agency's tasks, checked in the services) and the NCB's system
    accounts (a national case system answering for an agency)."""
    return user.kind == "system" or is_agency_user(user)


TASK_ACT = Policy("cooperation-task-act", acts_on_tasks)
