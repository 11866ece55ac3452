from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "ncbnet.notices"
    label = "notices"
    verbose_name = "Notices and diffusions"

    def ready(self) -> None:
        from . import replication, requests, services  # noqa: F401 - envelope handlers, periodic review
