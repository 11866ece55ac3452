from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ncbnet.analytics"
    label = "analytics"

    def ready(self) -> None:
        from ncbnet.base import tally

        from . import reported, rollups  # noqa: F401 - reported registers its envelope and job

        tally.counted.connect(rollups.on_counted, dispatch_uid="analytics.rollups")
