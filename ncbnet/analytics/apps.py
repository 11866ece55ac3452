from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ncbnet.analytics"
    label = "analytics"

    def ready(self) -> None:
        from ncbnet.base import tally

        from . import (
            receive,  # noqa: F401 - registers the publications' envelope handler
            rollups,
        )

        tally.counted.connect(rollups.on_counted, dispatch_uid="analytics.rollups")
