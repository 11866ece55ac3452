from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "ncbnet.notices"
    label = "notices"
    verbose_name = "Notices and diffusions"

    def ready(self) -> None:
        from . import replication, services  # noqa: F401 - register envelope handlers and the periodic review
