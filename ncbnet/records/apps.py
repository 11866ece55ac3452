from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "ncbnet.records"
    label = "records"
    verbose_name = "Global databases"

    def ready(self) -> None:
        from . import contribution, lifecycle, parts, replication, resync  # noqa: F401 - register their envelope handlers
