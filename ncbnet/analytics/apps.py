from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ncbnet.analytics"
    label = "analytics"

    def ready(self) -> None:
        from ncbnet.base import tally

        from . import (  # noqa: F401 - receive and reported register their envelopes (and reported its job)
            receive,
            reported,
            rollups,
        )

        tally.counted.connect(rollups.on_counted, dispatch_uid="analytics.rollups")
