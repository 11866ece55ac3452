"""The periodic job of national tasks: an alert for the bureau's officers once per overdue task."""

from __future__ import annotations

from ncbnet.network import handlers

from ..services import tasks


@handlers.every(60, "cooperation.tasks.overdue")
def overdue_tasks() -> int:
    return tasks.alert_overdue()
