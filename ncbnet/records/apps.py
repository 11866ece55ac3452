from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "ncbnet.records"
    label = "records"
    verbose_name = "Global databases"

    def ready(self) -> None:
        # register their envelope handlers and periodic jobs
        from . import contribution, feed, imports, lifecycle, parts, replication, resync, snapshot  # noqa: F401
