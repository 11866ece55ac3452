"""The cooperation API (/api/v1/cooperation/): one router per part, for the national case systems
that integrate through it."""

from __future__ import annotations

from ninja import Router

from . import cases, help, operations, requests, statistics, tasks

router = Router(tags=["cooperation"])
router.add_router("/requests", requests.router)
router.add_router("/tasks", tasks.router)
router.add_router("/help-requests", help.router)
router.add_router("/cases", cases.router)
router.add_router("/groups", operations.groups_router)
router.add_router("/operations", operations.router)
router.add_router("/statistics", statistics.router)
